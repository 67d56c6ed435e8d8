#!/usr/bin/env bash
# Browser client tests. Run from anywhere, after `mvn verify` (or `mvn package`) built target/pushgate.jar:
#   bash .ci/e2e.sh
# (a) Node unit tests of the client logic that needs no browser (node --test src/test/e2e/*.test.mjs);
# (b) real-browser tests: Debian's Chromium driven by playwright-core (src/test/e2e/run.mjs), which
#     starts the jar itself on free loopback ports and restarts it in the middle.
# Installs what it needs (as root on Debian: chromium; npm ci of the pinned playwright-core), and is
# safe to run again. On a failure, screenshots and the node's log are in target/e2e/.
# Last line: "e2e: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

e2e=src/test/e2e
chromium=${CHROMIUM:-/usr/bin/chromium}

command -v node >/dev/null 2>&1 || { echo "e2e: node is required" >&2; exit 1; }
echo "e2e: node $(node --version)"

if [ ! -x "$chromium" ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "e2e: installing Debian's chromium"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "e2e: $chromium is missing; install Debian's chromium package (as root: apt-get install chromium)" >&2
    exit 1
  fi
fi
echo "e2e: $("$chromium" --version 2>/dev/null | sed -n 1p)"

if [ ! -f target/pushgate.jar ] && [ -z "${PUSHGATE_E2E_SERVER:-}" ]; then
  echo "e2e: target/pushgate.jar is missing, building it (mvn package -DskipTests)"
  mvn -B -ntp -q package -DskipTests
fi

# npm ci: exactly the playwright-core of package-lock.json; it never downloads a browser.
(cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null)

echo "e2e: unit tests (node --test)"
node --test --test-reporter=spec "$e2e"/*.test.mjs

echo "e2e: browser tests"
node "$e2e/run.mjs"
