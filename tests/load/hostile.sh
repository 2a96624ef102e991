#!/usr/bin/env bash
# The server's own time to refuse each hostile input of issue 6, release build: the
# `duration_ms` of the request log (from the request's arrival at the router to its response,
# the body read included), matched by `x-request-id`. Each input is sent REPEAT times; the
# table shows the median and the largest server time, and the client's median.
#
#   tests/load/hostile.sh       # REPEAT=20 PORT=18096 override
set -euo pipefail
cd "$(dirname "$0")/../.."

REPEAT=${REPEAT:-20}
PORT=${PORT:-18096}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB_URL="$PG/textisur_bench_hostile"
OUT=tests/load/out/hostile
mkdir -p "$OUT"

cargo build --release -q -p textisur-api --bin textisur
BIN=${CARGO_TARGET_DIR:-target}/release/textisur
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_bench_hostile WITH (FORCE)"
"$BIN" seed --database-url "$DB_URL" --products 200 --seed 42 >/dev/null
RUST_LOG=info "$BIN" --log-format json serve --database-url "$DB_URL" --listen "127.0.0.1:$PORT" \
  --no-demo-data --cost-bucket 1000000 --cost-restore-rate 1000000 >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done

# The bodies, exactly as tests/tests/scenarios/hostile_queries.rs builds them.
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def q(text, **extra):
    return json.dumps({"query": text, **extra})
cases = {
    "10000-aliases": q("{ " + "".join(f"a{i}: __typename " for i in range(10_000)) + " }"),
    "10000-nested": q("{ products { nodes { store " * 2_500 + "}" * 10_000),
    "fragment-cycle": q("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
    "1000000-tokens": q("{ " + "a " * 1_000_000 + " }"),
    "batch-of-1000": json.dumps([{"query": "{ __typename }"}] * 1_000),
    "5mb-variables": q("query($x: String) { __typename }", variables={"x": "v" * (5 * 1024 * 1024)}),
    "first-100-four-deep": q("{ products(first: 100) { nodes { reviews(first: 100) { nodes { product { store { "
                             "products(first: 100) { nodes { reviews(first: 100) { nodes { rating } } } } } } } } } } }"),
}
for name, body in cases.items():
    with open(f"{out}/{name}.json", "w") as f:
        f.write(body)
print(" ".join(cases))
PY
CASES="10000-aliases 10000-nested fragment-cycle 1000000-tokens batch-of-1000 5mb-variables first-100-four-deep"
: >"$OUT/client.tsv"
for name in $CASES; do
  for i in $(seq 1 "$REPEAT"); do
    curl -sS -o "$OUT/$name.response" -w "$name\t%{http_code}\t%{time_total}\n" \
      -H 'content-type: application/json' -H 'accept: application/graphql-response+json' \
      -H "x-request-id: hostile-$name-$i" --data-binary "@$OUT/$name.json" \
      "http://127.0.0.1:$PORT/graphql" >>"$OUT/client.tsv" || true
  done
done
sleep 0.5 # let the last log lines reach the file

python3 - "$OUT" "$CASES" <<'PY'
import json, statistics, sys
out, cases = sys.argv[1], sys.argv[2].split()
server = {}
for line in open(f"{out}/server.log"):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    fields = entry.get("fields", entry)
    rid = str(fields.get("request_id", ""))
    if rid.startswith("hostile-") and "duration_ms" in fields:
        server.setdefault(rid.rsplit("-", 1)[0][len("hostile-"):], []).append(float(fields["duration_ms"]))
client, status = {}, {}
for line in open(f"{out}/client.tsv"):
    name, code, seconds = line.split("\t")
    client.setdefault(name, []).append(float(seconds) * 1000)
    status[name] = code
print("| input | status | code | server median ms | server max ms | client median ms | runs |")
print("|---|---:|---|---:|---:|---:|---:|")
for name in cases:
    body = json.load(open(f"{out}/{name}.response"))
    code = body["errors"][0]["extensions"].get("code") if isinstance(body, dict) else "?"
    limit = body["errors"][0]["extensions"].get("limit") if isinstance(body, dict) else None
    times = server.get(name, [])
    print(f"| {name} | {status[name]} | {code}{' (' + limit + ')' if limit else ''} | "
          f"{statistics.median(times):.2f} | {max(times):.2f} | {statistics.median(client[name]):.2f} | {len(times)} |")
PY
