#!/usr/bin/env bash
# Two builds of the server on the same seeded database, alternated: for each round, each
# binary serves in turn (response cache off, cost bucket lifted) and wrk POSTs each body
# for DURATION s; one line per binary, body and round, then the mean req/s per binary and
# body and the ratio B/A. For a refactor that must not slow the engine down.
#
#   A=/path/to/old/textisur B=/path/to/new/textisur tests/load/ab.sh
#   ROUNDS=4 DURATION=8 PRODUCTS=100000 tests/load/ab.sh
#   A=$bin B=$bin A_ARGS="--global-limits false" tests/load/ab.sh   # one binary, two settings
#   BODIES="search searchtypo search3" A=... B=... tests/load/ab.sh     # text searches only
#   BODIES="search longsearch" A=... B=... tests/load/ab.sh             # and the long tail's
#   RESET_SQL="DROP TABLE ...; DELETE FROM _sqlx_migrations WHERE version = ..." \
#     A=old B=new tests/load/ab.sh   # undo B's new migration before each start, for A
#   SEED_EACH=1 A=old B=new tests/load/ab.sh   # each binary seeds and serves its own
#     database (textisur_bench_N_a, _b): B's seed or schema differs (variants), and each
#     side is measured on the data its own build makes
#   B_DATABASE=textisur_bench_100000_c A=old B=new tests/load/ab.sh   # B serves that database
#     (made as a copy of A's: `CREATE DATABASE ... TEMPLATE textisur_bench_100000`), which
#     B's migrations bring forward at its first start: one catalogue, two builds' code;
#     A_DATABASE likewise for A
#
# Bodies: `{ __typename }` (the HTTP and GraphQL pipeline alone), `product(id)`, `newest`
# (a listing without text: 20 newest names), and the
# nested page of issue 22 (20 newest products with store, category, 3 reviews and their
# authors); `search`, `search3` and `searchtypo` are text searches of the engine benchmark's
# shapes (two words; type, colour and material; the same with a typo), first 20, names only;
# `searchnone` is two words no seeded product has together (a partial-match search);
# `longsearch` is the search half of engine.sh's long-tail mix (persisted GETs of a type, a
# colour and a material, a typo in 30 %, random filters and page sizes; nearly every one
# differs), replayed from the same start for each side.
# Each binary keeps its own index directory (built by its first start), so two builds of
# different index schema versions compare without rebuilding each round; they share the
# machine's two cores with wrk and PostgreSQL, so compare the ratio within one run.
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
BODIES=${BODIES:-typename product nested}
need_tools
BIN=$A
if [ "${SEED_EACH:-0}" = 1 ]; then
  BIN=$B
  ensure_seeded "$PRODUCTS" _b
  DB_URL_B=$DB_URL
  BIN=$A
  ensure_seeded "$PRODUCTS" _a
  DB_URL_A=$DB_URL
else
  ensure_seeded "$PRODUCTS"
  DB_URL_A=$DB_URL
  DB_URL_B=$DB_URL
fi
if [ -n "${A_DATABASE:-}" ]; then
  DB_URL_A=$PG/$A_DATABASE
fi
if [ -n "${B_DATABASE:-}" ]; then
  DB_URL_B=$PG/$B_DATABASE
fi
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
jq -nc '{query: "{ products(first: 20, sort: NEWEST) { nodes { name } } }"}' >"$bodies/newest.json"
for pair in 'search:camisa lino' 'search3:remera roja algodon' 'searchtypo:pantalon negor lana' \
  'searchnone:pantalon lana'; do
  jq -nc --arg q "${pair#*:}" \
    '{query: "query($q: String!) { products(first: 20, query: $q) { nodes { name } } }", variables: {q: $q}}' \
    >"$bodies/${pair%%:*}.json"
done
if [[ " $BODIES " == *" longsearch "* ]]; then
  python3 tests/load/longtail-requests.py --database-url "$DB_URL" --out "$bodies/longtail.tsv" \
    --requests 60000 2>/dev/null
  awk -F'\t' '$1 == "search"' "$bodies/longtail.tsv" >"$bodies/longsearch.tsv"
fi
SHARED_INDEX_DIR=$INDEX_DIR
# Built anew each run: a side's index must hold this database's products.
rm -rf "$SHARED_INDEX_DIR-A" "$SHARED_INDEX_DIR-B"

results=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for side in A B; do
    BIN=${!side}
    url_of_side=DB_URL_$side
    DB_URL=${!url_of_side}
    INDEX_DIR="$SHARED_INDEX_DIR-$side"
    if [ -n "${RESET_SQL:-}" ]; then
      psql "$DB_URL" -qc "$RESET_SQL" >/dev/null
    fi
    args_of_side=${side}_ARGS
    # shellcheck disable=SC2086 # the extra arguments are words on purpose
    start_server "$PORT" "$OUT/ab-$side.log" --response-cache-seconds 0 \
      --cost-bucket 100000000 --cost-restore-rate 100000000 ${!args_of_side:-}
    for body in $BODIES; do
      if [ "$body" = longsearch ]; then
        # The same requests for each side and round: the file from its start, warm-up
        # included (mix.lua's START).
        line=$(MIX_FILE="$bodies/longsearch.tsv" START=0 WRK_THREADS=2 wrk -t2 \
          -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s tests/load/mix.lua \
          "http://127.0.0.1:$PORT" | grep '^RESULT')
        read -r _ rps p50 p95 p99 errors _ <<<"$line"
        printf '%s round %s %-9s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %s\n' \
          "$side" "$round" "$body" "$rps" "$p50" "$p99" "$errors"
        echo "$side $body $rps $p50" >>"$results"
        continue
      fi
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
      echo "$side $body $rps $p50" >>"$results"
    done
    stop_server
  done
done
echo "== mean req/s over $ROUNDS rounds (A=$A, B=$B)"
awk -v bodies="$BODIES" '{ sum[$2 " " $1] += $3; p50[$2 " " $1] += $4; n[$2 " " $1]++ }
  END { k = split(bodies, bs, " ");
        for (i = 1; i <= k; i++) { b = bs[i]; a = b " A"; c = b " B";
          printf "%-10s A %8.0f req/s p50 %6.2f ms  B %8.0f req/s p50 %6.2f ms  B/A req/s %.3f p50 %.3f\n", b,
            sum[a] / n[a], p50[a] / n[a], sum[c] / n[c], p50[c] / n[c],
            (sum[c] / n[c]) / (sum[a] / n[a]), (p50[c] / n[c]) / (p50[a] / n[a]) } }' \
  "$results"
