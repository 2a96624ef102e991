#!/usr/bin/env bash
# PostgreSQL outage drill: stops the local PostgreSQL cluster under a running server and
# checks, by script, that /health/ready turns 503 within 5 s, that queries answer a clean
# INTERNAL_SERVER_ERROR quickly (no hang, no panic page) as a 503 with Retry-After, and that
# everything recovers by itself within 5 s of PostgreSQL's return. Needs root (pg_ctlcluster).
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-18094}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
VERSION=$(ls /etc/postgresql | sort -V | tail -n 1)
cargo build -q -p textisur-api --bin textisur
BIN=target/debug/textisur
LOG=$(mktemp)

pg() { pg_ctlcluster --skip-systemctl-redirect "$VERSION" main "$1" >/dev/null 2>&1 || true; }
cleanup() {
  pg start
  kill "$SERVER" 2>/dev/null || true
  for _ in $(seq 1 50); do pg_isready -h 127.0.0.1 -q && break; sleep 0.2; done
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_fault_pg WITH (FORCE)" >/dev/null 2>&1 || true
}
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_fault_pg WITH (FORCE)" >/dev/null
RUST_LOG=warn "$BIN" serve --database-url "$PG/textisur_fault_pg" --listen "127.0.0.1:$PORT" \
  --demo-products 200 >"$LOG" 2>&1 &
SERVER=$!
trap cleanup EXIT
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 300); do curl -fsS "$URL/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
query() { curl -sS -m 10 "$@" -H 'content-type: application/json' -d '{"query":"{ products(first: 1) { totalCount } }"}' "$URL/graphql"; }
passed=0
failed=0
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok: $name"; else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

check "queries work before the outage" bash -c "$(declare -f query); URL=$URL; query | grep -q totalCount"

pg stop
stopped=$(now)
ready_status=200
while [ "$(echo "$(since "$stopped") < 8" | bc)" = 1 ]; do
  ready_status=$(curl -s -o /dev/null -w '%{http_code}' -m 3 "$URL/health/ready" || echo 000)
  [ "$ready_status" = 503 ] && break
  sleep 0.1
done
took=$(since "$stopped")
check "ready is 503 within 5 s of the outage (took $(printf %.1f "$took") s)" test "$ready_status" = 503 -a "$(echo "$took < 5" | bc)" = 1

started=$(now)
HEADERS=$(mktemp)
body=$(query -D "$HEADERS" || true)
took=$(since "$started")
check "a query answers INTERNAL_SERVER_ERROR without hanging ($(printf %.1f "$took") s)" \
  bash -c "[[ '$body' == *INTERNAL_SERVER_ERROR* && $(echo "$took < 5" | bc) == 1 ]]"
check "it is a 503 with Retry-After and retryAfterMs" \
  bash -c "grep -qE '^HTTP/[0-9.]+ 503' '$HEADERS' && grep -qi '^retry-after: [0-9]' '$HEADERS' && [[ '$body' == *retryAfterMs* ]]"
check "no internals leak to the client" bash -c "[[ '$body' != *onnection* && '$body' != *sqlx* ]]"
check "the server is still alive" kill -0 "$SERVER"

pg start
restarted=$(now)
for _ in $(seq 1 100); do
  if curl -fsS -m 2 "$URL/health/ready" >/dev/null 2>&1 && query | grep -q totalCount; then break; fi
  sleep 0.1
done
took=$(since "$restarted")
check "recovers by itself within 5 s of PostgreSQL's return (took $(printf %.1f "$took") s after pg_ctlcluster start)" \
  bash -c "curl -fsS '$URL/health/ready' >/dev/null && [ $(echo "$took < 5" | bc) = 1 ]"

echo "postgres-outage: $passed passed, $failed failed"
[ "$failed" = 0 ]
