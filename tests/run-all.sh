#!/usr/bin/env bash
# The test command: starts PostgreSQL and Redis when they are not running (installing them
# with apt-get where missing), installs cargo-nextest, Debian's Chromium, the browser
# test's playwright-core, the Apollo Client test's, the schema gate's and the web client kit's
# packages and the deployment files' validators when missing, then runs
# every test of the workspace against the real services. Each test creates and drops its
# own database.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/start-services.sh
bash tests/playground-e2e/setup.sh
bash tests/apollo-client/setup.sh
bash tests/schema-gate/setup.sh
bash tests/deploy/setup.sh
bash clients/web/setup.sh

command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked

# `crash-hook` builds the indexer's test-only crash hook into the binary under test
# (api/tests/indexer_crash.rs); no other build has it.
cargo nextest run --workspace --features textisur-api/crash-hook --no-fail-fast "$@"
