# Shared by the smoke tests (sourced): start a command in its own process group, wait for the admin /readyz, and
# stop the whole group on exit. Every wait is bounded.

# smoke_start LOG COMMAND...: runs COMMAND in a new session (so its process group can be stopped as one).
smoke_start() {
  local log=$1
  shift
  setsid "$@" >"$log" 2>&1 &
  SMOKE_PID=$!
  SMOKE_LOG=$log
  trap smoke_stop EXIT
}

# smoke_stop: SIGTERM to the group, up to 10 s, then SIGKILL.
smoke_stop() {
  if [ -n "${SMOKE_PID:-}" ] && kill -0 "$SMOKE_PID" 2>/dev/null; then
    kill -TERM -- "-$SMOKE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SMOKE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$SMOKE_PID" 2>/dev/null || true
  fi
}

# smoke_fail MESSAGE: prints MESSAGE and the gateway log, exits 1.
smoke_fail() {
  echo "$1" >&2
  cat "$SMOKE_LOG" >&2
  exit 1
}

# smoke_wait_ready URL SECONDS: polls URL every 0.5 s until it answers 2xx.
smoke_wait_ready() {
  local url=$1 tries=$(($2 * 2))
  for _ in $(seq 1 "$tries"); do
    if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  smoke_fail "gateway did not become ready within $2 s; log:"
}
