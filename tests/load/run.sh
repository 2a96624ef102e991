#!/usr/bin/env bash
# Load test of the catalogue reads, end to end over HTTP against the release server.
#
#   tests/load/run.sh                       # 100,000 products, 16 connections, 15 s per operation
#   PRODUCTS=10000 DURATION=5 tests/load/run.sh
#
# Seeds a dedicated database (textisur_bench_<PRODUCTS>) once, starts `textisur serve` in
# release mode on 127.0.0.1:18090, checks every operation answers without errors, then drives
# each with wrk and prints req/s and p50/p95/p99 per operation as a Markdown table (also
# written to tests/load/out/). wrk shares the machine's cores with the server and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."

PRODUCTS=${PRODUCTS:-100000}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-15}
PORT=${PORT:-18090}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB_URL="$PG/textisur_bench_${PRODUCTS}"
OUT=tests/load/out
mkdir -p "$OUT"

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
command -v jq >/dev/null || (apt-get install -y -qq jq >/dev/null)

cargo build --release -q -p textisur-api
BIN=target/release/textisur

seeded=$(psql "$DB_URL" -tAc "SELECT count(*) FROM products WHERE EXISTS (SELECT 1 FROM users WHERE password_hash IS NOT NULL)" 2>/dev/null || echo 0)
if [ "$seeded" != "$PRODUCTS" ]; then
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_bench_${PRODUCTS} WITH (FORCE)"
  echo "seeding $PRODUCTS products" >&2
  start=$(date +%s.%N)
  "$BIN" seed --database-url "$DB_URL" --products "$PRODUCTS" --seed 42
  echo "seeded in $(echo "$(date +%s.%N) - $start" | bc) s" >&2
fi

RUST_LOG=warn "$BIN" serve --database-url "$DB_URL" --listen "127.0.0.1:$PORT" --no-demo-data --cost-bucket 1000000 --cost-restore-rate 1000000 \
  --db-max-connections 32 >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

# Operation bodies; slugs and cursors are read from the seeded data, not guessed.
STORE_SLUG=$(psql "$DB_URL" -tAc "SELECT slug FROM stores ORDER BY id LIMIT 1")
PRODUCT_SLUG=$(psql "$DB_URL" -tAc "SELECT slug FROM products WHERE status = 'ACTIVE' AND review_count > 2 ORDER BY id LIMIT 1")
DEEP_JSON=$(psql "$DB_URL" -tAc "SELECT json_build_object('Newest', json_build_array(created_at, id))
  FROM products WHERE status = 'ACTIVE' ORDER BY created_at DESC, id DESC OFFSET $((PRODUCTS * 9 / 10)) LIMIT 1")
DEEP_CURSOR=$(python3 -c "import base64, sys; print(base64.urlsafe_b64encode(sys.argv[1].encode()).decode().rstrip('='))" "$DEEP_JSON")

declare -A OPS
OPS[nested_page_100]='{"query":"{ products(first: 100) { nodes { store { name } category { name } reviews(first: 3) { nodes { rating author { name } } } } } }"}'
OPS[nested_page_20]='{"query":"{ products(first: 20) { nodes { name price { amount currencyCode } unit store { name city } category { name } reviews(first: 3) { nodes { rating author { name } } } } } }"}'
OPS[product_page]="{\"query\":\"query(\$slug: String!) { product(slug: \$slug) { name description price { amount currencyCode } unit minQuantity quantityStep stock images { url } category { name parent { name } } store { name city rating productCount } reviews(first: 10) { totalCount nodes { rating body author { name } } } } }\",\"variables\":{\"slug\":\"$PRODUCT_SLUG\"}}"
OPS[store_page]="{\"query\":\"query(\$slug: String!) { store(slug: \$slug) { name city location { lat lon } productCount products(first: 24, sort: PRICE_ASC) { totalCount nodes { name price { amount } } pageInfo { endCursor hasNextPage } } } }\",\"variables\":{\"slug\":\"$STORE_SLUG\"}}"
OPS[text_search]='{"query":"{ products(query: \"camisa lino\", first: 20) { totalCount nodes { name price { amount } store { name } } } }"}'
OPS[deep_page_90pct]="{\"query\":\"query(\$after: String) { products(sort: NEWEST, first: 20, after: \$after) { nodes { name } pageInfo { hasNextPage } } }\",\"variables\":{\"after\":\"$DEEP_CURSOR\"}}"
OPS[stores_near]='{"query":"{ stores(near: {lat: -34.6037, lon: -58.3816}, radiusKm: 800, first: 20) { nodes { name city distanceKm } } }"}'

ORDER=(nested_page_100 nested_page_20 product_page store_page text_search deep_page_90pct stores_near)
TABLE="$OUT/catalogue-${PRODUCTS}.md"
{
  echo "| operation | req/s | p50 ms | p95 ms | p99 ms | errors | requests |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
} >"$TABLE"
for op in "${ORDER[@]}"; do
  echo "${OPS[$op]}" >"$OUT/$op.json"
  check=$(curl -sS -H 'content-type: application/json' -H 'accept: application/graphql-response+json' \
    --data-binary "@$OUT/$op.json" "http://127.0.0.1:$PORT/graphql")
  if echo "$check" | jq -e '.errors' >/dev/null; then
    echo "operation $op answered errors: $check" >&2
    exit 1
  fi
  result=$(BODY_FILE="$OUT/$op.json" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s tests/load/graphql.lua \
    "http://127.0.0.1:$PORT/graphql" | grep '^RESULT')
  read -r _ rps p50 p95 p99 errors requests <<<"$result"
  echo "| $op | $rps | $p50 | $p95 | $p99 | $errors | $requests |" >>"$TABLE"
  echo "$op: $rps req/s, p50 $p50 ms, p95 $p95 ms, p99 $p99 ms, $errors errors" >&2
done
echo
echo "Catalogue reads, $PRODUCTS products, $CONNECTIONS connections, ${DURATION}s each ($(nproc) cores, wrk on the same machine):"
cat "$TABLE"
