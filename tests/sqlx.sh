#!/usr/bin/env bash
# Compile-checked SQL. `sqlx::query!` and its siblings read `.sqlx/` (the offline data,
# committed) whenever DATABASE_URL is unset, so no build needs a database. After changing
# a checked query or a migration, regenerate the data and commit it:
#
#   bash tests/sqlx.sh prepare    # rewrites .sqlx/
#   bash tests/sqlx.sh check      # what .ci/run runs: fails when .sqlx/ is stale
#
# Both run against a scratch database migrated from migrations/ and dropped afterwards.
# They check with the same feature set as `cargo clippy` in .ci/run, so the dependencies'
# check artifacts are shared and only the workspace is checked again.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
command -v cargo-sqlx >/dev/null ||
  cargo install sqlx-cli --version 0.9.0 --no-default-features --features postgres,rustls --locked
admin=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="textisur_sqlx_$$"
url="${admin%/*}/$db"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
psql "$admin" -qc "CREATE DATABASE $db"
DATABASE_URL=$url sqlx migrate run --source migrations >/dev/null
args=(--workspace)
[ "$mode" = check ] && args+=(--check)
DATABASE_URL=$url cargo sqlx prepare "${args[@]}" -- --all-targets --features textisur-api/crash-hook
