#!/usr/bin/env bash
# Installs what the playground's browser test needs, where missing: Debian's Chromium (a
# test tool's own browser download does not work on a closed network) and playwright-core
# from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"

apt_updated=0
need() { # need PACKAGE...: install Debian packages
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium" >&2
  need chromium
fi
command -v node >/dev/null || need nodejs npm
if [ ! -d node_modules/playwright-core ]; then
  echo "installing playwright-core (npm ci)" >&2
  npm ci --no-audit --no-fund --silent
fi
