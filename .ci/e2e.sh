#!/usr/bin/env bash
# Browser client tests. Run from anywhere, after `mvn verify` (or `mvn package`) built target/pushgate.jar:
#   bash .ci/e2e.sh
# (a) the npm package: `npm pack` of client/ into target/pushgate-client-VERSION.tgz;
# (b) Node tests (node --test src/test/e2e/*.test.mjs): the client's logic against a scripted server,
#     the packed tarball installed and imported/required, and pushgate.js against real nodes started
#     from the jar (live.test.mjs: rate limits, REFRESH, server pings, streams);
# (c) real-browser tests: Debian's Chromium driven by playwright-core (src/test/e2e/run.mjs), which
#     starts the jar itself on free loopback ports and restarts it in the middle.
# Installs what it needs (as root on Debian: chromium; npm ci of the pinned playwright-core), and is
# safe to run again. On a failure, screenshots and the nodes' logs are in target/e2e/.
# Last lines: node's test summary ("# pass N", "# fail M"), then "e2e: N passed, M failed".
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

echo "e2e: the npm package (npm pack)"
mkdir -p target
(cd client && npm pack --pack-destination ../target --loglevel=error >/dev/null)
ls target/pushgate-client-*.tgz

# Node 20 has its WebSocket behind a flag; Node 22 and later have it on.
ws_flag=$(node -e 'process.stdout.write(typeof WebSocket === "function" ? "" : "--experimental-websocket")')
# Both suites run even when the first fails: what each found is worth seeing.
status=0
echo "e2e: Node tests (node --test)"
node $ws_flag --test --test-reporter=spec "$e2e"/*.test.mjs || status=1

echo "e2e: browser tests"
node "$e2e/run.mjs" || status=1
exit $status
