#!/usr/bin/env bash
# The realistic request mix at rising concurrency, against the release server, for each
# catalogue size: persisted operations only (documentId, never the text), queries over GET,
# mutations over POST (tests/load/mix-requests.py writes the mix and says what is in it:
# search 50 %, product page 20 %, store page 10 %, autocomplete 10 %, cart and checkout 10 %).
#
#   tests/load/mix.sh                                   # 100,000 then 1,000,000 products
#   SIZES=100000 STEPS="32 128" DURATION=10 BUILD=0 tests/load/mix.sh
#
# For each size and each concurrency in STEPS, wrk (WRK_THREADS threads) runs the mix for
# DURATION seconds and one row is printed and written to tests/load/out/mix.md: req/s,
# p50/p95/p99, errors (transport and non-2xx from wrk, GraphQL `errors` counted by the
# server; a refusal in `userErrors`, such as a checkout of an emptied cart, is an answer, not
# an error), the CPU the server used and the whole machine's busy
# CPU (server, PostgreSQL and wrk; in cores of the 2), the server's peak resident memory
# during the step, and the share of GETs answered by the response cache. wrk, the server and PostgreSQL share the machine's cores.
#
# Every simulated user comes from 127.0.0.1, so the cost buckets are raised; buyers are
# made in the database with signed tokens (no argon2 in the numbers), and the stock of the
# products they buy is raised so checkouts keep succeeding.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh

SIZES=${SIZES:-100000 1000000}
STEPS=${STEPS:-8 16 32 64 128}
DURATION=${DURATION:-20}
# The response cache keeps answers 30 s: a step starts once it reached its steady state.
WARMUP=${WARMUP:-30}
export WRK_THREADS=${WRK_THREADS:-2}
PORT=${PORT:-18110}
SERVER_ARGS=${SERVER_ARGS:-}
TABLE="$OUT/mix.md"

need_tools
build_release
trap finish EXIT
production_postgres
ulimit -n "$(ulimit -Hn)"
TICKS=$(getconf CLK_TCK)

cat >"$TABLE" <<HEADER
| products | connections | req/s | p50 ms | p95 ms | p99 ms | errors | server CPU | machine CPU | server peak MiB | GETs from cache |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
HEADER
for N in $SIZES; do
  ensure_seeded "$N"
  LOG="$OUT/mix-server-$N.log"
  : >"$LOG"
  # shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
  # A few seeded buyers stand for many shoppers: the unpaid-order cap is lifted with the cost
  # bucket, or their checkouts would turn into LIMIT_REACHED after five.
  start_server "$PORT" "$LOG" --cost-bucket 100000000 --cost-restore-rate 100000000 \
    --max-unpaid-orders 1000000000 --db-max-connections 32 $SERVER_ARGS
  URL="http://127.0.0.1:$PORT"
  prepare_mix "$URL" "$N"
  echo "products=$N: warming up for ${WARMUP}s" >&2
  # Where in the mix each run starts (mix.lua): every run continues the sequence.
  export START=0
  advance() { START=$((START + $(awk '/^RESULT/ { print $7 }' <<<"$1") / WRK_THREADS)); }
  advance "$(wrk -t"$WRK_THREADS" -c16 -d"${WARMUP}s" -s tests/load/mix.lua "$URL")"
  for c in $STEPS; do
    reset_peak "$SERVER"
    errors0=$(metric_sum "$PORT" textisur_graphql_errors_total)
    hits0=$(metric "$PORT" 'textisur_response_cache_total{result="hit"}')
    misses0=$(metric "$PORT" 'textisur_response_cache_total{result="miss"}')
    server0=$(cpu_ticks "$SERVER") machine0=$(machine_ticks) started=$(date +%s.%N)
    out=$(wrk -t"$WRK_THREADS" -c"$c" -d"${DURATION}s" --timeout 10s -s tests/load/mix.lua "$URL")
    server1=$(cpu_ticks "$SERVER") machine1=$(machine_ticks) ended=$(date +%s.%N)
    hits=$(metric "$PORT" 'textisur_response_cache_total{result="hit"}')
    misses=$(metric "$PORT" 'textisur_response_cache_total{result="miss"}')
    read -r _ rps p50 p95 p99 errors _ <<<"$(grep '^RESULT' <<<"$out")"
    advance "$out"
    graphql_errors=$(($(metric_sum "$PORT" textisur_graphql_errors_total) - errors0))
    row=$(awk -v n="$N" -v c="$c" -v rps="$rps" -v p50="$p50" -v p95="$p95" -v p99="$p99" \
      -v errors="$((errors + graphql_errors))" -v t="$TICKS" \
      -v s="$((server1 - server0))" -v pg="$((machine1 - machine0))" -v secs="$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')" \
      -v peak="$(peak_mib "$SERVER")" -v h="$(awk -v a="$hits0" -v b="$hits" 'BEGIN { print b - a }')" \
      -v m="$(awk -v a="$misses0" -v b="$misses" 'BEGIN { print b - a }')" \
      'BEGIN { printf "| %\047d | %d | %\047d | %.2f | %.2f | %.2f | %d | %.2f | %.2f | %d | %.0f %% |\n",
        n, c, rps, p50, p95, p99, errors, s / t / secs, pg / t / secs, peak, (h + m > 0 ? 100 * h / (h + m) : 0) }')
    echo "$row" | tee -a "$TABLE"
  done
  stop_server
done
echo "table written to $TABLE" >&2
