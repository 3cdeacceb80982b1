#!/usr/bin/env bash
# Smoke test of examples/registry (the README's registry walk-through): start the gateway with the embedded registry,
# register two demo backends through the Nacos API with curl, and expect api.example.com/order/... to reach both with
# the prefix stripped. Every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/smoke-lib.sh
. scripts/smoke-lib.sh

work=$(mktemp -d)
# The example, with its data directory moved out of the checkout.
sed "s|dataDir: \"./data\"|dataDir: \"$work/data\"|; s|\"./manifests\"|\"$PWD/examples/registry/manifests\"|" \
  examples/registry/tidegate.yaml >"$work/tidegate.yaml"
smoke_start "$work/log" node bin/tidegate serve --config "$work/tidegate.yaml"
smoke_wait_ready http://127.0.0.1:9000/readyz 30

for port in 18081 18082; do
  curl -fsS -X POST "127.0.0.1:8848/nacos/v1/ns/instance?serviceName=order-service&ip=127.0.0.1&port=$port&ephemeral=false" >/dev/null
done

names=""
for _ in $(seq 1 40); do
  answer=$(curl -sS -H 'Host: api.example.com' 'http://127.0.0.1:8080/order/items?id=7' || true)
  if printf '%s' "$answer" | grep -q '^GET /items?id=7 '; then names+="$(printf '%s' "$answer" | grep '^Name:')"$'\n'; fi
  [ "$(printf '%s' "$names" | sort -u | grep -c Name || true)" = 2 ] && break
  sleep 0.1
done
[ "$(printf '%s' "$names" | sort -u | grep -c Name || true)" = 2 ] || smoke_fail "expected both registered backends, got: $names"
smoke_stop
rm -rf "$work"
echo "registry smoke test passed: $(printf '%s' "$names" | sort -u | tr '\n' ' ')"
