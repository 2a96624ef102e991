#!/usr/bin/env bash
# Commerce under load, end to end against the release server on 100,000 products:
# checkouts per second with 16 concurrent buyers, and messages per second delivered to
# 1,000 WebSocket subscribers (tests/examples/commerce_load.rs does the driving).
#
#   tests/load/commerce.sh
#   N=100000 BUYERS=16 SECONDS_=20 SUBSCRIBERS=1000 MESSAGES=200 RATE=20 tests/load/commerce.sh
#   SECONDS_=0 SUBSCRIBERS=10000 CONVERSATIONS=1000 MESSAGES=20000 RATE=1000 tests/load/commerce.sh
#       (no checkouts; 10,000 subscriptions over 1,000 conversations, 1,000 messages a second)
#
# Seeds textisur_bench_<N> when it does not hold N seeded products (as tests/load/search.sh
# does, sharing its database and index), starts `textisur serve` with the in-process indexer
# (every checkout changes stock, which the indexer re-indexes) and a JWT key made for the
# run, and prints the driver's two summary lines. The driver, the server and PostgreSQL
# share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-100000}
BUYERS=${BUYERS:-16}
SECONDS_=${SECONDS_:-20}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
MESSAGES=${MESSAGES:-200}
RATE=${RATE:-20}
CONVERSATIONS=${CONVERSATIONS:-1}
PORT=${PORT:-18103}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=tests/load/out
mkdir -p "$OUT"

# BUILD=0 reuses the binaries already in target/release.
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
  cargo build --release -q -p textisur-tests --example commerce_load
fi
BIN=target/release/textisur

DB=textisur_bench_${N}
DB_URL="$PG/$DB"
INDEX_DIR="$OUT/search-index-$N"
seeded=$(psql "$DB_URL" -tAc "SELECT count(*) FROM products WHERE EXISTS (SELECT 1 FROM users WHERE password_hash IS NOT NULL)" 2>/dev/null || echo 0)
if [ "$seeded" -lt "$N" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  rm -rf "$INDEX_DIR"
  echo "seeding $N products" >&2
  "$BIN" seed --database-url "$DB_URL" --products "$N" --seed 42
fi

# Each subscriber is a file descriptor on both sides.
ulimit -n "$(ulimit -Hn)"
KEYS="load:$(head -c 32 /dev/urandom | base64 -w0)"
LOG="$OUT/commerce-$N.log"
# Every socket comes from one address and holds still: lift the per-address cap and the
# idle close. Each of the 16 buyers checks out again and again: lift the unpaid-order cap.
RUST_LOG=warn TEXTISUR_JWT_KEYS="$KEYS" "$BIN" serve --database-url "$DB_URL" --no-demo-data \
  --cost-bucket 100000000 --cost-restore-rate 100000000 --db-max-connections 32 \
  --max-unpaid-orders 1000000000 \
  --index-dir "$INDEX_DIR" --ws-max-subscriptions 10 --listen "127.0.0.1:$PORT" \
  --ws-max-connections-per-client 1000000 --ws-idle-timeout-seconds 3600 >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
started=$SECONDS
until curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; do
  kill -0 "$SERVER" 2>/dev/null || { tail -n 20 "$LOG" >&2; exit 1; }
  ((SECONDS - started < 3600)) || { echo "server not ready" >&2; exit 1; }
  sleep 0.5
done

target/release/examples/commerce_load --url "http://127.0.0.1:$PORT" --database-url "$DB_URL" \
  --jwt-keys "$KEYS" --buyers "$BUYERS" --seconds "$SECONDS_" --subscribers "$SUBSCRIBERS" \
  --messages "$MESSAGES" --rate "$RATE" --conversations "$CONVERSATIONS" | tee "$OUT/commerce-$N.txt"
