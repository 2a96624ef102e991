#!/usr/bin/env bash
# The standby's entrypoint: copies the primary with pg_basebackup on first start (-R writes
# standby.signal and primary_conninfo), then runs PostgreSQL as a hot standby.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres -U postgres -q; do sleep 1; done
  pg_basebackup -h postgres -U postgres -D "$PGDATA" -R -X stream -c fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on
