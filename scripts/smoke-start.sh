#!/usr/bin/env bash
# Smoke test of the README's start command: `npm start`, wait for readiness, curl shop.local over HTTP (three
# different backends answer in turn) and HTTPS, then SIGTERM and expect a clean exit. Every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
setsid npm start >"$log" 2>&1 &
pid=$!
stop() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
}
trap 'stop; rm -f "$log"' EXIT

ready=""
for _ in $(seq 1 120); do
  if curl -fsS http://127.0.0.1:9000/readyz >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then echo "gateway did not become ready; log:" >&2; cat "$log" >&2; exit 1; fi

names=""
for _ in 1 2 3; do
  names+="$(curl -fsS -H 'Host: shop.local' http://127.0.0.1:8080/ | grep '^Name:')"$'\n'
done
distinct=$(printf '%s' "$names" | sort -u | grep -c Name)
echo "HTTP answers from $distinct distinct backends:"; printf '%s' "$names"
[ "$distinct" = 3 ] || { echo "expected 3 backends in turn" >&2; cat "$log" >&2; exit 1; }

curl -fsS -k --resolve shop.local:8443:127.0.0.1 https://shop.local:8443/ | grep -q '^Name: shop-' \
  || { echo "HTTPS request failed" >&2; cat "$log" >&2; exit 1; }
echo "HTTPS ok"

kill -TERM -- "-$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "gateway did not stop within 10 s of SIGTERM" >&2; exit 1; fi
echo "smoke test passed"
