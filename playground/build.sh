#!/usr/bin/env bash
# Builds the playground into playground/dist, which the textisur binary embeds (rust-embed).
# Needs Node.js 20.19+ and the npm registry only: `npm ci` installs exactly what
# package-lock.json pins. Commit playground/dist afterwards; `cargo build` needs no npm.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
