#!/usr/bin/env bash
# Product search, tantivy index against PostgreSQL full-text search, side by side, end to end
# over HTTP against the release server.
#
#   tests/load/search.sh                                  # 100,000 then 1,000,000 products
#   SIZES=100000 DURATION=5 FRESHNESS_SECONDS=10 tests/load/search.sh
#
# For each size in SIZES: seeds a dedicated database (textisur_bench_<N>) unless it already
# holds N seeded products, starts `textisur serve` twice on it, TEXTISUR_SEARCH_BACKEND=index
# (in-process indexer, index in tests/load/out/search-index-<N>, built at start when missing)
# and TEXTISUR_SEARCH_BACKEND=postgres (no indexer), checks that both answer the 200 queries
# of tests/load/search-queries.json without errors (and how their totals compare), then
# drives each with wrk through the same fixed mix (for at least DURATION seconds, and at
# least as long as the mix took one query at a time, so every query counts) and prints
# req/s, p50/p95/p99 and errors per backend, and the p50 ratio postgres/index. Last, the
# freshness benchmark (tests/examples/search_freshness.rs): how long a committed rename
# takes to be searchable, on the backends of FRESHNESS_BACKENDS (default: index). Tables are
# also written to tests/load/out/. wrk, both servers and PostgreSQL share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZES=${SIZES:-100000 1000000}
# Concurrency levels: latency at light load, and throughput at saturation.
CONNECTIONS=${CONNECTIONS:-1 4 16}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-3}
FRESHNESS_SECONDS=${FRESHNESS_SECONDS:-30}
FRESHNESS_BACKENDS=${FRESHNESS_BACKENDS:-index}
# How often the freshness probe polls for pending renames. At 10 ms its own aliased
# searches (about 8,000 a second at 1,000,000 products) saturated the server and measured
# the probe; 50 ms keeps it light, and a latency is late by at most one interval.
FRESHNESS_POLL_MS=${FRESHNESS_POLL_MS:-50}
# Building the index of 1,000,000 products takes minutes; readiness waits for it.
READY_TIMEOUT=${READY_TIMEOUT:-3600}
PORT_INDEX=${PORT_INDEX:-18101}
PORT_POSTGRES=${PORT_POSTGRES:-18102}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
QUERIES=tests/load/search-queries.json
OUT=tests/load/out
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
command -v jq >/dev/null || (apt-get install -y -qq jq >/dev/null)

cargo build --release -q -p textisur-api --bin textisur
cargo build --release -q -p textisur-tests --example search_freshness
BIN=target/release/textisur
FRESHNESS=target/release/examples/search_freshness

SERVERS=()
stop_servers() {
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVERS=()
}
trap stop_servers EXIT

# wait_ready PORT LOG: polls /health/ready until it answers 200.
wait_ready() {
  local started=$SECONDS
  until curl -fsS "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "${SERVERS[-1]}" 2>/dev/null; then
      echo "the server on :$1 exited; its log ($2):" >&2
      tail -n 20 "$2" >&2
      exit 1
    fi
    if ((SECONDS - started > READY_TIMEOUT)); then
      echo "the server on :$1 was not ready after $READY_TIMEOUT s" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo $((SECONDS - started))
}

# check_queries PORT: sends each query once, one at a time; prints "errors zero_hits
# seconds" and writes the totals.
check_queries() {
  python3 - "$1" "$QUERIES" <<'EOF'
import json, math, sys, time, urllib.request
started = time.monotonic()
port, path = sys.argv[1], sys.argv[2]
errors, zero, totals = 0, 0, []
for body in json.load(open(path, encoding="utf-8")):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps(body).encode(),
        headers={"content-type": "application/json", "accept": "application/graphql-response+json"})
    try:
        answer = json.load(urllib.request.urlopen(request, timeout=120))
    except Exception as e:  # an HTTP error is an error of the mix
        print(f"query {body['variables']}: {e}", file=sys.stderr)
        answer = {"errors": [str(e)]}
    if answer.get("errors"):
        errors += 1
        print(f"query {body['variables']} answered {answer['errors']}", file=sys.stderr)
        totals.append(-1)
        continue
    total = answer["data"]["products"]["totalCount"]
    zero += total == 0
    totals.append(total)
print(errors, zero, math.ceil(time.monotonic() - started))
with open(f"tests/load/out/search-totals-{port}.txt", "w") as out:
    out.write("\n".join(map(str, totals)) + "\n")
EOF
}

for N in $SIZES; do
  DB=textisur_bench_${N}
  DB_URL="$PG/$DB"
  INDEX_DIR="$OUT/search-index-$N"
  seeded=$(psql "$DB_URL" -tAc "SELECT count(*) FROM products WHERE EXISTS (SELECT 1 FROM users WHERE password_hash IS NOT NULL)" 2>/dev/null || echo 0)
  if [ "$seeded" != "$N" ]; then
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    rm -rf "$INDEX_DIR"
    echo "seeding $N products" >&2
    start=$SECONDS
    "$BIN" seed --database-url "$DB_URL" --products "$N" --seed 42
    echo "seeded in $((SECONDS - start)) s" >&2
  fi

  common=(serve --database-url "$DB_URL" --no-demo-data --cost-bucket 1000000
    --cost-restore-rate 1000000 --db-max-connections 32 --index-dir "$INDEX_DIR")
  echo "starting the index backend on :$PORT_INDEX (builds the index when missing)" >&2
  RUST_LOG=warn TEXTISUR_SEARCH_BACKEND=index TEXTISUR_INDEXER=in-process \
    "$BIN" "${common[@]}" --listen "127.0.0.1:$PORT_INDEX" >"$OUT/search-index-$N.log" 2>&1 &
  SERVERS+=($!)
  ready_index=$(wait_ready "$PORT_INDEX" "$OUT/search-index-$N.log")
  echo "index backend ready after $ready_index s" >&2
  # The second server only reads: the first one's indexer is the index's only writer.
  RUST_LOG=warn TEXTISUR_SEARCH_BACKEND=postgres TEXTISUR_INDEXER=off \
    "$BIN" "${common[@]}" --listen "127.0.0.1:$PORT_POSTGRES" >"$OUT/search-postgres-$N.log" 2>&1 &
  SERVERS+=($!)
  wait_ready "$PORT_POSTGRES" "$OUT/search-postgres-$N.log" >/dev/null

  declare -A PORTS=([index]=$PORT_INDEX [postgres]=$PORT_POSTGRES)
  declare -A CHECK=()
  for backend in index postgres; do
    CHECK[$backend]=$(check_queries "${PORTS[$backend]}")
    read -r errors zero seconds <<<"${CHECK[$backend]}"
    echo "$backend: $errors of 200 queries answered errors, $zero matched nothing, ${seconds}s one after another" >&2
  done
  same=$(paste "$OUT/search-totals-$PORT_INDEX.txt" "$OUT/search-totals-$PORT_POSTGRES.txt" | awk '$1 == $2' | wc -l)
  paste "$OUT/search-totals-$PORT_INDEX.txt" "$OUT/search-totals-$PORT_POSTGRES.txt" >"$OUT/search-totals-$N.tsv"

  TABLE="$OUT/search-$N.md"
  {
    echo "| backend | connections | req/s | p50 ms | p95 ms | p99 ms | errors | requests | passes over the mix | seconds |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  } >"$TABLE"
  declare -A P50=()
  for backend in index postgres; do
    url="http://127.0.0.1:${PORTS[$backend]}/graphql"
    if ! curl -fsS "http://127.0.0.1:${PORTS[$backend]}/health/live" >/dev/null; then
      echo "the $backend server is gone; its log:" >&2
      tail -n 20 "$OUT/search-$backend-$N.log" >&2
      exit 1
    fi
    # A run lasts at least as long as the mix took one query at a time, so that the slower
    # backend's numbers also cover every query of the mix, not just its first ones.
    read -r _ _ serial <<<"${CHECK[$backend]}"
    duration=$((serial > DURATION ? serial : DURATION))
    for c in $CONNECTIONS; do
      QUERIES_FILE=$QUERIES wrk -t1 -c"$c" -d"${WARMUP}s" --timeout 60s -s tests/load/search.lua "$url" >/dev/null
      result=$(QUERIES_FILE=$QUERIES wrk -t1 -c"$c" -d"${duration}s" --timeout 60s \
        -s tests/load/search.lua "$url")
      read -r _ rps p50 p95 p99 errors requests <<<"$(grep '^RESULT' <<<"$result")"
      graphql_errors=$(grep '^GRAPHQL_ERRORS' <<<"$result" | cut -d' ' -f2)
      # The ratio compares the backends at the lightest load measured.
      [ -n "${P50[$backend]:-}" ] || P50[$backend]=$p50
      passes=$(awk -v r="$requests" 'BEGIN { printf "%.1f", r / 200 }')
      echo "| $backend | $c | $rps | $p50 | $p95 | $p99 | $((errors + graphql_errors)) | $requests | $passes | $duration |" >>"$TABLE"
      echo "$backend, $c connections: $rps req/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms, $errors HTTP and $graphql_errors GraphQL errors" >&2
    done
  done
  ratio=$(awk -v p="${P50[postgres]}" -v i="${P50[index]}" 'BEGIN { if (i > 0) printf "%.1f", p / i; else print "n/a" }')

  FRESH="$OUT/search-freshness-$N.md"
  {
    echo "| backend | updates | searchable | p50 ms | p95 ms | p99 ms | max ms |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
  } >"$FRESH"
  for backend in $FRESHNESS_BACKENDS; do
    echo "freshness on the $backend backend, ${FRESHNESS_SECONDS}s" >&2
    line=$("$FRESHNESS" --url "http://127.0.0.1:${PORTS[$backend]}" --database-url "$DB_URL" \
      --seconds "$FRESHNESS_SECONDS" --poll-ms "$FRESHNESS_POLL_MS" | tee /dev/stderr | grep '^FRESHNESS')
    read -r _ updates seen f50 f95 f99 fmax <<<"$line"
    echo "| $backend | $updates | $seen | $f50 | $f95 | $f99 | $fmax |" >>"$FRESH"
  done
  stop_servers

  echo
  echo "Product search, $N products, the same 200 queries ($QUERIES), $CONNECTIONS connections, at least ${DURATION}s each (the seconds column) after ${WARMUP}s of warm-up ($(nproc) cores, wrk, both servers and PostgreSQL on the same machine):"
  cat "$TABLE"
  echo
  echo "p50 ratio postgres/index: $ratio. Same totalCount on $same of 200 queries (per-query totals: $OUT/search-totals-$N.tsv). Index ready $ready_index s after start."
  echo
  echo "Freshness, $N products: a rename committed in PostgreSQL until a search finds it, ${FRESHNESS_SECONDS}s at 200 renames/s:"
  cat "$FRESH"
done
