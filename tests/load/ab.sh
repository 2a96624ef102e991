#!/usr/bin/env bash
# Two builds of the server on the same seeded database, alternated: for each round, each
# binary serves in turn (response cache off, cost bucket lifted) and wrk POSTs each body
# for DURATION s; one line per binary, body and round, then the mean req/s per binary and
# body and the ratio B/A. For a refactor that must not slow the engine down.
#
#   A=/path/to/old/textisur B=/path/to/new/textisur tests/load/ab.sh
#   ROUNDS=4 DURATION=8 PRODUCTS=100000 tests/load/ab.sh
#   A=$bin B=$bin A_ARGS="--global-limits false" tests/load/ab.sh   # one binary, two settings
#
# Bodies: `{ __typename }` (the HTTP and GraphQL pipeline alone), `product(id)`, and the
# nested page of issue 22 (20 newest products with store, category, 3 reviews and their
# authors). Both binaries read one index directory, built by the first start; they share
# the machine's two cores with wrk and PostgreSQL, so compare the ratio within one run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh
: "${A:?A=path of the first textisur binary}" "${B:?B=path of the second}"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-2}
PRODUCTS=${PRODUCTS:-100000}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${PORT:-18140}
need_tools
BIN=$A
ensure_seeded "$PRODUCTS"
trap stop_server EXIT

bodies=$(mktemp -d)
printf '%s' '{"query":"{ __typename }"}' >"$bodies/typename.json"
id=$(psql "$DB_URL" -tAc "SELECT id FROM products WHERE status = 'ACTIVE' ORDER BY id LIMIT 1")
global=$(printf 'Product:%s' "$id" | base64 -w0 | tr '+/' '-_' | tr -d '=')
jq -nc --arg id "$global" \
  '{query: "query($id: ID!) { product(id: $id) { name price { amount } } }", variables: {id: $id}}' \
  >"$bodies/product.json"
jq -nc '{query: "{ products(first: 20, sort: NEWEST) { nodes { name price { amount } store { name city } category { name } reviews(first: 3) { nodes { rating author { name } } } } } }"}' \
  >"$bodies/nested.json"

results=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for side in A B; do
    BIN=${!side}
    args_of_side=${side}_ARGS
    # shellcheck disable=SC2086 # the extra arguments are words on purpose
    start_server "$PORT" "$OUT/ab-$side.log" --response-cache-seconds 0 \
      --cost-bucket 100000000 --cost-restore-rate 100000000 ${!args_of_side:-}
    for body in typename product nested; do
      answer=$(curl -fsS -H 'content-type: application/json' --data @"$bodies/$body.json" \
        "http://127.0.0.1:$PORT/graphql")
      if jq -e '.errors' <<<"$answer" >/dev/null; then
        echo "$side $body answered with errors: $answer" >&2
        exit 1
      fi
      BODY_FILE="$bodies/$body.json" wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" \
        -s tests/load/graphql.lua "http://127.0.0.1:$PORT/graphql" >/dev/null
      line=$(BODY_FILE="$bodies/$body.json" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" \
        --latency -s tests/load/graphql.lua "http://127.0.0.1:$PORT/graphql" | grep '^RESULT')
      # RESULT req/s p50 p95 p99 errors requests
      read -r _ rps p50 p95 p99 errors _ <<<"$line"
      printf '%s round %s %-9s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s\n' \
        "$side" "$round" "$body" "$rps" "$p50" "$p99" "$errors"
      echo "$side $body $rps" >>"$results"
    done
    stop_server
  done
done
echo "== mean req/s over $ROUNDS rounds (A=$A, B=$B)"
awk '{ sum[$2 " " $1] += $3; n[$2 " " $1]++ }
  END { for (k in sum) mean[k] = sum[k] / n[k];
        split("typename product nested", bs, " ");
        for (i = 1; i <= 3; i++) { b = bs[i];
          printf "%-9s A %8.0f  B %8.0f  B/A %.3f\n", b, mean[b " A"], mean[b " B"], mean[b " B"] / mean[b " A"] } }' \
  "$results"
