#!/usr/bin/env bash
# Efficiency against a peer: the same fan-out — SUBSCRIBERS in one room, RATE
# items/s, one item per publish request — against pushgate and against nchan (nginx's pub/sub
# module, which sends every message as its own frame), one after the other in one run on this
# machine. Each server's CPU seconds come from /proc (nginx: master and workers); the figure is
# items delivered per server CPU-second, and the ratio pushgate / nchan.
#
# Needs root for apt-get (nginx, libnginx-mod-nchan) and target/pushgate.jar (mvn package); builds the
# load generator's jar (bench/target/pushgate-bench.jar) when it is missing or older than its sources.
# Everything listens on 127.0.0.1 only; both servers are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUBSCRIBERS=${SUBSCRIBERS:-5000}
RATE=${RATE:-200}
DURATION=${DURATION:-20}
# pushgate's JIT keeps compiling its warm paths (the push API, pings) for minutes at 200 requests a
# second; after 45 s it still takes ~5% of the window (RESULT's server.threads.jit), after 15 s
# ~10%. A long-running server does not pay it. nginx is unaffected.
WARMUP=${WARMUP:-45}
JAR=target/pushgate.jar
WORK=$(mktemp -d /tmp/pushgate-compare.XXXXXX)
NODE_PID=
# shellcheck source=src/bench/nchan-lib.sh
. src/bench/nchan-lib.sh

cleanup() {
  local status=$?
  stop_nchan
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NODE_PID" 2>/dev/null || true
  fi
  if [ "$status" -eq 0 ]; then rm -rf "$WORK"; else echo "compare: logs kept in $WORK" >&2; fi
}
trap cleanup EXIT

fail() {
  echo "compare: FAIL: $*" >&2
  exit 1
}

[ -f "$JAR" ] || fail "$JAR is missing: run mvn -B package -DskipTests first"

install_nchan

# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
build_bench_jar
PUBLIC_PORT=$(free_port)
API_PORT=$(free_port)
NCHAN_PORT=$(free_port)

echo "== machine: $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}') memory, $(uname -r), $(java -version 2>&1 | sed -n 1p), $(nginx -v 2>&1), load $(cut -d' ' -f1-3 /proc/loadavg)"

PUSHGATE_PUBLIC_HOST=127.0.0.1 PUSHGATE_API_HOST=127.0.0.1 \
PUSHGATE_PUBLIC_PORT=$PUBLIC_PORT PUSHGATE_API_PORT=$API_PORT \
  java ${PUSHGATE_JVM:--Xms1g -Xmx1g -XX:+UseParallelGC} -jar "$JAR" >"$WORK/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 150); do
  grep -q "pushgate node ready" "$WORK/node.log" && break
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.log" >&2; fail "pushgate exited at start"; }
  sleep 0.1
done
grep -q "pushgate node ready" "$WORK/node.log" || fail "pushgate was not ready within 15 s"

start_nchan "$WORK" "$NCHAN_PORT"

common=(fanout --connections "$SUBSCRIBERS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --push-batch 1 --room bench)

echo "== pushgate (pid $NODE_PID)"
java -jar "$BENCH_JAR" "${common[@]}" --target pushgate \
  --ws "ws://127.0.0.1:$PUBLIC_PORT/connect" --push "http://127.0.0.1:$API_PORT/push/room" \
  --server-pid "$NODE_PID" | tee "$WORK/pushgate.out"
echo "== nchan (nginx pids $NGINX_PIDS)"
java -jar "$BENCH_JAR" "${common[@]}" --target nchan \
  --ws "ws://127.0.0.1:$NCHAN_PORT/sub/{room}" --push "http://127.0.0.1:$NCHAN_PORT/pub/{room}" \
  --server-pid "$NGINX_PIDS" | tee "$WORK/nchan.out"

field() { # field FILE NAME: a top-level-unique numeric field of the RESULT line
  grep '^RESULT {' "$1" | tail -1 | grep -oE "\"$2\":[0-9.eE+-]+" | sed -n 1p | cut -d: -f2
}
pg=$(field "$WORK/pushgate.out" itemsPerServerCpuSecond)
nc=$(field "$WORK/nchan.out" itemsPerServerCpuSecond)
[ -n "$pg" ] && [ -n "$nc" ] || fail "a RESULT line is missing"

echo
echo "== items delivered per server CPU-second, $SUBSCRIBERS subscribers x $RATE items/s, $DURATION s"
printf '%-10s %14s %10s %14s %14s\n' server "items/CPU-s" "CPU-s" "delivered" "ratio"
for s in pushgate nchan; do
  printf '%-10s %14s %10s %14s %14s\n' "$s" "$(field "$WORK/$s.out" itemsPerServerCpuSecond)" \
    "$(field "$WORK/$s.out" cpuSeconds)" "$(field "$WORK/$s.out" distinct)" "$(field "$WORK/$s.out" deliveryRatio)"
done
jit=$(field "$WORK/pushgate.out" jit)
loops=$(field "$WORK/pushgate.out" eventLoops)
echo "pushgate's CPU-s: event loops ${loops:-?}, JIT compilers ${jit:-?} (counted in its total above)"
ratio=$(awk -v a="$pg" -v b="$nc" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }')
echo "COMPARE {\"subscribers\":$SUBSCRIBERS,\"rate\":$RATE,\"duration\":$DURATION,\"warmup\":$WARMUP,\"pushgateItemsPerCpuSecond\":$pg,\"nchanItemsPerCpuSecond\":$nc,\"ratio\":$ratio}"
echo "pushgate delivers ${ratio}x as many items per server CPU-second as nchan (target: 20x)"
