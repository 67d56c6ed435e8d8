#!/usr/bin/env bash
# Issue 14, item 6: a 3-node cluster's efficiency. The same per-node audience twice, alternating
# ROUNDS times, fresh nodes each run:
#   single   one node (no -cluster), PER_NODE subscribers in one room, RATE items/s pushed to it;
#   cluster  three -cluster nodes on loopback (a private copy of conf/cluster.xml), 3 x PER_NODE
#            subscribers spread over them (connection i on node i % 3), the same RATE items/s pushed
#            through all three in turn (request j to node j % 3);
# the figure is items delivered per server CPU-second, all three nodes' CPU counted for the cluster.
# Then the cost of one cross-node broadcast: three nodes, one subscriber on each, BROADCASTS pushes/s
# (one item each) through the first node only for DURATION s; the CPU the two other nodes spent
# beyond what they spend idle over the same time, divided by the broadcasts they received
# (/stats cluster.broadcastsReceived). NODE_ENV (e.g. PUSHGATE_HISTORY_SIZE=0: plain rooms, no
# Hazelcast append per push) goes to every node. Usage: src/bench/cluster-efficiency.sh [JAR].
set -euo pipefail
cd "$(dirname "$0")/../.."

PER_NODE=${PER_NODE:-2000}
RATE=${RATE:-200}
BROADCASTS=${BROADCASTS:-200}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-20}
ROUNDS=${ROUNDS:-3}
JVM=${PUSHGATE_JVM:--XX:+UseParallelGC}
NODE_ENV=${NODE_ENV:-}
SERIES=cluster-efficiency
# shellcheck source=src/bench/ab-lib.sh
. src/bench/ab-lib.sh
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do stop_node "$pid" & done
  wait
  PIDS=()
}
trap stop_all EXIT
own_jars
JAR=$(series_jar "${1:-target/pushgate.jar}")
private_cluster_xml "$OUT/cluster.xml"
# shellcheck disable=SC2206
jvm=($JVM)
# shellcheck disable=SC2206
node_env=($NODE_ENV)
echo "== $(nproc) cores, $(uname -r), $(java -version 2>&1 | sed -n 1p); node env: ${NODE_ENV:-(defaults)}; results in $OUT"

# start_nodes N NAME [-cluster]: N nodes; sets PIDS, WS (comma-separated) and PUSH (comma-separated).
start_nodes() {
  local n=$1 name=$2 clustered=${3:-} i pub api extra=() args=()
  WS=
  PUSH=
  API_PORTS=()
  PORTS=()
  if [ -n "$clustered" ]; then
    extra=(-Dvertx.hazelcast.config="$OUT/cluster.xml" -Dhazelcast.wait.seconds.before.join=0)
    args=(-cluster -cluster-host 127.0.0.1)
  fi
  for i in $(seq 1 "$n"); do
    pub=$(free_port)
    api=$(free_port)
    NODE_JAR=$JAR start_node "$OUT/$name-node$i.log" PUSHGATE_PUBLIC_PORT="$pub" PUSHGATE_API_PORT="$api" "${node_env[@]}" \
      -- "${jvm[@]}" "${extra[@]}" -- "${args[@]}" &
    sleep 0.2
    # start_node runs in a subshell here (all nodes start together): find the node by its port.
    PORTS+=("$pub")
    API_PORTS+=("$api")
    WS=${WS:+$WS,}ws://127.0.0.1:$pub/connect
    PUSH=${PUSH:+$PUSH,}http://127.0.0.1:$api/push/room
  done
  wait
  local pid
  for pub in "${PORTS[@]}"; do
    pid=$(ss -ltnpH "sport = :$pub" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
    [ -n "$pid" ] || fail "no node listens on 127.0.0.1:$pub (see $OUT/$name-node*.log)"
    PIDS+=("$pid")
  done
  if [ -n "$clustered" ]; then
    for _ in $(seq 1 600); do
      members=$(curl -s --max-time 1 "http://127.0.0.1:${API_PORTS[0]}/stats" | grep -o '"members" *: *[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
      [ "${members:-0}" = "$n" ] && break
      sleep 0.1
    done
    [ "${members:-0}" = "$n" ] || fail "the $n nodes did not form a cluster"
  fi
}

cpu_ticks() { # the summed user+system clock ticks of the given pids
  local sum=0 pid
  for pid in "$@"; do
    sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$sum"
}

received() { # cluster.broadcastsReceived of the node whose API port is $1
  curl -s --max-time 5 "http://127.0.0.1:$1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cluster"]["broadcastsReceived"])'
}

fanout=(fanout --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --push-batch 1)
for round in $(seq 1 "$ROUNDS"); do
  start_nodes 1 "single-$round"
  echo "== single-$round: $(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg), pid ${PIDS[*]}" | tee "$OUT/single-$round.out"
  timeout 900 java -jar "$BENCH_JAR" "${fanout[@]}" --connections "$PER_NODE" --ws "$WS" --push "$PUSH" \
    --server-pid "$(IFS=,; echo "${PIDS[*]}")" >>"$OUT/single-$round.out" 2>&1 || true
  stop_all

  start_nodes 3 "cluster-$round" -cluster
  echo "== cluster-$round: $(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg), pids ${PIDS[*]}" | tee "$OUT/cluster-$round.out"
  timeout 900 java -jar "$BENCH_JAR" "${fanout[@]}" --connections $((3 * PER_NODE)) --ws "$WS" --push "$PUSH" \
    --server-pid "$(IFS=,; echo "${PIDS[*]}")" >>"$OUT/cluster-$round.out" 2>&1 || true

  # The broadcast's cost, on the same three nodes: their idle CPU first, then BROADCASTS pushes/s
  # through the first node only, one subscriber on each node.
  others=("${PIDS[1]}" "${PIDS[2]}")
  hz=$(getconf CLK_TCK)
  idle0=$(cpu_ticks "${others[@]}"); t0=$(date +%s%N)
  sleep "$DURATION"
  idle1=$(cpu_ticks "${others[@]}"); t1=$(date +%s%N)
  r0=$(( $(received "${API_PORTS[1]}") + $(received "${API_PORTS[2]}") ))
  busy0=$(cpu_ticks "${others[@]}"); b0=$(date +%s%N)
  timeout 900 java -jar "$BENCH_JAR" fanout --rate "$BROADCASTS" --duration "$DURATION" --warmup 1 --push-batch 1 --connections 3 \
    --room broadcast-probe --ws "$WS" --push "${PUSH%%,*}" --server-pid "$(IFS=,; echo "${PIDS[*]}")" >"$OUT/broadcast-$round.out" 2>&1 || true
  busy1=$(cpu_ticks "${others[@]}"); b1=$(date +%s%N)
  r1=$(( $(received "${API_PORTS[1]}") + $(received "${API_PORTS[2]}") ))
  python3 - "$hz" "$idle0" "$idle1" "$t0" "$t1" "$busy0" "$busy1" "$b0" "$b1" "$r0" "$r1" <<'PY' | tee -a "$OUT/broadcast-$round.out"
import sys
hz, i0, i1, t0, t1, b0, b1, s0, s1, r0, r1 = (float(a) for a in sys.argv[1:])
idle_rate = (i1 - i0) / hz / ((t1 - t0) / 1e9)          # CPU-s per s of the two receivers, idle
busy = (b1 - b0) / hz
window = (s1 - s0) / 1e9
extra = busy - idle_rate * window
n = r1 - r0
print('BROADCAST {"receivers":2,"broadcastsReceived":%d,"windowSeconds":%.1f,"receiversCpuSeconds":%.3f,"idleCpuSecondsPerSecond":%.4f,"extraCpuSeconds":%.3f,"microsPerBroadcastReceived":%.1f}'
      % (n, window, busy, idle_rate, extra, extra / n * 1e6 if n else float('nan')))
PY
  stop_all
done

python3 src/bench/results.py date fanout.subscribers=subs fanout.deliveryRatio=ratio fanout.latencyMs.p99=p99ms \
  fanout.itemsPerServerCpuSecond=itemsPerCpuS server.cpuSeconds=serverCpuS fanout.outOfOrder=outOfOrder othersCpuPercent=others% \
  loadStart=load -- "$OUT"/single-*.out "$OUT"/cluster-*.out
grep -h '^BROADCAST' "$OUT"/broadcast-*.out
