# A streaming standby of the local PostgreSQL cluster (sourced, not run), for the scale
# scripts. As root the server runs as the `postgres` user, as PostgreSQL requires.
#
#   make_standby PORT DIR   pg_basebackup -R of the cluster on 127.0.0.1:5432 into DIR,
#                           started on PORT as a hot standby (DIR is emptied first)
#   stop_standby DIR [MODE] stops it (pg_ctl -m MODE, fast by default)
#   start_standby DIR       starts it again
#
# The primary must accept replication connections from 127.0.0.1: tests/start-services.sh
# adds the pg_hba.conf line.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_PRIMARY_PORT=${PG_PRIMARY_PORT:-5432}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

make_standby() {
  local port=$1 dir=$2 limits
  stop_standby "$dir" immediate
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -D "$dir" \
    -R -X stream -c fast --no-sync
  # A hot standby may not set these below its primary's.
  limits=$(psql -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U postgres -d postgres -qAtc \
    "SELECT string_agg(name || ' = ' || setting, E'\n') FROM pg_settings WHERE name IN
     ('max_connections', 'max_worker_processes', 'max_wal_senders',
      'max_prepared_transactions', 'max_locks_per_transaction')")
  cat >"$dir/postgresql.conf" <<EOF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
fsync = off
shared_buffers = 128MB
hba_file = '$dir/pg_hba.conf'
ident_file = '$dir/pg_ident.conf'
$limits
EOF
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/pg_hba.conf"
  : >"$dir/pg_ident.conf"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  start_standby "$dir"
}

start_standby() {
  as_postgres "$PG_BIN/pg_ctl" -D "$1" -l "$1/standby.log" -w -t 300 start >/dev/null
}

stop_standby() {
  if [ -f "$1/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$1" -m "${2:-fast}" -w stop >/dev/null || true
  fi
}
