#!/usr/bin/env bash
# Installs what the web client kit's test needs, where missing: node and npm (Debian's), and
# GraphQL Codegen with TypeScript from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "installing nodejs and npm" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -x node_modules/.bin/graphql-codegen ] || [ ! -x node_modules/.bin/tsc ]; then
  echo "installing GraphQL Codegen and TypeScript (npm ci)" >&2
  npm ci --no-audit --no-fund --silent
fi
