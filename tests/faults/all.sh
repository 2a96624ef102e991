#!/usr/bin/env bash
# Every fault drill of tests/faults/drill.sh, one after the other, each checked by script
# (nothing lost, nothing duplicated, stock consistent, index verified, service back without a
# human); prints a Markdown table (also tests/load/out/faults.md) and fails if any drill did.
# Needs root: it stops and starts the local PostgreSQL cluster and Redis.
#
#   tests/faults/all.sh                  # FAULTS="sigkill postgres redis indexer" BUILD=0
set -uo pipefail
cd "$(dirname "$0")/../.."

FAULTS=${FAULTS:-sigkill postgres redis indexer}
OUT=tests/load/out
mkdir -p "$OUT"
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur || exit 1
  cargo build --release -q -p textisur-tests --example commerce_load || exit 1
fi
TABLE="$OUT/faults.md"
{
  echo "| fault (twice, under 16 buyers checking out) | checkouts acknowledged | checks passed | result |"
  echo "|---|---:|---:|---|"
} >"$TABLE"
failed=0
for fault in $FAULTS; do
  echo "== fault drill: $fault" >&2
  FAULT=$fault BUILD=0 bash tests/faults/drill.sh >"$OUT/fault-$fault.txt" 2>&1
  status=$?
  cat "$OUT/fault-$fault.txt"
  summary=$(grep -E "^fault $fault: " "$OUT/fault-$fault.txt" | tail -n 1)
  passed=$(awk '{ print $3 }' <<<"$summary")
  checks=$((passed + $(awk '{ print $5 }' <<<"$summary")))
  orders=$(sort -u "$OUT/fault-$fault-acked.txt" 2>/dev/null | awk '{ print $1 }' | sort -u | wc -l)
  result=PASS
  [ "$status" = 0 ] || { result=FAIL; failed=$((failed + 1)); }
  echo "| $fault | $orders | ${passed:-0}/${checks} | $result |" >>"$TABLE"
done
cat "$TABLE"
[ "$failed" = 0 ]
