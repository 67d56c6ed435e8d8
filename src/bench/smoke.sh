#!/usr/bin/env bash
# CI smoke of the load generator: a node on free loopback ports, a few hundred subscribers in
# one room for a few seconds, and the RESULT line must have its shape and a delivery ratio of exactly
# 1.0 with no loss and no duplicates; then one reconnect-storm round of the same clients, in which
# every client must rejoin and no handshake may fail. It does not build the server: run it after
# `mvn verify` (target/pushgate.jar). It builds the load generator's jar (bench/target/pushgate-bench.jar)
# when that is missing or older than its sources.
# The numbers it prints are not checked against any target: a shared CI machine is no benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."

JAR=target/pushgate.jar
CONNECTIONS=${SMOKE_CONNECTIONS:-300}
SECONDS_OF_PUSH=${SMOKE_DURATION:-5}
WORK=$(mktemp -d)
NODE_PID=

cleanup() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NODE_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "smoke: FAIL: $*" >&2
  exit 1
}

[ -f "$JAR" ] || fail "$JAR is missing: run mvn verify (or mvn package) first"

# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
build_bench_jar
PUBLIC_PORT=$(free_port)
API_PORT=$(free_port)
[ "$PUBLIC_PORT" != "$API_PORT" ] || API_PORT=$(free_port)

PUSHGATE_PUBLIC_HOST=127.0.0.1 PUSHGATE_API_HOST=127.0.0.1 \
PUSHGATE_PUBLIC_PORT=$PUBLIC_PORT PUSHGATE_API_PORT=$API_PORT PUSHGATE_TICK_MILLIS=50 \
  java -Xmx512m -jar "$JAR" >"$WORK/node.log" 2>&1 &
NODE_PID=$!

ready=
for _ in $(seq 1 150); do
  if grep -q "pushgate node ready" "$WORK/node.log"; then ready=1; break; fi
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.log" >&2; fail "the node exited at start"; }
  sleep 0.1
done
[ -n "$ready" ] || { cat "$WORK/node.log" >&2; fail "the node was not ready within 15 s"; }

set +e
timeout 50 java -Xmx512m -jar "$BENCH_JAR" fanout \
  --ws "ws://127.0.0.1:$PUBLIC_PORT/connect" --push "http://127.0.0.1:$API_PORT/push/room" \
  --connections "$CONNECTIONS" --rate 200 --duration "$SECONDS_OF_PUSH" --warmup 1 --tick-ms 50 \
  --sources 2 --server-pid "$NODE_PID" --max-seconds 45 | tee "$WORK/bench.out"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "bench exited with $status"

result=$(grep '^RESULT {' "$WORK/bench.out" | tail -1 | cut -c8-)
[ -n "$result" ] || fail "no RESULT line"

# Vert.x writes compact JSON, so each field is one exact substring.
for field in '"mode":"fanout"' '"target":"pushgate"' '"subscribers":' '"pushed":' '"expected":' \
             '"latencyMs":{"count":' '"p50":' '"p99":' '"max":' '"itemsPerServerCpuSecond":' '"server":{"cpuSeconds":' \
             '"generator":{"cpuSeconds":' '"date":' '"loadStart":' '"eventLoops":' '"serverFanoutMs":{"deliveries":'; do
  grep -qF "$field" <<<"$result" || fail "RESULT lacks $field"
done
# The server's own share must have been measured: ticks delivered in the window, with a mean.
grep -qE '"serverFanoutMs":\{"deliveries":[1-9][0-9]*,"mean":' <<<"$result" || fail "no fan-out timings from the server's /stats"

grep -qF "\"subscribers\":$CONNECTIONS," <<<"$result" || fail "not all $CONNECTIONS subscribers joined"
grep -qF '"deliveryRatio":1.0,' <<<"$result" || fail "delivery ratio is not exactly 1.0"
grep -qF '"lost":0,' <<<"$result" || fail "items were lost"
grep -qF '"duplicates":0,' <<<"$result" || fail "items were duplicated"
grep -qF '"outOfOrder":0,' <<<"$result" || fail "items arrived out of order"
grep -qF '"pushed":0,' <<<"$result" && fail "nothing was pushed"

set +e
timeout 50 java -Xmx512m -jar "$BENCH_JAR" storm \
  --ws "ws://127.0.0.1:$PUBLIC_PORT/connect" --push "http://127.0.0.1:$API_PORT/push/room" \
  --connections "$CONNECTIONS" --storm-rounds 1 --sources 2 --server-pid "$NODE_PID" --max-seconds 45 | tee "$WORK/storm.out"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "bench storm exited with $status"
storm=$(grep '^RESULT {' "$WORK/storm.out" | tail -1 | cut -c8-)
[ -n "$storm" ] || fail "no storm RESULT line"
for field in '"mode":"storm"' '"rejoinMs":{"count":' '"listenOverflows":' '"somaxconn":' '"serverCpuSeconds":'; do
  grep -qF "$field" <<<"$storm" || fail "storm RESULT lacks $field"
done
grep -qF "\"rejoined\":$CONNECTIONS," <<<"$storm" || fail "not all $CONNECTIONS clients rejoined after the storm"
grep -qF '"failedAttemptsTotal":0,' <<<"$storm" || fail "handshakes failed in the storm"

echo "smoke: OK (node pid $NODE_PID, ports $PUBLIC_PORT/$API_PORT)"
