#!/usr/bin/env bash
# What streams cost (history and recovery), measured side by side on one machine:
#
#   1. the fan-out (CONNECTIONS subscribers in one room, RATE items/s, one item per publish request,
#      WARMUP s then DURATION s measured) with history on (the default: every room is a stream) and
#      off (PUSHGATE_HISTORY_SIZE=0), alternating on/off, off/on, ... for RUNS pairs, a fresh node
#      each run: items per server CPU-second, p99, history operations per second, replay encodes;
#      With CLUSTER=N the node is the first of N -cluster nodes on a private copy of conf/cluster.xml
#      (its history in Hazelcast's map, with a backup on another node when N > 1): subscribers and
#      pushes on the first, server CPU of all N;
#   2. a reconnect storm of STORM_CLIENTS clients over STORM_ROOMS rooms: on a node with history,
#      every client rejoins with JOIN since its last position after missing items (storm --since);
#      on a node without, the plain storm of the same clients, as the baseline. STORM_RUNS of each,
#      alternating.
#
# Usage: src/bench/streams.sh   (RUNS=5 CONNECTIONS=5000 RATE=200 WARMUP=45 DURATION=20
#        STORM_CLIENTS=19000 STORM_ROOMS=100 STORM_RUNS=2 CLUSTER=0; SKIP_FANOUT=1 or SKIP_STORM=1 to leave one out)
# Needs target/pushgate.jar (mvn package); builds the load generator's jar when it is stale.
# A storm of 19,000 needs net.core.somaxconn >= 19,000 to measure the server rather than SYN retries
# (sysctl -w net.core.somaxconn=32768 before running; the script says what it found). Everything
# listens on 127.0.0.1; every node is stopped at the end. Output: target/streams-bench/TIME/.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-5}
CONNECTIONS=${CONNECTIONS:-5000}
RATE=${RATE:-200}
WARMUP=${WARMUP:-45}
DURATION=${DURATION:-20}
STORM_CLIENTS=${STORM_CLIENTS:-19000}
STORM_ROOMS=${STORM_ROOMS:-100}
STORM_RUNS=${STORM_RUNS:-2}
CLUSTER=${CLUSTER:-0}
read -r -a JVM <<<"${PUSHGATE_JVM:--Xms1g -Xmx1g -XX:+UseParallelGC}"
WORK=target/streams-bench/$(date -u +%Y%m%dT%H%M%SZ)
NODE_PID=
SERVER_PIDS=

fail() {
  echo "streams: FAIL: $*" >&2
  exit 1
}

stop_nodes() {
  local pid
  for pid in ${SERVER_PIDS//,/ }; do stop_node "$pid"; done
  SERVER_PIDS=
  NODE_PID=
}

cleanup() {
  stop_nodes
}
trap cleanup EXIT

[ -f target/pushgate.jar ] || fail "target/pushgate.jar is missing: run mvn -B package -DskipTests first"
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
mkdir -p "$WORK"
# The run's own copies: a rebuild in this tree while it runs must not change the code it measures.
own_jars
NODE_JAR=$(own_jar target/pushgate.jar pushgate.jar)

# field FILE NAME: the first numeric value of "NAME" in the RESULT line (names used here are unique
# or come first where they are meant).
field() {
  grep '^RESULT {' "$1" | tail -1 | grep -oE "\"$2\":[0-9.eE+-]+" | sed -n 1p | cut -d: -f2
}

somaxconn=$(cat /proc/sys/net/core/somaxconn)
echo "== $(date -u +%FT%TZ), $(nproc) cores, $(uname -r), $(java -version 2>&1 | sed -n 1p), somaxconn $somaxconn, load $(cut -d' ' -f1-3 /proc/loadavg)" \
  | tee "$WORK/machine.txt"
echo "== code $(git rev-parse --short HEAD 2>/dev/null || echo '?'), node JVM: ${JVM[*]}, $([ "$CLUSTER" -gt 0 ] && echo "$CLUSTER -cluster node(s)" || echo standalone); output in $WORK"
[ "$CLUSTER" -eq 0 ] || private_cluster_xml "$WORK/cluster.xml"

# node HISTORY TAG: a fresh node (or CLUSTER nodes), history on or off, on free ports; sets NODE_PID
# and the ports of the first, SERVER_PIDS of all.
node() {
  local history=() jvm=("${JVM[@]}") args=()
  [ "$1" = on ] || history=(PUSHGATE_HISTORY_SIZE=0)
  if [ "$CLUSTER" -gt 0 ]; then
    jvm+=(-Dvertx.hazelcast.config="$WORK/cluster.xml" -Dhazelcast.wait.seconds.before.join=0)
    args=(-cluster -cluster-host 127.0.0.1)
  fi
  local first= i
  for i in $(seq 1 "$(( CLUSTER > 1 ? CLUSTER : 1 ))"); do
    local public api
    public=$(free_port)
    api=$(free_port)
    [ "$public" != "$api" ] || api=$(free_port)
    start_node "$WORK/node-$2-$i.log" PUSHGATE_PUBLIC_PORT="$public" PUSHGATE_API_PORT="$api" "${history[@]}" -- "${jvm[@]}" -- "${args[@]}"
    SERVER_PIDS=${SERVER_PIDS:+$SERVER_PIDS,}$NODE_PID
    if [ -z "$first" ]; then first=$NODE_PID; PUBLIC_PORT=$public; API_PORT=$api; fi
  done
  NODE_PID=$first
  if [ "$CLUSTER" -gt 1 ]; then
    for _ in $(seq 1 600); do
      curl -s "http://127.0.0.1:$API_PORT/stats" | grep -q "\"members\":$CLUSTER," && return 0
      sleep 0.1
    done
    fail "$2: the first node did not see $CLUSTER members within 60 s"
  fi
}

urls() {
  echo --ws "ws://127.0.0.1:$PUBLIC_PORT/connect" --push "http://127.0.0.1:$API_PORT/push/room" --server-pid "$SERVER_PIDS"
}

fanout() { # fanout on|off RUN
  local tag="fanout-$1-$2"
  node "$1" "$tag"
  # shellcheck disable=SC2046
  java -jar "$BENCH_JAR" fanout --connections "$CONNECTIONS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
    --push-batch 1 $(urls) >"$WORK/$tag.out" 2>&1 || { tail -20 "$WORK/$tag.out" >&2; fail "$tag: the generator failed"; }
  stop_nodes
  local f="$WORK/$tag.out"
  printf '%-16s %12s %8s %10s %8s %8s %8s %8s %7s %6s\n' "$tag" "$(field "$f" itemsPerServerCpuSecond)" "$(field "$f" p99)" \
    "$(field "$f" operationsPerSecond)" "$(field "$f" replayEncodes)" "$(field "$f" cpuSeconds)" "$(field "$f" eventLoops)" \
    "$(field "$f" deliveryRatio)" "$(field "$f" othersCpuPercent)" "$(field "$f" loadStart)"
}

storm() { # storm on|off RUN: with history, every client rejoins with since; without, the plain storm
  local tag="storm-$1-$2"
  local since=()
  [ "$1" = off ] || since=(--since)
  node "$1" "$tag"
  # shellcheck disable=SC2046
  java -jar "$BENCH_JAR" storm "${since[@]}" --connections "$STORM_CLIENTS" --rooms "$STORM_ROOMS" $(urls) \
    >"$WORK/$tag.out" 2>&1 || { tail -20 "$WORK/$tag.out" >&2; fail "$tag: the generator failed"; }
  stop_nodes
  grep -A8 '^-- storm' "$WORK/$tag.out" | sed "s/^/$tag /"
}

if [ -z "${SKIP_FANOUT:-}" ]; then
  echo "== fan-out, $CONNECTIONS x $RATE items/s, warm-up $WARMUP s, measured $DURATION s: history on and off, alternating"
  printf '%-16s %12s %8s %10s %8s %8s %8s %8s %7s %6s\n' run "items/CPU-s" "p99 ms" "hist ops/s" "replays" "CPU-s" "loops-s" "ratio" "others%" "load"
  for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
    for h in $order; do fanout "$h" "$run"; done
  done
  for h in on off; do
    for run in $(seq 1 "$RUNS"); do field "$WORK/fanout-$h-$run.out" itemsPerServerCpuSecond; done | sort -n >"$WORK/$h.items"
  done
  awk -v runs="$RUNS" '
    FNR == 1 { file++ }
    { v[file, FNR] = $1 }
    END {
      mid = int((runs + 1) / 2)
      on = v[1, mid]; off = v[2, mid]
      printf "history on:  items per server CPU-s median %d (min %d, max %d)\n", on, v[1, 1], v[1, runs]
      printf "history off: items per server CPU-s median %d (min %d, max %d)\n", off, v[2, 1], v[2, runs]
      printf "history on costs %.1f%% of items per server CPU-second (medians; target: at most 10%%)\n", 100 * (1 - on / off)
    }' "$WORK/on.items" "$WORK/off.items" | tee "$WORK/fanout-summary.txt"
fi

if [ -z "${SKIP_STORM:-}" ]; then
  echo "== storm, $STORM_CLIENTS clients in $STORM_ROOMS rooms: with history every client rejoins with since; without, the plain storm"
  [ "$somaxconn" -ge "$STORM_CLIENTS" ] || echo "streams: net.core.somaxconn is $somaxconn, below $STORM_CLIENTS: expect SYN retries after 1 s"
  for run in $(seq 1 "$STORM_RUNS"); do
    if [ $((run % 2)) -eq 1 ]; then order="on off"; else order="off on"; fi
    for h in $order; do storm "$h" "$run"; done
  done
fi
echo "== done; RESULT lines and node logs in $WORK"
