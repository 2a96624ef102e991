#!/usr/bin/env bash
# Validates the deployment files against their schemas (tests/deploy/setup.sh installs the
# tools): every Kubernetes manifest in deploy/kubernetes with kubernetes-validate --strict
# (unknown fields fail), compose.yaml with `docker-compose config`, and both HAProxy
# configurations with `haproxy -c`. Prints each failure; exits 1 on any.
set -euo pipefail
cd "$(dirname "$0")/../.."
failed=0
manifests=()
for file in deploy/kubernetes/*.yaml; do
  # kustomization.yaml is kustomize's, not an API resource: kubectl's own check is below.
  [ "$(basename "$file")" = kustomization.yaml ] || manifests+=("$file")
done
tests/deploy/.venv/bin/kubernetes-validate --strict --quiet "${manifests[@]}" || failed=1
# Every resource the kustomization lists exists, and every manifest is listed.
for file in "${manifests[@]}"; do
  grep -q "^  - $(basename "$file")$" deploy/kubernetes/kustomization.yaml ||
    { echo "deploy/kubernetes/kustomization.yaml does not list $(basename "$file")"; failed=1; }
done
TEXTISUR_JWT_KEYS=validate docker-compose -f compose.yaml config -q || failed=1
haproxy -c -q -f deploy/compose/haproxy.cfg || failed=1
# The scale script's configuration, as it writes it for three replicas.
cfg=$(mktemp)
LB_PORT=18210 PORTS=(18211 18212 18213)
# shellcheck source=/dev/null
source <(sed -n '/^write_haproxy_config() {/,/^}/p' tests/scale/replicas.sh)
write_haproxy_config 3 "$cfg"
haproxy -c -q -f "$cfg" || failed=1
rm -f "$cfg"
exit "$failed"
