#!/usr/bin/env bash
# Runs once, when the primary's data directory is created (docker-entrypoint-initdb.d): lets
# the compose network's standby connect for replication, trusted like every other local
# connection of this development stack.
set -euo pipefail
echo "host replication all all trust" >>"$PGDATA/pg_hba.conf"
