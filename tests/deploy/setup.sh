#!/usr/bin/env bash
# Installs what tests/deploy/validate.sh runs, when missing: kubernetes-validate (PyPI, pinned
# in requirements.txt) into tests/deploy/.venv, and Debian's docker-compose and haproxy,
# whose `config` and `-c` check a compose file and an HAProxy configuration without a Docker
# engine or a running proxy.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/kubernetes-validate ] || ! cmp -s requirements.txt .venv/requirements.txt; then
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/requirements.txt
fi
missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v haproxy >/dev/null || missing+=(haproxy)
if ((${#missing[@]})); then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null
fi
