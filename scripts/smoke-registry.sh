#!/usr/bin/env bash
# Smoke test of examples/registry (the README's registry walk-through): start the gateway with the embedded registry,
# register two demo backends through the Nacos API with curl, and expect api.example.com/order/... to reach both with
# the prefix stripped. Every wait is bounded; the gateway is stopped by its process group.
set -euo pipefail
cd "$(dirname "$0")/.."

data=$(mktemp -d)
config=$(mktemp --suffix=.yaml)
# The example, with its data directory moved out of the checkout.
sed "s|dataDir: \"./data\"|dataDir: \"$data\"|; s|\"./manifests\"|\"$PWD/examples/registry/manifests\"|" \
  examples/registry/tidegate.yaml >"$config"
log=$(mktemp)
setsid node bin/tidegate serve --config "$config" >"$log" 2>&1 &
pid=$!
stop() {
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
}
trap 'stop; rm -rf "$data" "$config" "$log"' EXIT

ready=""
for _ in $(seq 1 60); do
  if curl -fsS http://127.0.0.1:9000/readyz >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || { echo "gateway did not become ready; log:" >&2; cat "$log" >&2; exit 1; }

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
distinct=$(printf '%s' "$names" | sort -u | grep -c Name || true)
[ "$distinct" = 2 ] || { echo "expected both registered backends, got: $names" >&2; cat "$log" >&2; exit 1; }
echo "registry smoke test passed: $(printf '%s' "$names" | sort -u | tr '\n' ' ')"
