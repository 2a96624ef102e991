#!/usr/bin/env bash
# Accounts benchmark, release build over HTTP: logins per second (argon2id m=19456 KiB, t=2,
# p=1 dominates) and the latency an access token adds to a query (anonymous vs Bearer).
#
#   tests/load/auth.sh            # DURATION=10 CONNECTIONS=8 override
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS=${CONNECTIONS:-8}
DURATION=${DURATION:-10}
PORT=${PORT:-18092}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB_URL="$PG/textisur_bench_auth"
OUT=tests/load/out
mkdir -p "$OUT"
command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null

cargo build --release -q -p textisur-api --bin textisur --example token_check
BIN=target/release/textisur
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_bench_auth WITH (FORCE)"
"$BIN" seed --database-url "$DB_URL" --products 10000 --seed 42 >/dev/null

# Limits raised so the benchmark measures hashing, not the brute-force protection.
RUST_LOG=warn "$BIN" serve --database-url "$DB_URL" --listen "127.0.0.1:$PORT" --no-demo-data --cost-bucket 1000000 --cost-restore-rate 1000000 \
  --login-per-account-and-ip-per-minute 1000000 --login-per-account-and-ip-per-hour 1000000 --login-per-account-per-hour 1000000 \
  --login-per-ip-per-minute 1000000 >"$OUT/auth-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

URL="http://127.0.0.1:$PORT/graphql"
row() { read -r _ rps p50 p95 p99 errors requests <<<"$2"; echo "| $1 | $rps | $p50 | $p95 | $p99 | $errors | $requests |"; }
TABLE="$OUT/auth.md"
{
  echo "| operation | req/s | p50 ms | p95 ms | p99 ms | errors | requests |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  row login "$(ACCOUNTS=200 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s tests/load/login.lua "$URL" | grep '^RESULT')"
} >"$TABLE"

TOKEN=$(curl -fsS -H 'content-type: application/json' "$URL" \
  -d '{"query":"mutation { login(input: {email: \"comprador1@textisur.example\", password: \"lana de alpaca\"}) { accessToken } }"}' \
  | jq -r '.data.login.accessToken')
echo '{"query":"{ products(first: 1) { nodes { id } } }"}' >"$OUT/small_query.json"
anon=$(BODY_FILE="$OUT/small_query.json" wrk -t1 -c16 -d"${DURATION}s" -s tests/load/graphql.lua "$URL" | grep '^RESULT')
authed=$(BODY_FILE="$OUT/small_query.json" wrk -t1 -c16 -d"${DURATION}s" -s tests/load/graphql.lua \
  -H "Authorization: Bearer $TOKEN" "$URL" | grep '^RESULT')
{ row "small query, anonymous" "$anon"; row "small query, Bearer token" "$authed"; } >>"$TABLE"

echo "Accounts, $(nproc) cores, wrk on the same machine (login: $CONNECTIONS connections; queries: 16):"
cat "$TABLE"
target/release/examples/token_check
