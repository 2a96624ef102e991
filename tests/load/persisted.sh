#!/usr/bin/env bash
# Persisted GET hit versus the same query sent whole over POST, release build, same run.
#
#   tests/load/persisted.sh       # DURATION=10 CONNECTIONS=16 ROUNDS=3 override
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10}
PORT=${PORT:-18095}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB_URL="$PG/textisur_bench_persisted"
OUT=tests/load/out
mkdir -p "$OUT"
command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
command -v jq >/dev/null || apt-get install -y -qq jq >/dev/null

cargo build --release -q -p textisur-api --bin textisur
BIN=${CARGO_TARGET_DIR:-target}/release/textisur
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_bench_persisted WITH (FORCE)"
"$BIN" seed --database-url "$DB_URL" --products 10000 --seed 42 >/dev/null
SERVER=
trap 'kill $SERVER 2>/dev/null || true' EXIT
# serve ARGS...: (re)starts the server with the given extra flags.
serve() {
  if [ -n "$SERVER" ]; then kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; fi
  RUST_LOG=warn "$BIN" serve --database-url "$DB_URL" --listen "127.0.0.1:$PORT" --no-demo-data \
    --cost-bucket 100000000 --cost-restore-rate 100000000 "$@" >>"$OUT/persisted-server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
}
URL="http://127.0.0.1:$PORT/graphql"

# Two operations: a listing whose execution (three SQL queries) dominates, and a category tree
# whose execution is light, so parsing and checking the document weigh more. Each is run
# ROUNDS times, persisted GET and whole POST alternating, so a neighbour's load on the shared
# cores falls on both alike.
ROUNDS=${ROUNDS:-3}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
row() { read -r _ rps p50 p95 p99 errors requests <<<"$2"; echo "| $1 | $rps | $p50 | $p95 | $p99 | $errors | $requests |"; }
echo "Persisted GET hit vs whole query over POST, 10,000 products, $CONNECTIONS connections, ${DURATION}s per row, $ROUNDS rounds:"
echo "| request | req/s | p50 ms | p95 ms | p99 ms | errors | requests |"
echo "|---|---:|---:|---:|---:|---:|---:|"
bench() {
  local name=$1 query=$2 variables=$3 check=$4
  local hash extensions path_query
  hash=$(printf '%s' "$query" | sha256sum | cut -d' ' -f1)
  extensions="{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"$hash\"}}"
  jq -n --arg q "$query" --argjson v "$variables" --arg o "$name" '{query: $q, variables: $v, operationName: $o}' >"$OUT/persisted-post-$name.json"
  # Register once (Apollo's first round trip), then check the hash alone answers.
  jq -n --arg q "$query" --argjson v "$variables" --argjson e "$extensions" '{query: $q, variables: $v, extensions: $e}' \
    | curl -fsS -H 'content-type: application/json' --data-binary @- "$URL" | jq -e "$check" >/dev/null
  path_query="/graphql?operationName=$name&variables=$(enc "$variables")&extensions=$(enc "$extensions")"
  curl -fsS "http://127.0.0.1:$PORT$path_query" | jq -e "$check" >/dev/null
  for round in $(seq 1 "$ROUNDS"); do
    row "$name, persisted GET (hash only$CACHE), round $round" "$(PATH_QUERY="$path_query" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s tests/load/get.lua "http://127.0.0.1:$PORT" | grep '^RESULT')"
    row "$name, whole query over POST, round $round" "$(BODY_FILE="$OUT/persisted-post-$name.json" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s tests/load/graphql.lua "$URL" | grep '^RESULT')"
  done
}
both() {
  bench ProductCard 'query ProductCard($first: Int) { products(first: $first, sort: POPULAR) { nodes { id name price { amount currencyCode } unit store { name city } category { name } } } }' \
    '{"first":20}' '.data.products.nodes | length == 20'
  bench CategoryTree 'query CategoryTree { categories { id slug name parent { id slug name } children { id slug name children { id slug name } } } }' \
    '{}' '.data.categories | length > 0'
}
# As served: the response cache answers the persisted GET (what a CDN honouring max-age does).
CACHE=", response cache"
serve
both
# The response cache off: every GET runs, from the prepared document.
CACHE=", no response cache"
serve --response-cache-seconds 0
both
