#!/usr/bin/env bash
# Soak: the request mix of tests/load/mix.sh for MINUTES (10) minutes at CONNECTIONS (16),
# against the release server on 100,000 products, measured minute by minute after WARMUP
# (60) seconds not counted. A soak looks for growth (a leak, a slowdown). The start is the
# median of the first WINDOW (3) minutes and the end the median of the last WINDOW, for the
# server's resident memory (each minute the mean of readings every RSS_EVERY (5) seconds) and
# for p99; the run passes (exit 0) when neither ends more than TOLERANCE (10) % above its
# start. Memory or latency that fell passes; both changes are printed with their sign, and
# req/s too. Prints a Markdown table either way (tests/load/out/soak.md).
#
#   tests/load/soak.sh                  # N=100000 MINUTES=10 CONNECTIONS=16 BUILD=0 RESEED=1
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh

N=${N:-100000}
MINUTES=${MINUTES:-10}
CONNECTIONS=${CONNECTIONS:-16}
WARMUP=${WARMUP:-60}
WINDOW=${WINDOW:-3}
export WRK_THREADS=${WRK_THREADS:-2}
TOLERANCE=${TOLERANCE:-10}
# A soak starts from a freshly seeded catalogue (about a minute with the index build).
export RESEED=${RESEED:-1}
PORT=${PORT:-18111}
if ((MINUTES < 2 * WINDOW)); then
  echo "MINUTES ($MINUTES) must be at least twice WINDOW ($WINDOW)" >&2
  exit 2
fi
TABLE="$OUT/soak.md"

need_tools
build_release
trap finish EXIT
production_postgres
ulimit -n "$(ulimit -Hn)"
ensure_seeded "$N"
LOG="$OUT/soak-server-$N.log"
: >"$LOG"
# A few seeded buyers stand for many shoppers: the unpaid-order cap is lifted with the cost
# bucket, or their checkouts would turn into LIMIT_REACHED after five.
start_server "$PORT" "$LOG" --cost-bucket 100000000 --cost-restore-rate 100000000 \
  --max-unpaid-orders 1000000000 --db-max-connections 32
URL="http://127.0.0.1:$PORT"
prepare_mix "$URL" "$N"
echo "warming up for ${WARMUP}s" >&2
# Where in the mix each run starts (mix.lua): every run continues the sequence.
export START=0
advance() { START=$((START + $(awk '/^RESULT/ { print $7 }' <<<"$1") / WRK_THREADS)); }
advance "$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s tests/load/mix.lua "$URL")"

{
  echo "| minute | req/s | p50 ms | p95 ms | p99 ms | errors | server RSS MiB, mean | server RSS MiB, range |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
} | tee "$TABLE"
rps_of=() p99_of=() rss_of=()
for minute in $(seq 1 "$MINUTES"); do
  errors0=$(metric_sum "$PORT" textisur_graphql_errors_total)
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d60s --timeout 10s -s tests/load/mix.lua "$URL" >"$OUT/soak-wrk.txt" &
  wrk_pid=$!
  # Resident memory swings by a tenth within a minute (in-flight search pages allocate and
  # free their facet counts), so one reading says little: sample it every RSS_EVERY seconds.
  samples=()
  while kill -0 "$wrk_pid" 2>/dev/null; do
    samples+=("$(rss_mib "$SERVER")")
    sleep "${RSS_EVERY:-5}"
  done
  wait "$wrk_pid"
  out=$(cat "$OUT/soak-wrk.txt")
  read -r _ rps p50 p95 p99 errors _ <<<"$(grep '^RESULT' <<<"$out")"
  advance "$out"
  errors=$((errors + $(metric_sum "$PORT" textisur_graphql_errors_total) - errors0))
  read -r rss low high <<<"$(printf '%s\n' "${samples[@]}" | awk '{ sum += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 } END { printf "%d %d %d", sum / NR, lo, hi }')"
  printf '| %d | %.0f | %.2f | %.2f | %.2f | %d | %d | %d to %d |\n' "$minute" "$rps" "$p50" "$p95" "$p99" \
    "$errors" "$rss" "$low" "$high" | tee -a "$TABLE"
  rps_of+=("$rps") p99_of+=("$p99") rss_of+=("$rss")
done
# The start is the median of the first WINDOW minutes, the end the median of the last
# WINDOW: one minute's p99 on shared cores moves by about a tenth with no trend, so
# comparing two single minutes measures that noise.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
verdict=$(awk -v w="$WINDOW" -v n="$MINUTES" -v tol="$TOLERANCE" \
  -v r0="$(median "${rps_of[@]:0:WINDOW}")" -v r1="$(median "${rps_of[@]: -WINDOW}")" \
  -v l0="$(median "${p99_of[@]:0:WINDOW}")" -v l1="$(median "${p99_of[@]: -WINDOW}")" \
  -v m0="$(median "${rss_of[@]:0:WINDOW}")" -v m1="$(median "${rss_of[@]: -WINDOW}")" 'BEGIN {
  dm = 100 * (m1 - m0) / m0; dl = 100 * (l1 - l0) / l0; dr = 100 * (r1 - r0) / r0
  ok = (dm <= tol && dl <= tol)
  printf "%s memory %+.1f %% (%d -> %d MiB), p99 %+.1f %% (%.2f -> %.2f ms), at most +%d %%; req/s %+.1f %% (%.0f -> %.0f); medians of minutes 1-%d against %d-%d",
    ok ? "PASS" : "FAIL", dm, m0, m1, dl, l0, l1, tol, dr, r0, r1, w, n - w + 1, n }')
echo "SOAK $verdict" | tee -a "$TABLE"
[[ $verdict == PASS* ]]
