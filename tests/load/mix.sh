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
# p50/p95/p99, errors (transport, non-2xx and GraphQL `errors`), refusals in `userErrors`
# (a checkout of an emptied cart, say), the CPU the server and PostgreSQL used (in cores of
# the 2), the server's peak resident memory during the step, and the share of GETs answered
# by the response cache. wrk, the server and PostgreSQL share the machine's cores.
#
# Every simulated user comes from 127.0.0.1, so the cost buckets are raised; buyers are
# made in the database with signed tokens (no argon2 in the numbers), and the stock of the
# products they buy is raised so checkouts keep succeeding.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh

SIZES=${SIZES:-100000 1000000}
STEPS=${STEPS:-8 32 64 128 256}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-10}
WRK_THREADS=${WRK_THREADS:-2}
PORT=${PORT:-18110}
SERVER_ARGS=${SERVER_ARGS:-}
TABLE="$OUT/mix.md"

need_tools
build_release
trap stop_server EXIT
ulimit -n "$(ulimit -Hn)"
TICKS=$(getconf CLK_TCK)

cat >"$TABLE" <<HEADER
| products | connections | req/s | p50 ms | p95 ms | p99 ms | errors | user errors | server CPU | PostgreSQL CPU | server peak MiB | GETs from cache |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
HEADER
for N in $SIZES; do
  ensure_seeded "$N"
  LOG="$OUT/mix-server-$N.log"
  : >"$LOG"
  # shellcheck disable=SC2086 # SERVER_ARGS is a list of flags
  start_server "$PORT" "$LOG" --cost-bucket 100000000 --cost-restore-rate 100000000 \
    --db-max-connections 32 $SERVER_ARGS
  URL="http://127.0.0.1:$PORT"
  prepare_mix "$URL" "$N"
  echo "products=$N: warming up for ${WARMUP}s" >&2
  wrk -t"$WRK_THREADS" -c32 -d"${WARMUP}s" -s tests/load/mix.lua "$URL" >/dev/null
  for c in $STEPS; do
    pg=$(postgres_pids)
    reset_peak "$SERVER"
    hits0=$(metric "$PORT" 'textisur_response_cache_total{result="hit"}')
    misses0=$(metric "$PORT" 'textisur_response_cache_total{result="miss"}')
    # shellcheck disable=SC2086 # pg is a list of pids
    server0=$(cpu_ticks "$SERVER") pg0=$(cpu_ticks $pg) started=$(date +%s.%N)
    out=$(wrk -t"$WRK_THREADS" -c"$c" -d"${DURATION}s" --timeout 10s -s tests/load/mix.lua "$URL")
    # shellcheck disable=SC2086
    server1=$(cpu_ticks "$SERVER") pg1=$(cpu_ticks $pg) ended=$(date +%s.%N)
    hits=$(metric "$PORT" 'textisur_response_cache_total{result="hit"}')
    misses=$(metric "$PORT" 'textisur_response_cache_total{result="miss"}')
    read -r _ rps p50 p95 p99 errors _ <<<"$(grep '^RESULT' <<<"$out")"
    graphql_errors=$(awk '/^GRAPHQL_ERRORS/ { print $2 }' <<<"$out")
    user_errors=$(awk '/^USER_ERRORS/ { print $2 }' <<<"$out")
    row=$(awk -v n="$N" -v c="$c" -v rps="$rps" -v p50="$p50" -v p95="$p95" -v p99="$p99" \
      -v errors="$((errors + graphql_errors))" -v user="$user_errors" -v t="$TICKS" \
      -v s="$((server1 - server0))" -v pg="$((pg1 - pg0))" -v secs="$(awk -v a="$started" -v b="$ended" 'BEGIN { print b - a }')" \
      -v peak="$(peak_mib "$SERVER")" -v h="$(awk -v a="$hits0" -v b="$hits" 'BEGIN { print b - a }')" \
      -v m="$(awk -v a="$misses0" -v b="$misses" 'BEGIN { print b - a }')" \
      'BEGIN { printf "| %\047d | %d | %\047d | %.2f | %.2f | %.2f | %d | %d | %.2f | %.2f | %d | %.0f %% |\n",
        n, c, rps, p50, p95, p99, errors, user, s / t / secs, pg / t / secs, peak, (h + m > 0 ? 100 * h / (h + m) : 0) }')
    echo "$row" | tee -a "$TABLE"
  done
  stop_server
done
echo "table written to $TABLE" >&2
