#!/usr/bin/env bash
# The engine alone: the release server with the response cache off, at 100,000 and 1,000,000
# products, so every request does its whole work (parse, validate, plan, PostgreSQL or the
# index, serialise). For each size it prints and writes to tests/load/out/engine.md:
#
#   - one row per single-shape operation, POSTed whole (the text, not a documentId) like
#     listings.sh: `{ __typename }`, `product(id)`, `nodes` of 20 ids flat and nested, the
#     page of 20 in every sort, the NEWEST page of 1, a text search and the nested page
#     (name, price, store, category, 3 reviews with their authors); req/s, p50, p99, errors;
#   - the long-tail mix, persisted GETs of which nearly every one differs
#     (tests/load/longtail-requests.py says what is in it), without a market and then with a
#     market at random per listing: req/s, p50/p95/p99, errors, the share of distinct
#     requests in its file and the server's peak resident memory;
#   - the nested page on PostGraphile 4 (tests/load/peers/postgraphile, installed with
#     `npm ci` when missing) over the same database, run right after ours with the same wrk
#     settings, and the ratio of our req/s to its.
#
#   tests/load/engine.sh                                 # 100,000 then 1,000,000 products
#   SIZES=100000 DURATION=3 BUILD=0 TEXTISUR_BIN=/path/to/textisur tests/load/engine.sh
#
# Errors are wrk's (transport, non-2xx) plus the GraphQL errors our server counted
# (textisur_graphql_errors_total), so a run full of errors does not pass as fast; every
# single operation and the peer's page are first checked for an answer without `errors`.
# The driver is one address: the cost bucket is lifted (--cost-bucket and
# --cost-restore-rate 100000000) rather than spread over signed-in users, and the limits'
# Redis step is off (--global-limits false): this measures the engine. What the Redis step
# costs per request is measured apart, by tests/load/ab.sh with A_ARGS="--global-limits
# false" (BENCHMARKS.md, "Limits shared in Redis"); GLOBAL_LIMITS=true puts it back here.
#
# wrk (-t2, CONNECTIONS connections), the server, PostGraphile and PostgreSQL share the
# machine's cores; our server is stopped before PostGraphile starts. PostGraphile runs as
# deployed for production: NODE_ENV=production, no GraphiQL, no query log, no watch, no
# default mutations, PEER_WORKERS cluster workers (2, one per core, as our runtime uses both).
# Its page differs from ours in three ways its schema imposes: it orders by id (ours by
# creation time, both from an index), lists every product (ours the active ones) and takes
# the reviews by id (ours newest first).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh

SIZES=${SIZES:-100000 1000000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
# The long tail warms the server this long first (row and word caches filling as a server
# in service has them), on the file's first requests; the measured run continues after them.
LONGTAIL_WARMUP=${LONGTAIL_WARMUP:-10}
# More `serve` flags, e.g. SERVER_ARGS="--word-cache-mib 0" to measure without a cache.
SERVER_ARGS=${SERVER_ARGS:-}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18130}
PEER_PORT=${PEER_PORT:-18131}
PEER_WORKERS=${PEER_WORKERS:-2}
LONGTAIL_REQUESTS=${LONGTAIL_REQUESTS:-200000}
# The long tail without a market, then with one at random per listing ("none random").
LONGTAIL_MARKETS=${LONGTAIL_MARKETS:-none random}
BIN=${TEXTISUR_BIN:-$BIN}
PEER_DIR=tests/load/peers/postgraphile
TABLE="$OUT/engine.md"
URL="http://127.0.0.1:$PORT"
PEER_URL="http://127.0.0.1:$PEER_PORT"
export WRK_THREADS=2

need_tools
command -v npm >/dev/null || { echo "PostGraphile needs Node.js and npm" >&2; exit 1; }
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
fi
if [ ! -d "$PEER_DIR/node_modules" ]; then
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

PEER=
start_peer() {
  local log=$1 started=$SECONDS
  NODE_ENV=production "$PEER_DIR/node_modules/.bin/postgraphile" -c "$DB_URL" -s public \
    -n 127.0.0.1 -p "$PEER_PORT" --cluster-workers "$PEER_WORKERS" --disable-graphiql \
    --disable-query-log --disable-default-mutations --dynamic-json >>"$log" 2>&1 &
  PEER=$!
  until curl -fsS -H 'Content-Type: application/json' --data '{"query":"{ __typename }"}' \
    "$PEER_URL/graphql" >/dev/null 2>&1; do
    if ! kill -0 "$PEER" 2>/dev/null || ((SECONDS - started > 120)); then
      echo "PostGraphile did not answer on :$PEER_PORT; its log ($log):" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
}

stop_peer() {
  if [ -n "$PEER" ]; then
    local workers
    workers=$(pgrep -P "$PEER" || true)
    # shellcheck disable=SC2086 # a list of pids
    kill "$PEER" $workers 2>/dev/null || true
    wait "$PEER" 2>/dev/null || true
    PEER=
  fi
}
trap 'stop_peer; stop_server' EXIT

# grouped NUMBER: rounded, with thousands separated by commas as in the other tables (printf's
# ' flag needs a locale this machine lacks).
grouped() { printf "%.0f" "$1" | sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta'; }

# wrk_result URL BODY_FILE: warms up, then POSTs BODY_FILE for DURATION s; prints wrk's RESULT
# line (req/s p50 p95 p99 errors requests).
wrk_result() {
  BODY_FILE="$2" wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s tests/load/graphql.lua "$1/graphql" >/dev/null
  BODY_FILE="$2" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s tests/load/graphql.lua \
    "$1/graphql" | grep '^RESULT'
}

# drive NAME URL QUERY [CHECK]: checks that QUERY answers without `errors` (and that the jq
# expression CHECK holds), measures it, prints a row and keeps it for engine.md; sets RPS.
drive() {
  local name=$1 url=$2 query=$3 check=${4:-true} body="$OUT/engine-body.json" answer line
  local graphql_errors=0 errors0=0 p50 p99 errors
  jq -cn --arg q "$query" '{query: $q}' >"$body"
  answer=$(curl -fsS -H 'Content-Type: application/json' --data @"$body" "$url/graphql")
  if ! jq -e "(.errors | not) and ($check)" >/dev/null <<<"$answer"; then
    echo "$name answers with errors or not as expected ($check): $(head -c 400 <<<"$answer")" >&2
    return 1
  fi
  # Only our server counts its GraphQL errors; the peer's answer was checked above.
  if [ "$url" = "$URL" ]; then errors0=$(metric_sum "$PORT" textisur_graphql_errors_total); fi
  line=$(wrk_result "$url" "$body")
  if [ "$url" = "$URL" ]; then
    graphql_errors=$(($(metric_sum "$PORT" textisur_graphql_errors_total) - errors0))
  fi
  read -r _ RPS p50 _ p99 errors _ <<<"$line"
  errors=$((errors + graphql_errors))
  printf "%-54s %9.0f %8.2f %8.2f %6d\n" "$name" "$RPS" "$p50" "$p99" "$errors"
  OPERATION_ROWS+=("$(printf "| %s | \`%s\` | %s | %.2f | %.2f | %d |" "$(grouped "$N")" "$name" \
    "$(grouped "$RPS")" "$p50" "$p99" "$errors")")
}

NESTED='name price { amount } store { name city } category { name } reviews(first: 3) { nodes { rating author { name } } }'
PEER_NESTED='{ allProducts(first: 20, orderBy: ID_DESC) { nodes { name price storeByStoreId { name city } categoryByCategoryId { name } reviewsByProductId(first: 3) { nodes { rating userByAuthorId { name } } } } } }'
OPERATION_ROWS=() LONGTAIL_ROWS=() PEER_ROWS=()

for N in $SIZES; do
  ensure_seeded "$N"
  LOG="$OUT/engine-server-$N.log"
  : >"$LOG"
  # shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
  start_server "$PORT" "$LOG" --response-cache-seconds 0 \
    --cost-bucket 100000000 --cost-restore-rate 100000000 --global-limits "${GLOBAL_LIMITS:-false}" $SERVER_ARGS
  echo "== $N products, wrk -t2 -c$CONNECTIONS, ${DURATION}s each after ${WARMUP}s ($BIN)"
  printf "%-54s %9s %8s %8s %6s\n" operation req/s p50_ms p99_ms errors

  # Real ids: one product, and the 20 of the top-rated page (they have reviews to nest).
  id=$(curl -fsS -H 'Content-Type: application/json' \
    --data '{"query":"{ products(first: 1) { nodes { id } } }"}' "$URL/graphql" |
    jq -r '.data.products.nodes[0].id')
  ids=$(curl -fsS -H 'Content-Type: application/json' \
    --data '{"query":"{ products(first: 20, sort: TOP_RATED) { nodes { id } } }"}' "$URL/graphql" |
    jq -c '[.data.products.nodes[].id]')
  twenty='.data.nodes | length == 20 and all(. != null)'

  drive "{ __typename }" "$URL" '{ __typename }'
  drive "product(id) { name }" "$URL" "{ product(id: \"$id\") { name } }" '.data.product.name'
  drive "nodes(20 ids) { name }" "$URL" "{ nodes(ids: $ids) { ... on Product { name } } }" "$twenty"
  drive "nodes(20 ids) nested" "$URL" "{ nodes(ids: $ids) { ... on Product { $NESTED } } }" "$twenty"
  # Every sort without text (the acceptance asks each): RELEVANCE without text is POPULAR's
  # order, so it is the same walk under another name.
  for sort in NEWEST RELEVANCE PRICE_ASC PRICE_DESC POPULAR TOP_RATED; do
    drive "products(first: 20, $sort) { name }" "$URL" \
      "{ products(first: 20, sort: $sort) { nodes { name } } }" '.data.products.nodes | length == 20'
  done
  drive "products(first: 1, NEWEST) { name }" "$URL" \
    '{ products(first: 1, sort: NEWEST) { nodes { name } } }' '.data.products.nodes | length == 1'
  drive "products(first: 20, \"camisa lino\") { name }" "$URL" \
    '{ products(first: 20, query: "camisa lino") { nodes { name } } }' '.data.products.nodes | length == 20'
  drive "products(first: 20, NEWEST) nested" "$URL" \
    "{ products(first: 20, sort: NEWEST) { nodes { $NESTED } } }" '.data.products.nodes | length == 20'
  ours_nested=$RPS

  # The long tail: the same server, persisted GETs that nearly never repeat, first without
  # a market (prices compared in US dollars), then each listing in a market at random. Each
  # run continues its file where its warm-up stopped (mix.lua's START).
  for market in $LONGTAIL_MARKETS; do
    export MIX_FILE="$OUT/longtail-$N-$market.tsv" START=0
    python3 tests/load/longtail-requests.py --database-url "$DB_URL" --out "$MIX_FILE" \
      --requests "$LONGTAIL_REQUESTS" --market "$market"
    distinct=$(awk -F'\t' '{ print $3 }' "$MIX_FILE" | sort -u | wc -l)
    distinct=$(awk -v d="$distinct" -v n="$(wc -l <"$MIX_FILE")" 'BEGIN { printf "%.0f", 100 * d / n }')
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${LONGTAIL_WARMUP}s" -s tests/load/mix.lua "$URL")
    START=$(($(awk '/^RESULT/ { print $7 }' <<<"$out") / WRK_THREADS))
    reset_peak "$SERVER"
    errors0=$(metric_sum "$PORT" textisur_graphql_errors_total)
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s tests/load/mix.lua "$URL")
    graphql_errors=$(($(metric_sum "$PORT" textisur_graphql_errors_total) - errors0))
    peak=$(peak_mib "$SERVER")
    read -r _ rps p50 p95 p99 errors requests <<<"$(grep '^RESULT' <<<"$out")"
    errors=$((errors + graphql_errors))
    printf "%-54s %9.0f %8.2f %8.2f %6d   p95 %.2f ms, %d %% distinct, server peak %d MiB\n" \
      "long-tail mix (persisted GETs), market: $market" "$rps" "$p50" "$p99" "$errors" "$p95" "$distinct" "$peak"
    LONGTAIL_ROWS+=("$(printf "| %s | %s | %s | %.2f | %.2f | %.2f | %d | %d %% | %d |" "$(grouped "$N")" \
      "$market" "$(grouped "$rps")" "$p50" "$p95" "$p99" "$errors" "$distinct" "$peak")")
  done
  stop_server

  start_peer "$OUT/engine-postgraphile-$N.log"
  drive "PostGraphile 4: allProducts(first: 20, ID_DESC) nested" "$PEER_URL" "$PEER_NESTED" \
    '.data.allProducts.nodes | length == 20'
  stop_peer
  ratio=$(awk -v a="$ours_nested" -v b="$RPS" 'BEGIN { printf "%.2f", a / b }')
  echo "nested page, ours/PostGraphile req/s: $ratio"
  PEER_ROWS+=("| $(grouped "$N") | $(grouped "$ours_nested") | $(grouped "$RPS") | $ratio |")
done

{
  echo "# The engine (tests/load/engine.sh)"
  echo
  echo "$(date -u +%F), $(git rev-parse --short HEAD), wrk -t2 -c$CONNECTIONS, ${DURATION}s per row after ${WARMUP}s,"
  echo "response cache off, cost bucket lifted for the one driver address."
  echo
  echo "## Single operations (POST, the whole text)"
  echo
  echo "| products | operation | req/s | p50 ms | p99 ms | errors |"
  echo "|---:|---|---:|---:|---:|---:|"
  printf '%s\n' "${OPERATION_ROWS[@]}"
  echo
  echo "## The long tail (persisted GETs, nearly none repeated)"
  echo
  echo "| products | market | req/s | p50 ms | p95 ms | p99 ms | errors | distinct requests | server peak MiB |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${LONGTAIL_ROWS[@]}"
  echo
  echo "## The nested page against PostGraphile 4 ($PEER_WORKERS workers)"
  echo
  echo "| products | TextiSur req/s | PostGraphile req/s | ours/theirs |"
  echo "|---:|---:|---:|---:|"
  printf '%s\n' "${PEER_ROWS[@]}"
} >"$TABLE"
echo "table written to $TABLE" >&2
