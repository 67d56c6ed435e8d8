#!/usr/bin/env bash
# docs/PROTOCOL.md is a copy of the wire contract kept beside the repository (../shared/PROTOCOL.md), so
# that README's links work in a clone. Where that file is there, the copy must be the same, byte for
# byte; where it is not (a clean clone, as CI may have), there is nothing to compare with, and this says
# so rather than failing. bash .ci/protocol-copy.sh [SOURCE] compares with SOURCE instead (from the repository's root), which must exist.
set -euo pipefail
cd "$(dirname "$0")/.."
source=${1:-../shared/PROTOCOL.md}
copy=docs/PROTOCOL.md
[ -f "$copy" ] || { echo "protocol: $copy is missing: copy it from $source" >&2; exit 1; }
if [ ! -f "$source" ] && [ -n "${1:-}" ]; then
  echo "protocol: $source, the contract named to compare with, is missing" >&2
  exit 1
elif [ ! -f "$source" ]; then
  echo "protocol: no $source beside the repository: $copy not checked against it"
elif cmp -s "$source" "$copy"; then
  echo "protocol: $copy is the same as $source"
else
  echo "protocol: $copy differs from $source, the contract it copies (cp $source $copy, and read what changed):" >&2
  diff -u "$copy" "$source" | head -n 40 >&2 || true
  exit 1
fi
