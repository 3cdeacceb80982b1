#!/usr/bin/env bash
# Smoke test of the README's start command: `npm start`, wait for readiness, curl shop.local over HTTP (three
# different backends answer in turn) and HTTPS, then SIGTERM and expect a clean exit. Every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/smoke-lib.sh
. scripts/smoke-lib.sh

log=$(mktemp)
smoke_start "$log" npm start
smoke_wait_ready http://127.0.0.1:9000/readyz 60

names=""
for _ in 1 2 3; do
  names+="$(curl -fsS -H 'Host: shop.local' http://127.0.0.1:8080/ | grep '^Name:')"$'\n'
done
distinct=$(printf '%s' "$names" | sort -u | grep -c Name)
echo "HTTP answers from $distinct distinct backends:"; printf '%s' "$names"
[ "$distinct" = 3 ] || smoke_fail "expected 3 backends in turn"

curl -fsS -k --resolve shop.local:8443:127.0.0.1 https://shop.local:8443/ | grep -q '^Name: shop-' \
  || smoke_fail "HTTPS request failed"
echo "HTTPS ok"

kill -TERM -- "-$SMOKE_PID"
for _ in $(seq 1 100); do kill -0 "$SMOKE_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SMOKE_PID" 2>/dev/null && smoke_fail "gateway did not stop within 10 s of SIGTERM"
rm -f "$log"
echo "smoke test passed"
