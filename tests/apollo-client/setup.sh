#!/usr/bin/env bash
# Installs what the Apollo Client test needs, where missing: node and npm (Debian's), and
# @apollo/client with graphql from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "installing nodejs and npm" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d node_modules/@apollo/client ] || [ ! -d node_modules/graphql ] || [ ! -d node_modules/apollo-upload-client ]; then
  echo "installing @apollo/client (npm ci)" >&2
  npm ci --no-audit --no-fund --silent
fi
