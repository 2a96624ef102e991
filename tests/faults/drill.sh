#!/usr/bin/env bash
# Fault drill: the server killed with SIGKILL, twice, while 16 buyers check out. The load
# driver (tests/examples/commerce_load.rs) retries every failed checkout with its idempotency
# key, as a client must, and records every acknowledged order. Then, by script:
# no acknowledged order lost, no key with two orders at one store, stock consistent with the
# orders, every order complete (lines and history), and `textisur index verify` clean once
# the restarted server's indexer caught up. The seeded demo orders (no idempotency key) are
# left out of the order checks; the driver raised its products' stock to 1,000,000 after
# seeding, so only its own orders ("load-" keys) count against that stock. The service comes back without a human: the
# script only restarts the process, as a supervisor would.
#
#   tests/faults/checkout-crash.sh          # BUILD=0 reuses target/release binaries
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT=${PORT:-18105}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=textisur_fault_checkout
DB_URL="$PG/$DB"
SECONDS_=${SECONDS_:-20}
OUT=tests/load/out
mkdir -p "$OUT"
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
  cargo build --release -q -p textisur-tests --example commerce_load
fi
BIN=target/release/textisur
INDEX=$(mktemp -d)
ACKED="$OUT/checkout-crash-acked.txt"
LOG="$OUT/checkout-crash.log"
: >"$ACKED"
: >"$LOG"

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
"$BIN" seed --database-url "$DB_URL" --products 2000 --seed 7 >/dev/null 2>&1
KEYS="fault:$(head -c 32 /dev/urandom | base64 -w0)"

SERVER=
start() {
  RUST_LOG=warn TEXTISUR_JWT_KEYS="$KEYS" "$BIN" serve --database-url "$DB_URL" \
    --no-demo-data --index-dir "$INDEX" --cost-bucket 100000000 --cost-restore-rate 100000000 \
    --listen "127.0.0.1:$PORT" >>"$LOG" 2>&1 &
  SERVER=$!
  local started=$(date +%s.%N)
  until curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; do sleep 0.05; done
  echo "server up in $(echo "$(date +%s.%N) - $started" | bc) s" >&2
}
cleanup() {
  kill "$SERVER" "${DRIVER:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$INDEX"
}
trap cleanup EXIT
start

target/release/examples/commerce_load --url "http://127.0.0.1:$PORT" --database-url "$DB_URL" \
  --jwt-keys "$KEYS" --buyers 16 --seconds "$SECONDS_" --subscribers 0 --acked "$ACKED" \
  >"$OUT/checkout-crash-driver.txt" 2>>"$LOG" &
DRIVER=$!
for round in 1 2; do
  sleep $((SECONDS_ / 3))
  echo "SIGKILL $round after $(wc -l <"$ACKED") acknowledged orders" >&2
  kill -9 "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  start
done
wait "$DRIVER"
cat "$OUT/checkout-crash-driver.txt"

# The restarted indexer catches up on what was committed around the crashes.
until curl -fsS "http://127.0.0.1:$PORT/health/ready" | grep -q '"lagRows":0'; do sleep 0.2; done
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true

passed=0
failed=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok: $1 ($3)"
  else failed=$((failed + 1)); echo "FAILED: $1: expected $2, got $3"; fi
}
sql() { psql "$DB_URL" -tAc "$1"; }

acked_ids=$(python3 - "$ACKED" <<'PY'
import base64, sys
ids = set()
for line in open(sys.argv[1]):
    key, gid = line.split()
    kind, n = base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode().split(":")
    ids.add(int(n))
print(",".join(map(str, sorted(ids))) or "0")
PY
)
acked_count=$(sort -u "$ACKED" | wc -l)
check "acknowledged orders recorded" true "$([ "$acked_count" -gt 0 ] && echo true || echo false)"
check "no acknowledged order lost" "$acked_count" "$(sql "SELECT count(*) FROM orders WHERE id IN ($acked_ids)")"
check "no key with two orders at one store" 0 "$(sql "SELECT count(*) FROM (SELECT 1 FROM orders WHERE idempotency_key LIKE 'load-%' GROUP BY buyer_id, idempotency_key, store_id HAVING count(*) > 1) d")"
check "every acknowledged key names exactly its orders" 0 "$(python3 - "$ACKED" <<'PY' | psql "$DB_URL" -tA
import sys
pairs = {}
for line in open(sys.argv[1]):
    key, gid = line.split()
    pairs.setdefault(key, set()).add(gid)
values = ",".join(f"('{k}', {len(v)})" for k, v in pairs.items())
print(f"SELECT count(*) FROM (VALUES {values}) a(key, n) WHERE n <> (SELECT count(*) FROM orders WHERE idempotency_key = a.key);")
PY
)"
check "stock consistent with the orders" 0 "$(sql "SELECT count(*) FROM products p JOIN (SELECT product_id, sum(quantity) AS sold FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.idempotency_key LIKE 'load-%' AND o.status <> 'CANCELLED' GROUP BY product_id) s ON s.product_id = p.id WHERE p.stock + s.sold <> 1000000")"
check "every order has lines and a history" 0 "$(sql "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines WHERE order_id = o.id) OR NOT EXISTS (SELECT 1 FROM order_status_history WHERE order_id = o.id)")"
check "every order's key is recorded with it" 0 "$(sql "SELECT count(*) FROM orders o WHERE o.idempotency_key LIKE 'load-%' AND NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.user_id = o.buyer_id AND k.key = o.idempotency_key AND o.id = ANY(k.order_ids))")"
if RUST_LOG=warn "$BIN" index verify --database-url "$DB_URL" --index-dir "$INDEX" >"$OUT/checkout-crash-verify.txt" 2>&1; then
  check "index verify clean" 0 0
else
  check "index verify clean" 0 "$(wc -l <"$OUT/checkout-crash-verify.txt") lines of differences"
fi
echo "checkout-crash: $passed passed, $failed failed"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
[ "$failed" = 0 ]
