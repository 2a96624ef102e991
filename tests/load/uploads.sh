#!/usr/bin/env bash
# Image uploads against the release server: uploads per second and thumbnail latency
# (tests/examples/upload_load.rs does the driving).
#
#   tests/load/uploads.sh
#   N=10000 UPLOADS=200 CONCURRENCY=8 WIDTH=1600 HEIGHT=1200 tests/load/uploads.sh
#   UPLOADS=60 CONCURRENCY=1 PAUSE_MS=500 tests/load/uploads.sh   (2 a second: no queue)
#
# Seeds textisur_bench_<N> when needed (shared with the other load scripts), starts
# `textisur serve` with a fresh local media folder, and prints the driver's two lines: the
# multipart uploads (sniffing, the pixel check and a full decode happen in the request) and
# the thumbnails (the worker's WebP sizes, timed from the upload's first byte to the
# thumbnail's first 200). The driver, the server and PostgreSQL share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/load/common.sh

N=${N:-10000}
UPLOADS=${UPLOADS:-200}
CONCURRENCY=${CONCURRENCY:-8}
WIDTH=${WIDTH:-1600}
HEIGHT=${HEIGHT:-1200}
PAUSE_MS=${PAUSE_MS:-0}
PORT=${PORT:-18104}

need_tools
if [ "${BUILD:-1}" = 1 ]; then
  cargo build --release -q -p textisur-api --bin textisur
  cargo build --release -q -p textisur-tests --example upload_load
fi
trap finish EXIT
ensure_seeded "$N"
MEDIA_DIR="$OUT/media-$N"
rm -rf "$MEDIA_DIR"
# Earlier runs' images would fill the products' eight places.
psql "$DB_URL" -qc "TRUNCATE product_images, variant_images, media_files"
LOG="$OUT/uploads-$N.log"
: >"$LOG"
start_server "$PORT" "$LOG" --media-store "$MEDIA_DIR" \
  --cost-bucket 100000000 --cost-restore-rate 100000000
"$EXAMPLES/upload_load" --url "http://127.0.0.1:$PORT" --database-url "$DB_URL" \
  --jwt-keys "$KEYS" --uploads "$UPLOADS" --concurrency "$CONCURRENCY" \
  --width "$WIDTH" --height "$HEIGHT" --pause-ms "$PAUSE_MS"
echo "stored: $(find "$MEDIA_DIR" -type f | wc -l) files, $(du -sh "$MEDIA_DIR" | cut -f1)" >&2
