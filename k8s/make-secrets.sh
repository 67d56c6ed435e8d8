#!/usr/bin/env bash
# Makes the three files an overlay's secretGenerator reads, in DIR (default: the production overlay's):
#   bash k8s/make-secrets.sh [k8s/overlays/production/secrets]
# Each step is one command that README.md (Kubernetes) also shows; needs openssl and keytool (any JDK).
# Never overwrites: an existing file is your secret, and replacing it rotates keys (README says how).
# .ci/validate-k8s.sh runs this same script on throwaway copies, so these commands are tested.
set -euo pipefail
dir=${1:-"$(dirname "$0")/overlays/production/secrets"}
mkdir -p "$dir"
cd "$dir"
for f in auth.env eventbus-password eventbus.p12; do
  [ ! -e "$f" ] || { echo "make-secrets: $dir/$f exists; not touching it (delete it first to make a new one)" >&2; exit 1; }
done
umask 077
# Connection-token secret (HS256, 48 random bytes written as 64 base64 characters: those characters
# are the key, which the node never decodes; README, Connection tokens), one API key for backends and one for Prometheus,
# which is also in apiKeys (the monitoring component's ServiceMonitor reads metricsApiKey).
m=$(openssl rand -hex 24); printf 'jwtHs256Secret=%s\napiKeys=%s,%s\nmetricsApiKey=%s\n' "$(openssl rand -base64 48)" "$(openssl rand -hex 24)" "$m" "$m" > auth.env
# The event-bus key store's password: one line, no newline (it becomes an environment variable).
openssl rand -hex 24 | tr -d '\n' > eventbus-password
# The event bus's key pair and self-signed certificate, shared by the install's nodes (it is also
# their trust store). Ten years: renewing it is a rotation (README, Kubernetes, "Event-bus TLS").
keytool -genkeypair -alias pushgate -keyalg RSA -keysize 3072 -validity 3650 -dname CN=pushgate-eventbus -storetype PKCS12 -keystore eventbus.p12 -storepass:file eventbus-password
echo "make-secrets: wrote $dir/auth.env, eventbus-password, eventbus.p12"
