# Shared by the load and fault scripts (sourced, not run): seeding the benchmark database,
# starting the release server and measuring its process.
#
#   ensure_seeded N        seeds textisur_bench_N (and drops its index) unless it already
#                          holds N seeded products and RESEED is not 1; sets DB_URL and
#                          INDEX_DIR
#   start_server PORT LOG ARGS...   starts `textisur serve` on DB_URL with a JWT key made
#                          for the run (KEYS), waits until ready; sets SERVER (its pid)
#   stop_server            stops it (SIGTERM, then waits)
#   production_postgres    turns PostgreSQL's autovacuum on for the run when the cluster has
#                          it off; finish (for `trap finish EXIT`) stops the server and puts
#                          the setting back
#   cpu_ticks PID...       user + system clock ticks the processes used so far
#   reset_peak PID / peak_mib PID / rss_mib PID    peak and current resident memory

PG=${PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-tests/load/out}
BIN=${CARGO_TARGET_DIR:-target}/release/textisur
EXAMPLES=${CARGO_TARGET_DIR:-target}/release/examples
READY_TIMEOUT=${READY_TIMEOUT:-3600}
mkdir -p "$OUT"

need_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v jq >/dev/null || missing+=(jq)
  command -v psql >/dev/null || missing+=(postgresql-client)
  if ((${#missing[@]})); then
    echo "installing ${missing[*]}" >&2
    (apt-get update -qq && apt-get install -y -qq "${missing[@]}") >/dev/null
  fi
}

# BUILD=0 reuses the binaries already in target/release.
build_release() {
  if [ "${BUILD:-1}" = 1 ]; then
    cargo build --release -q -p textisur-api --bin textisur
    cargo build --release -q -p textisur-tests --example commerce_load
  fi
}

ensure_seeded() {
  local n=$1 suffix=${2:-} seeded
  DB_URL="$PG/textisur_bench_$n$suffix"
  INDEX_DIR="$OUT/search-index-$n$suffix"
  seeded=$(psql "$DB_URL" -tAc "SELECT count(*) FROM products WHERE EXISTS (SELECT 1 FROM users WHERE password_hash IS NOT NULL)" 2>/dev/null || echo 0)
  # RESEED=1 seeds anew: every run adds its orders, and a database that several runs grew
  # (with bloat from runs without autovacuum) drifted a soak down by a fifth.
  if [ "$seeded" -lt "$n" ] || [ "${RESEED:-0}" = 1 ]; then
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS textisur_bench_$n$suffix WITH (FORCE)"
    rm -rf "$INDEX_DIR"
    echo "seeding $n products" >&2
    "$BIN" seed --database-url "$DB_URL" --products "$n" --seed 42 >&2
  else
    # Earlier runs' checkouts left dead row versions behind (a fresh seed has none and is
    # analysed by the seeder).
    psql "$DB_URL" -qc "VACUUM (ANALYZE)"
  fi
}

KEYS=${KEYS:-"load:$(head -c 32 /dev/urandom | base64 -w0)"}

start_server() {
  local port=$1 log=$2 started=$SECONDS
  shift 2
  RUST_LOG=${RUST_LOG:-warn} TEXTISUR_JWT_KEYS="$KEYS" "$BIN" serve --database-url "$DB_URL" \
    --no-demo-data --index-dir "$INDEX_DIR" --listen "127.0.0.1:$port" "$@" >>"$log" 2>&1 &
  SERVER=$!
  until curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$SERVER" 2>/dev/null; then
      echo "the server on :$port exited; its log ($log):" >&2
      tail -n 20 "$log" >&2
      return 1
    fi
    if ((SECONDS - started > READY_TIMEOUT)); then
      echo "the server on :$port was not ready after $READY_TIMEOUT s" >&2
      return 1
    fi
    sleep 0.5
  done
}

stop_server() {
  if [ -n "${SERVER:-}" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
  fi
}

# PostgreSQL as a deployment runs it. This machine's cluster comes with autovacuum off (its
# conf.d, for repeatable test runs); under minutes of checkouts, cart lines and product rows
# then pile up dead versions that every read steps over (250,000 dead cart lines after a few
# runs, for 3,400 live ones), and the mix slows down for a reason no deployment has.
# ALTER SYSTEM and a reload turn it on without a restart; `finish` resets it.
AUTOVACUUM_WAS=
production_postgres() {
  AUTOVACUUM_WAS=$(psql "$PG/postgres" -tAc "SHOW autovacuum")
  if [ "$AUTOVACUUM_WAS" = off ]; then
    echo "turning PostgreSQL's autovacuum on for this run" >&2
    psql "$PG/postgres" -q -c "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null
  fi
}

restore_postgres() {
  if [ "$AUTOVACUUM_WAS" = off ]; then
    psql "$PG/postgres" -q -c "ALTER SYSTEM RESET autovacuum" -c "SELECT pg_reload_conf()" >/dev/null
    AUTOVACUUM_WAS=
  fi
}

finish() {
  stop_server
  restore_postgres
}

cpu_ticks() {
  local total=0 pid fields
  for pid in "$@"; do
    # Fields 14 and 15 of /proc/PID/stat, counted after the command name's parentheses.
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + $(awk '{ print $12 + $13 }' <<<"$fields")))
  done
  echo "$total"
}

# Busy clock ticks of the whole machine (every core), from /proc/stat.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }

reset_peak() { echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; }
peak_mib() { awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }
rss_mib() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

# The server's counter NAME{LABELS} from /metrics (0 when absent).
metric() {
  curl -fsS "http://127.0.0.1:$1/metrics" | awk -v name="$2" 'index($0, name " ") == 1 { print $2; found = 1 } END { if (!found) print 0 }'
}

# prepare_mix URL N: buyers with tokens ($OUT/mix-tokens.txt), the request mix
# ($OUT/mix-N.tsv) and stock for the products the buyers buy; exports MIX_FILE and TOKENS_FILE
# for tests/load/mix.lua.
prepare_mix() {
  local url=$1 n=$2 cart_ids
  "$EXAMPLES/commerce_load" --url "$url" --database-url "$DB_URL" --jwt-keys "$KEYS" \
    --tokens "${BUYERS:-200}" >"$OUT/mix-tokens.txt"
  cart_ids=$(python3 tests/load/mix-requests.py --database-url "$DB_URL" --out "$OUT/mix-$n.tsv")
  psql "$DB_URL" -qc "UPDATE products SET stock = greatest(stock, 1000000) WHERE id IN ($cart_ids)"
  export MIX_FILE="$OUT/mix-$n.tsv" TOKENS_FILE="$OUT/mix-tokens.txt"
}

# The sum of every series of the server's counter NAME (all labels) from /metrics.
metric_sum() {
  curl -fsS "http://127.0.0.1:$1/metrics" | awk -v name="$2" 'index($0, name "{") == 1 || index($0, name " ") == 1 { sum += $2 } END { printf "%d", sum }'
}
