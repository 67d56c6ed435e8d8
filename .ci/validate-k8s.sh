#!/usr/bin/env bash
# Offline validation of the Kubernetes manifests; no cluster needed. Run from the repo root:
#   bash .ci/validate-k8s.sh
# (a) `kubectl kustomize k8s/` must render them (the same command a user deploys with);
# (b) every rendered object must match the Kubernetes schemas (npm package kubernetes-models),
#     plus pushgate's invariants (see .ci/k8s-validate/validate.mjs).
# Last line: "k8s: N objects valid", or the script exits non-zero naming each bad object.
set -euo pipefail
cd "$(dirname "$0")/.."

validator=.ci/k8s-validate
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT

# A kubectl whose embedded kustomize is v4+: older ones (Debian's kubernetes-client 1.20 has
# kustomize v2.0.3) cannot list a directory (../conf) under resources, and would fail falsely.
usable_kubectl() {
  command -v kubectl >/dev/null 2>&1 &&
    kubectl version --client 2>/dev/null | grep -Eq 'Kustomize Version: v([4-9]|[1-9][0-9])'
}

if ! usable_kubectl && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # Only the "kubectl" package can be current enough; it exists where a Kubernetes apt repo is set up.
  apt-get update -qq >/dev/null 2>&1 || true
  if apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo "k8s: installing kubectl with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null
  fi
fi

command -v node >/dev/null 2>&1 || { echo "k8s: node is required for the schema check" >&2; exit 1; }
# npm ci: exactly the versions in package-lock.json, so CI checks what was checked here.
(cd "$validator" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)

if usable_kubectl; then
  kubectl kustomize k8s/ >"$rendered"
  echo "k8s: (a) kubectl kustomize k8s/ rendered $(grep -c '^kind:' "$rendered") objects"
  node "$validator/validate.mjs" "$rendered"
else
  echo "k8s: (a) SKIPPED: no kubectl with kustomize v4+ on this machine and no apt package provides one;"
  echo "k8s:     checking the raw manifests instead (resources and configMapGenerator followed by hand)."
  node "$validator/validate.mjs" --raw k8s
fi
