#!/usr/bin/env bash
# Starts PostgreSQL (trust auth for local TCP, as on the development machines) and Redis
# when they are not running, installing them with apt-get where missing, and lets local
# replication connections in (the standby tests).
set -euo pipefail

apt_updated=0
need() { # need PACKAGE...: install Debian packages
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "starting PostgreSQL" >&2
  command -v pg_ctlcluster >/dev/null || need postgresql postgresql-contrib
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Trust local TCP connections for the postgres user, as on the development machines.
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
fi

# The read-replica tests copy the cluster with pg_basebackup and stream from it: local
# replication connections are trusted, as local ones are.
version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
hba=/etc/postgresql/$version/main/pg_hba.conf
if [ -n "$version" ] && [ -f "$hba" ] && ! grep -q '^host replication all 127.0.0.1/32 trust' "$hba"; then
  sed -i '1i host replication all 127.0.0.1/32 trust' "$hba"
  psql -h 127.0.0.1 -U postgres -qAtc 'SELECT pg_reload_conf()' >/dev/null
fi

# A standby that falls behind while every parallel test writes (each CREATE DATABASE copies
# its template into the WAL) must still find the WAL it has not received: with no WAL kept,
# a checkpoint (another standby test's pg_basebackup forces one) can remove it, and that
# standby never catches up. Kept up to 2 GB; a reload applies it.
if [ "$(psql -h 127.0.0.1 -U postgres -qAtc 'SHOW wal_keep_size' 2>/dev/null)" = "0" ]; then
  psql -h 127.0.0.1 -U postgres -qAt -c "ALTER SYSTEM SET wal_keep_size = '2GB'" \
    -c 'SELECT pg_reload_conf()' >/dev/null
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "starting Redis" >&2
  command -v redis-server >/dev/null || need redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no
  for _ in $(seq 1 40); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.25; done
fi
