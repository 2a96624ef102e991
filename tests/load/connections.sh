#!/usr/bin/env bash
# Memory per held subscription: opens HOLD (10,000) graphql-transport-ws connections to the
# release server, each with an `orderUpdated` subscription, and prints the server's resident
# memory before and while they are held (VmRSS and VmHWM from /proc).
#
#   tests/load/connections.sh            # HOLD=10000 N=100000
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-100000}
HOLD=${HOLD:-10000}
PORT=${PORT:-18104}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=tests/load/out
mkdir -p "$OUT"
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
  cargo build --release -q -p textisur-tests --example commerce_load
fi
BIN=target/release/textisur
DB_URL="$PG/textisur_bench_${N}"
if ! psql "$DB_URL" -tAc "SELECT 1" >/dev/null 2>&1; then
  "$BIN" seed --database-url "$DB_URL" --products "$N" --seed 42
fi
# Each connection is a file descriptor on both sides.
ulimit -n "$(ulimit -Hn)"

KEYS="load:$(head -c 32 /dev/urandom | base64 -w0)"
LOG="$OUT/connections-$N.log"
# Every socket comes from one address and holds still: lift the per-address cap and the
# idle close.
RUST_LOG=warn TEXTISUR_JWT_KEYS="$KEYS" "$BIN" serve --database-url "$DB_URL" --no-demo-data \
  --indexer off --search-backend postgres --listen "127.0.0.1:$PORT" \
  --ws-max-connections-per-client 1000000 --ws-idle-timeout-seconds 3600 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
until curl -fsS "http://127.0.0.1:$PORT/health/live" >/dev/null 2>&1; do
  kill -0 "$SERVER" 2>/dev/null || { tail -n 20 "$LOG" >&2; exit 1; }
  sleep 0.2
done
rss() { awk '/^(VmRSS|VmHWM)/ { printf "%s %d MiB  ", $1, $2 / 1024 }' "/proc/$SERVER/status"; }
echo "server idle: $(rss)"
before=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status")

exec 3> >(target/release/examples/commerce_load --url "http://127.0.0.1:$PORT" \
  --database-url "$DB_URL" --jwt-keys "$KEYS" --hold "$HOLD" > "$OUT/connections-held.txt")
until grep -q HELD "$OUT/connections-held.txt" 2>/dev/null; do sleep 1; done
cat "$OUT/connections-held.txt"
held=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVER/status")
echo "server holding $HOLD subscriptions: $(rss)"
echo "CONNECTIONS held=$HOLD server_rss_mib=$((held / 1024)) per_connection_kib=$(((held - before) / HOLD))"
exec 3>&-
