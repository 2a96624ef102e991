#!/usr/bin/env bash
# Issue 24, "Revocation": three `textisur serve` processes on one database (each with its own
# index directory), a logout through the first, and how long the others keep accepting the
# session's access token. Runs tests/examples/revocation.rs, which prints
#
#   REVOCATION refusals p50_ms p95_ms p99_ms max_ms over_100ms
#
#   bash tests/scale/revocation.sh            # TRIES=100, BUILD=0 reuses target/release
#
# The session is warm in every process's 2 s cache of live sessions before each logout: the
# refusal has to come from the `SessionsEnded` notice that PostgreSQL carries to every process,
# not from that cache running out. Login limits are lifted for the one driver address.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-tests/scale/out}
source tests/load/common.sh
TRIES=${TRIES:-100}
PORTS=(18201 18202 18203)
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
  cargo build --release -q -p textisur-tests --example revocation
fi
DB_URL="$PG/textisur_scale_revocation"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_scale_revocation WITH (FORCE)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
urls=()
for i in "${!PORTS[@]}"; do
  port=${PORTS[$i]}
  rm -rf "$OUT/revocation-index-$i"
  INDEX_DIR="$OUT/revocation-index-$i"
  start_server "$port" "$OUT/revocation-server-$i.log" \
    --login-per-account-and-ip-per-minute 100000 --login-per-account-and-ip-per-hour 100000 \
    --login-per-account-per-hour 100000 --login-per-ip-per-minute 100000
  pids+=("$SERVER")
  urls+=("http://127.0.0.1:$port")
done
"$EXAMPLES/revocation" --urls "$(IFS=,; echo "${urls[*]}")" --tries "$TRIES"
