#!/usr/bin/env bash
# Offline validation of the Kubernetes manifests; no cluster needed. Run from anywhere:
#   bash .ci/validate-k8s.sh
# (a) every kustomization a user may apply (k8s/, the overlays, the examples: the list is TARGETS in
#     .ci/k8s-validate/validate.mjs) is rendered with `kubectl kustomize` in a throwaway copy whose
#     secrets/ folders get throwaway secrets from k8s/make-secrets.sh (never the operator's own);
# (b) every object is checked against its schema, strictly (an unknown field fails), and against
#     pushgate's rules (NetworkPolicy, securityContext, exposure, secrets, shutdown budget, ...);
# (c) the self-test breaks each rule on purpose in a copy and shows that its check fails, and
#     compares the fallback renderer with kubectl's.
# Installs what it needs as root on Debian (kubectl if an apt source has it; the npm packages).
# Without a kubectl whose kustomize is v4+ it renders with .ci/k8s-validate/render-raw.mjs (all but
# the two-installs example, which needs kustomize's namePrefix and labels).
# Last lines: the list of checks, "k8s: N targets, M objects valid", then the self-test's
# "k8s: N passed, M failed"; exit non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

validator=.ci/k8s-validate

# A kubectl whose embedded kustomize is v4+: older ones (Debian's kubernetes-client 1.20 has
# kustomize v2.0.3) cannot render components or list a directory (../../conf) under resources.
usable_kubectl() {
  command -v kubectl >/dev/null 2>&1 &&
    kubectl version --client 2>/dev/null | grep -Eq 'Kustomize Version: v([4-9]|[1-9][0-9])'
}

if ! usable_kubectl && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # Only the "kubectl" package can be current enough; it exists where a Kubernetes (or Google
  # Cloud SDK) apt source is set up, as on this project's machine image.
  apt-get update -qq >/dev/null 2>&1 || true
  if apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo "k8s: installing kubectl with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubectl >/dev/null
  fi
fi

command -v node >/dev/null 2>&1 || { echo "k8s: node is required for the schema check" >&2; exit 1; }
command -v openssl >/dev/null 2>&1 && command -v keytool >/dev/null 2>&1 ||
  { echo "k8s: openssl and keytool (a JDK) are required: k8s/make-secrets.sh makes the throwaway secrets" >&2; exit 1; }
# npm ci: exactly the versions in package-lock.json, so CI checks what was checked here.
(cd "$validator" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)

mode=()
if usable_kubectl; then
  echo "k8s: rendering with $(kubectl version --client 2>/dev/null | grep -i kustomize)"
else
  echo "k8s: no kubectl with kustomize v4+ here and no apt package provides one:"
  echo "k8s:   rendering with the fallback .ci/k8s-validate/render-raw.mjs (the two-installs example is skipped)"
  mode=(--raw)
fi
node "$validator/validate.mjs" "${mode[@]}" .
echo "k8s: self-test: each check must fail on a copy broken on purpose"
node "$validator/validate.mjs" --self-test "${mode[@]}" .
