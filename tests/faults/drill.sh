#!/usr/bin/env bash
# Fault drill under checkouts: 16 buyers check out for SECONDS_ (20) seconds while FAULT
# strikes twice; the load driver (tests/examples/commerce_load.rs) retries every failed
# checkout with its idempotency key, as a client must, and records every acknowledged order.
#
#   FAULT=sigkill    the server killed with SIGKILL and restarted (as a supervisor would)
#   FAULT=postgres   the PostgreSQL cluster restarted under the running server
#   FAULT=redis      Redis killed (SHUTDOWN NOSAVE: every registered query lost) and started
#                    again, while a wrk loop sends an automatic persisted query by hash;
#                    checks that no hit failed and that registrations reach Redis again
#   FAULT=indexer    the server runs with --indexer off beside a `textisur indexer`
#                    process; a `textisur reindex` is killed with SIGKILL mid-build and the
#                    indexer with it; both are run again
#
# Then, by script: no acknowledged order lost, no key with two orders at one store, stock
# consistent with the orders, every order complete (lines and history), the service ready
# again without a human, and `textisur index verify` clean once the indexer caught up. The
# seeded demo orders (no idempotency key) are left out of the order checks; the driver raised
# its products' stock to 1,000,000 after seeding, so only its own orders ("load-" keys)
# count against that stock.
#
#   FAULT=postgres tests/faults/drill.sh          # BUILD=0 reuses target/release binaries
set -euo pipefail
cd "$(dirname "$0")/../.."

FAULT=${FAULT:-sigkill}
PORT=${PORT:-18105}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB=textisur_fault_$FAULT
DB_URL="$PG/$DB"
SECONDS_=${SECONDS_:-20}
OUT=tests/load/out
mkdir -p "$OUT"
case $FAULT in sigkill | postgres | redis | indexer) ;; *) echo "unknown FAULT $FAULT" >&2; exit 2 ;; esac
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
  cargo build --release -q -p textisur-tests --example commerce_load
fi
command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
BIN=target/release/textisur
INDEX=$(mktemp -d)
ACKED="$OUT/fault-$FAULT-acked.txt"
LOG="$OUT/fault-$FAULT.log"
: >"$ACKED"
: >"$LOG"
URL="http://127.0.0.1:$PORT"
PG_VERSION=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
# The indexer drill needs a reindex that lasts long enough to be killed in the middle.
PRODUCTS=${PRODUCTS:-$([ "$FAULT" = indexer ] && echo 50000 || echo 2000)}
"$BIN" seed --database-url "$DB_URL" --products "$PRODUCTS" --seed 7 >/dev/null 2>&1
KEYS="fault:$(head -c 32 /dev/urandom | base64 -w0)"
# A short breaker period, so the Redis drill sees registrations come back within seconds.
export TEXTISUR_REDIS_RETRY_AFTER_MS=${TEXTISUR_REDIS_RETRY_AFTER_MS:-1000}

SERVER= INDEXER= DRIVER= LOOP= KILLED_MID_BUILD=0
SERVER_FLAGS=()
[ "$FAULT" = indexer ] && SERVER_FLAGS=(--indexer off)
start() {
  RUST_LOG=warn TEXTISUR_JWT_KEYS="$KEYS" "$BIN" serve --database-url "$DB_URL" \
    --no-demo-data --index-dir "$INDEX" --cost-bucket 100000000 --cost-restore-rate 100000000 \
    --listen "127.0.0.1:$PORT" "${SERVER_FLAGS[@]}" >>"$LOG" 2>&1 &
  SERVER=$!
  local started=$SECONDS
  until curl -fsS "$URL/health/ready" >/dev/null 2>&1; do
    ((SECONDS - started < 120)) || { echo "server not ready after 120 s" >&2; exit 1; }
    sleep 0.05
  done
}
start_indexer() {
  RUST_LOG=warn "$BIN" indexer --database-url "$DB_URL" --index-dir "$INDEX" >>"$LOG" 2>&1 &
  INDEXER=$!
}
pg() { pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main "$1" >>"$LOG" 2>&1; }
redis_start() {
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >>"$LOG"
  until redis-cli ping >/dev/null 2>&1; do sleep 0.05; done
}
cleanup() {
  kill "$SERVER" "$INDEXER" "$DRIVER" "$LOOP" 2>/dev/null || true
  wait 2>/dev/null || true
  redis-cli ping >/dev/null 2>&1 || redis_start
  pg_isready -h 127.0.0.1 -q || pg start || true
  rm -rf "$INDEX"
}
trap cleanup EXIT
[ "$FAULT" = indexer ] && start_indexer
start

# The Redis drill: an automatic persisted query registered (so in Redis and in memory), then
# asked for by hash only, over GET, for the whole run.
if [ "$FAULT" = redis ]; then
  QUERY="query FaultDrill { categories { name } } # $RANDOM$RANDOM"
  HASH=$(printf '%s' "$QUERY" | sha256sum | cut -d' ' -f1)
  EXT="{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"$HASH\"}}"
  jq -n --arg q "$QUERY" --argjson e "$EXT" '{query: $q, extensions: $e}' \
    | curl -fsS -H 'content-type: application/json' --data-binary @- "$URL/graphql" >/dev/null
  PATH_QUERY="/graphql?extensions=$(jq -rn --arg e "$EXT" '$e|@uri')" \
    wrk -t1 -c4 -d"$((SECONDS_ + 5))s" -s tests/load/get.lua "$URL" >"$OUT/fault-redis-wrk.txt" &
  LOOP=$!
fi

target/release/examples/commerce_load --url "$URL" --database-url "$DB_URL" \
  --jwt-keys "$KEYS" --buyers 16 --seconds "$SECONDS_" --subscribers 0 --acked "$ACKED" \
  >"$OUT/fault-$FAULT-driver.txt" 2>>"$LOG" &
DRIVER=$!
for round in 1 2; do
  sleep $((SECONDS_ / 3))
  echo "fault $FAULT, round $round, after $(wc -l <"$ACKED") acknowledged orders" >&2
  case $FAULT in
    sigkill)
      kill -9 "$SERVER"
      wait "$SERVER" 2>/dev/null || true
      start
      ;;
    postgres)
      pg stop
      sleep 2
      pg start
      ;;
    redis)
      redis-cli shutdown nosave >/dev/null 2>&1 || true
      sleep 3
      redis_start
      ;;
    indexer)
      RUST_LOG=warn "$BIN" reindex --database-url "$DB_URL" --index-dir "$INDEX" >>"$LOG" 2>&1 &
      reindex=$!
      sleep 1
      if kill -0 "$reindex" 2>/dev/null; then
        KILLED_MID_BUILD=$((KILLED_MID_BUILD + 1))
      fi
      kill -9 "$reindex" "$INDEXER" 2>/dev/null || true
      wait "$reindex" "$INDEXER" 2>/dev/null || true
      start_indexer
      ;;
  esac
done
wait "$DRIVER"
DRIVER=
cat "$OUT/fault-$FAULT-driver.txt"
if [ "$FAULT" = indexer ]; then
  # The reindex killed twice runs once more, to the end, beside the live indexer.
  RUST_LOG=warn "$BIN" reindex --database-url "$DB_URL" --index-dir "$INDEX" >>"$LOG" 2>&1
fi

# Back without a human: ready again, and the indexer caught up on what was committed around
# the faults.
ready_within=
for i in $(seq 1 600); do
  if curl -fsS "$URL/health/ready" 2>/dev/null | grep -q '"lagRows":0'; then ready_within=$i; break; fi
  sleep 0.1
done
passed=0
failed=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "ok: $1 ($3)"
  else failed=$((failed + 1)); echo "FAILED: $1: expected $2, got $3"; fi
}
sql() { psql "$DB_URL" -tAc "$1"; }

acked_ids=$(python3 tests/faults/acked-ids.py "$ACKED")
acked_count=$(sort -u "$ACKED" | wc -l)
if [ "$FAULT" = indexer ]; then
  check "the reindex was killed mid-build both times" 2 "$KILLED_MID_BUILD"
fi
check "ready again, indexer caught up" true "$([ -n "$ready_within" ] && echo true || echo false)"
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
if [ "$FAULT" = redis ]; then
  wait "$LOOP" || true
  LOOP=
  read -r _ _ _ _ _ hit_errors hits <<<"$(grep '^RESULT' "$OUT/fault-redis-wrk.txt")"
  check "persisted hits served through the outage" "0 errors" "${hit_errors:-?} errors"
  echo "persisted hits during the run: ${hits:-0}"
  # A new registration reaches Redis again once the breaker's trial call succeeds.
  QUERY2="query FaultDrillAfter { categories { slug } } # $RANDOM$RANDOM"
  HASH2=$(printf '%s' "$QUERY2" | sha256sum | cut -d' ' -f1)
  stored=false
  for _ in $(seq 1 100); do
    jq -n --arg q "$QUERY2" --arg h "$HASH2" '{query: $q, extensions: {persistedQuery: {version: 1, sha256Hash: $h}}}' \
      | curl -fsS -H 'content-type: application/json' --data-binary @- "$URL/graphql" >/dev/null
    if [ "$(redis-cli exists "textisur:apq:$HASH2")" = 1 ]; then stored=true; break; fi
    sleep 0.1
  done
  check "registrations reach Redis again" true "$stored"
fi
kill "$SERVER" "$INDEXER" 2>/dev/null || true
wait "$SERVER" "$INDEXER" 2>/dev/null || true
if RUST_LOG=warn "$BIN" index verify --database-url "$DB_URL" --index-dir "$INDEX" >"$OUT/fault-$FAULT-verify.txt" 2>&1; then
  check "index verify clean" 0 0
else
  check "index verify clean" 0 "$(wc -l <"$OUT/fault-$FAULT-verify.txt") lines of differences"
fi
echo "fault $FAULT: $passed passed, $failed failed"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null
[ "$failed" = 0 ]
