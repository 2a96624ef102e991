#!/usr/bin/env bash
# Bulk catalogue loading benchmark, release build over HTTP: products per second through
# upsertProducts (batches of 500), first creating then updating the same SKUs.
#
#   tests/load/upsert.sh          # BATCHES=20 override
set -euo pipefail
cd "$(dirname "$0")/../.."

BATCHES=${BATCHES:-20}
PORT=${PORT:-18093}
PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DB_URL="$PG/textisur_bench_upsert"
OUT=tests/load/out
mkdir -p "$OUT"
command -v jq >/dev/null || (apt-get update -qq && apt-get install -y -qq jq >/dev/null)

cargo build --release -q -p textisur-api --bin textisur
BIN=target/release/textisur
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_bench_upsert WITH (FORCE)"
"$BIN" seed --database-url "$DB_URL" --products 1000 --seed 42 >/dev/null
RUST_LOG=warn "$BIN" serve --database-url "$DB_URL" --listen "127.0.0.1:$PORT" --no-demo-data --cost-bucket 1000000 --cost-restore-rate 1000000 \
  --max-body-bytes 4194304 >"$OUT/upsert-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT/graphql"

TOKEN=$(curl -fsS -H 'content-type: application/json' "$URL" \
  -d '{"query":"mutation { login(input: {email: \"vendedor1@textisur.example\", password: \"lana de alpaca\"}) { accessToken } }"}' \
  | jq -r '.data.login.accessToken')
STORE=$(curl -fsS -H 'content-type: application/json' -H "Authorization: Bearer $TOKEN" "$URL" \
  -d '{"query":"{ me { store { id } } }"}' | jq -r '.data.me.store.id')
CATEGORY=$(curl -fsS -H 'content-type: application/json' "$URL" -d '{"query":"{ categories { id slug } }"}' \
  | jq -r '.data.categories[] | select(.slug == "mantas") | .id')

# One request body per batch, generated up front so the timing covers only the API.
for b in $(seq 1 "$BATCHES"); do
  python3 - "$STORE" "$CATEGORY" "$b" >"$OUT/upsert-$b.json" <<'PY'
import json, sys
store, category, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
products = [{"sku": f"PLAN-{batch:03d}-{i:03d}", "categoryId": category,
             "name": f"Frazada de lana merino {batch}-{i}", "description": "<p>Tejida a mano</p>",
             "price": "45900.00", "stock": str(10 + i % 7), "colors": ["Gris", "Crudo"],
             "sizes": ["2 plazas"], "materials": ["Lana merino"]} for i in range(500)]
print(json.dumps({"query": "mutation($s: ID!, $p: [ProductUpsertInput!]!) { upsertProducts(storeId: $s, products: $p) { products { id } userErrors { code } } }",
                  "variables": {"s": store, "p": products}}))
PY
done

run() { # run LABEL: send every batch once, print products per second
  local start end errors=0
  start=$(date +%s.%N)
  for b in $(seq 1 "$BATCHES"); do
    n=$(curl -fsS -H 'content-type: application/json' -H "Authorization: Bearer $TOKEN" \
      --data-binary "@$OUT/upsert-$b.json" "$URL" | jq '.data.upsertProducts.products | length')
    [ "$n" = 500 ] || errors=$((errors + 1))
  done
  end=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3])*500; print(f'| {sys.argv[4]} | {n} | {s:.2f} | {n/s:.0f} | {sys.argv[5]} |')" \
    "$start" "$end" "$BATCHES" "$1" "$errors"
}
echo "upsertProducts, batches of 500, one client, release build ($(nproc) cores):"
echo "| pass | products | seconds | products/s | failed batches |"
echo "|---|---:|---:|---:|---:|"
run "create (new SKUs)"
run "update (same SKUs)"
