#!/usr/bin/env bash
# Listings without text: `products(first: N, sort: S) { nodes { name } }` for every sort, for
# first 1 and 20, plus a filtered listing and a second page (after a cursor), against the
# release server with the response cache off and the cost bucket lifted for the driver's one
# address. Prints req/s, p50 and p99 per request.
#
#   tests/load/listings.sh                          # 100,000 products
#   SIZES="100000 1000000" DURATION=10 tests/load/listings.sh
#   BUILD=0 TEXTISUR_BIN=/path/to/textisur DB_PREFIX=engine_f tests/load/listings.sh
#
# Each size seeds its own database ($DB_PREFIX_<N>, default textisur_listings_<N>) unless it
# already holds N products; the index (tests/load/out/listings-index-<N>) is built when the
# server starts. wrk (2 threads, CONNECTIONS connections), the server and PostgreSQL share
# the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh

SIZES=${SIZES:-100000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18090}
DB_PREFIX=${DB_PREFIX:-textisur_listings}
SORTS=${SORTS:-RELEVANCE PRICE_ASC PRICE_DESC NEWEST POPULAR TOP_RATED}
BIN=${TEXTISUR_BIN:-$BIN}

need_tools
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
fi
trap stop_server EXIT

seed() {
  local n=$1 count
  DB_URL="$PG/${DB_PREFIX}_$n"
  INDEX_DIR="$OUT/listings-index-$n"
  count=$(psql "$DB_URL" -tAc "SELECT count(*) FROM products" 2>/dev/null || echo 0)
  if [ "$count" -lt "$n" ]; then
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS ${DB_PREFIX}_$n WITH (FORCE)"
    rm -rf "$INDEX_DIR"
    echo "seeding $n products" >&2
    "$BIN" seed --database-url "$DB_URL" --products "$n" --seed 42 >&2
  fi
}

# drive NAME QUERY: POSTs {"query": QUERY} with wrk, prints NAME req/s p50 p99 errors.
drive() {
  local name=$1 body="$OUT/listings-body.json" line
  jq -cn --arg q "$2" '{query: $q}' >"$body"
  if curl -fsS -H 'Content-Type: application/json' --data @"$body" "http://127.0.0.1:$PORT/graphql" |
    jq -e '.errors' >/dev/null; then
    echo "$name answers with errors" >&2
    return 1
  fi
  BODY_FILE="$body" wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s tests/load/graphql.lua \
    "http://127.0.0.1:$PORT/graphql" >/dev/null
  line=$(BODY_FILE="$body" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
    -s tests/load/graphql.lua "http://127.0.0.1:$PORT/graphql" | grep '^RESULT')
  # RESULT req/s p50 p95 p99 errors requests
  awk -v name="$name" '{ printf "%-34s %9.0f %8.2f %8.2f %6d\n", name, $2, $3, $5, $6 }' <<<"$line"
}

for n in $SIZES; do
  seed "$n"
  start_server "$PORT" "$OUT/listings-server-$n.log" --response-cache-seconds 0 \
    --cost-bucket 100000000 --cost-restore-rate 100000000
  echo "== $n products, $CONNECTIONS connections, ${DURATION}s each ($BIN)"
  printf "%-34s %9s %8s %8s %6s\n" request req/s p50_ms p99_ms errors
  for sort in $SORTS; do
    for first in 1 20; do
      drive "$sort first:$first" "{ products(first: $first, sort: $sort) { nodes { name } } }"
    done
  done
  cursor=$(curl -fsS -H 'Content-Type: application/json' \
    --data '{"query":"{ products(first: 20, sort: NEWEST) { pageInfo { endCursor } } }"}' \
    "http://127.0.0.1:$PORT/graphql" | jq -r '.data.products.pageInfo.endCursor')
  drive "NEWEST first:20 second page" \
    "{ products(first: 20, sort: NEWEST, after: \"$cursor\") { nodes { name } } }"
  drive "PRICE_ASC first:20 inStock" \
    "{ products(first: 20, sort: PRICE_ASC, filter: {inStock: true}) { nodes { name } } }"
  drive "NEWEST first:20 totalCount" \
    "{ products(first: 20, sort: NEWEST) { totalCount nodes { name } } }"
  stop_server
done
