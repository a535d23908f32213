#!/usr/bin/env bash
# The demo: installs what is missing, builds, then runs nats-server, the example
# service's responder and postern with config/postern.yaml, and sends a GraphQL
# query through them with curl. Ctrl-C stops everything.
#   scripts/demo.sh          run until Ctrl-C
#   scripts/demo.sh --once   run the curl, check the answer, stop (used by the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ONCE=0
[ "${1:-}" = "--once" ] && ONCE=1

if [ -z "${POSTERN_BUILD_DIR:-}" ]; then
  scripts/deps.sh
  scripts/build.sh >/dev/null
fi
BUILD="${POSTERN_BUILD_DIR:-build}"
RUN="$(mktemp -d /tmp/postern-demo.XXXXXX)"
PIDS=()
cleanup() {
  # newest first: postern drains before the NATS server goes away
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[$i]}" 2>/dev/null || true
    wait "${PIDS[$i]}" 2>/dev/null || true
  done
  rm -rf "$RUN"
}
trap cleanup EXIT INT TERM

wait_port() { # port, seconds
  for _ in $(seq 1 $(($2 * 20))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "demo: nothing listens on port $1" >&2
  return 1
}

# the dev issuer's signing key lives in the demo's own directory
KEY="$RUN/idp-key.pem"
nats-server -a 127.0.0.1 -p 4222 >"$RUN/nats.log" 2>&1 &
PIDS+=($!)
"$BUILD/postern" dev-idp --listen 127.0.0.1:9400 --key "$KEY" >"$RUN/dev-idp.log" 2>&1 &
PIDS+=($!)
wait_port 4222 10
wait_port 9400 10
"$BUILD/example-responder" nats://127.0.0.1:4222 >"$RUN/responder.log" 2>&1 &
PIDS+=($!)
"$BUILD/postern" serve -c config/postern.yaml >"$RUN/postern.log" 2>&1 &
PIDS+=($!)
wait_port 8080 10
for _ in $(seq 1 100); do
  curl -sf http://127.0.0.1:9090/readyz >/dev/null && break
  sleep 0.1
done

TOKEN="$("$BUILD/postern" dev-idp mint --key "$KEY" --sub alice --claim groups=staff --claim tenant=acme --ttl 1h)"
QUERY='{"query":"{ order(id: \"42\") { id status total items { sku quantity } } }"}'
echo "postern is up: GraphQL on http://127.0.0.1:8080/graphql, admin on :9090"
echo "a token for alice (groups: staff) from the dev issuer (for demos only):"
echo "  TOKEN=\$($BUILD/postern dev-idp mint --key $KEY --sub alice --claim groups=staff --claim tenant=acme)"
echo "try:"
echo "  curl -s http://127.0.0.1:8080/graphql -H \"Authorization: Bearer \$TOKEN\" -H 'Content-Type: application/json' -d '$QUERY'"
answer="$(curl -s http://127.0.0.1:8080/graphql -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$QUERY")"
echo "$answer"
if ! grep -q '"id":"42"' <<<"$answer"; then
  echo "demo: unexpected answer; logs in $RUN:" >&2
  tail -n 20 "$RUN"/*.log >&2
  exit 1
fi
[ "$ONCE" = 1 ] && exit 0
echo "logs: $RUN/*.log   (Ctrl-C stops nats-server, the responder and postern)"
wait
