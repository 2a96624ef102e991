#!/usr/bin/env bash
# Instructions per request, counted by callgrind: a measure that repeats on a shared, noisy
# machine where req/s does not. For each binary, the release server runs under valgrind on
# the seeded benchmark database (response cache off); after 50 warm-up requests the counters
# are zeroed, exactly N requests are sent one after another over one keep-alive connection,
# and the counters are dumped: the dump's total over N is the server's instructions per
# request (all its threads, PostgreSQL not included).
#
#   BINS="/path/old/textisur /path/new/textisur" tests/load/instructions.sh
#   N_SMALL=2000 N_NESTED=200 PRODUCTS=100000 tests/load/instructions.sh
#
# Bodies: `{ __typename }` (N_SMALL requests) and the nested page of issue 22 (N_NESTED).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh
BINS=${BINS:-$BIN}
N_SMALL=${N_SMALL:-2000}
N_NESTED=${N_NESTED:-200}
PRODUCTS=${PRODUCTS:-100000}
PORT=${PORT:-18151}
need_tools
command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind) >/dev/null
BIN=${BINS%% *}
ensure_seeded "$PRODUCTS"

work=$(mktemp -d)
printf '%s' '{"query":"{ __typename }"}' >"$work/typename.json"
jq -nc '{query: "{ products(first: 20, sort: NEWEST) { nodes { name price { amount } store { name city } category { name } reviews(first: 3) { nodes { rating author { name } } } } } }"}' \
  >"$work/nested.json"
cat >"$work/send.py" <<'PY'
import http.client, sys
port, body_file, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = open(body_file, 'rb').read()
c = http.client.HTTPConnection('127.0.0.1', port)
for _ in range(n):
    c.request('POST', '/graphql', body, {'Content-Type': 'application/json',
                                         'Accept': 'application/graphql-response+json'})
    r = c.getresponse(); data = r.read()
    assert r.status == 200 and b'"errors"' not in data, data[:300]
PY

VG=
trap '[ -n "$VG" ] && kill $VG 2>/dev/null; rm -rf "$work"' EXIT
for bin in $BINS; do
  out="$work/cg.out"
  rm -f "$out"*
  RUST_LOG=warn TEXTISUR_JWT_KEYS="$KEYS" valgrind -q --tool=callgrind --callgrind-out-file="$out" \
    "$bin" serve --database-url "$DB_URL" --no-demo-data --index-dir "$INDEX_DIR" \
    --listen "127.0.0.1:$PORT" --response-cache-seconds 0 --cost-bucket 100000000 \
    --cost-restore-rate 100000000 >"$OUT/instructions.log" 2>&1 &
  VG=$!
  until curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1; do
    kill -0 "$VG" 2>/dev/null || { tail -n 20 "$OUT/instructions.log" >&2; exit 1; }
    sleep 1
  done
  dump=0
  for body in typename nested; do
    n=$([ "$body" = typename ] && echo "$N_SMALL" || echo "$N_NESTED")
    python3 "$work/send.py" "$PORT" "$work/$body.json" 50
    callgrind_control -z "$VG" >/dev/null 2>&1
    python3 "$work/send.py" "$PORT" "$work/$body.json" "$n"
    callgrind_control -d "$body" "$VG" >/dev/null 2>&1
    dump=$((dump + 1))
    until [ -s "$out.$dump" ]; do sleep 0.2; done
    total=$(awk '/^(summary|totals):/ { print $2; exit }' "$out.$dump")
    printf '%-40s %-9s %6d requests  %10d instructions/request\n' "$bin" "$body" "$n" $((total / n))
  done
  kill "$VG"; wait "$VG" 2>/dev/null || true
  VG=
done
