#!/usr/bin/env bash
# How long three -cluster nodes started together on loopback take to form one cluster: README's
# commands (conf/cluster.xml, no extra flags), node N on public port 7776+N and API port 7798+N, all
# three started at once. Prints, per node, the seconds from the start until its /ready answered 200
# and its /stats said 3 members, then the slowest of the three: "formation: 3 members on all 3 nodes
# after S s". Bounded: gives up after TIMEOUT seconds (default 60) and stops every node it started.
# Usage: src/bench/cluster-formation.sh [SERVER_JAR] (default target/pushgate.jar); RUNS=N repeats it.
# Hazelcast binds 5701-5710 and the nodes 7777-7779 / 7799-7801: they must be free (checked).
set -euo pipefail
cd "$(dirname "$0")/../.."

JAR=${1:-target/pushgate.jar}
TIMEOUT=${TIMEOUT:-60}
RUNS=${RUNS:-1}
WORK=$(mktemp -d)
KEEP=${LOGS:-}   # LOGS=DIR keeps each run's node logs there
PIDS=()

stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

[ -f "$JAR" ] || { echo "cluster-formation: $JAR is missing (mvn package)" >&2; exit 1; }

busy() {
  ss -ltnH 2>/dev/null | awk '{print $4}' | grep -Eq "[:.]($1)\$"
}

for run in $(seq 1 "$RUNS"); do
  for port in 7777 7778 7779 7799 7800 7801 5701 5702 5703; do
    if busy "$port"; then echo "cluster-formation: port $port is in use; stop what holds it" >&2; exit 1; fi
  done
  start=$(date +%s%N)
  for n in 1 2 3; do
    PUSHGATE_PUBLIC_PORT=$((7776 + n)) PUSHGATE_API_PORT=$((7798 + n)) \
      java -jar "$JAR" -cluster -cluster-host 127.0.0.1 >"$WORK/node$n.log" 2>&1 &
    PIDS+=($!)
  done
  declare -A formed=()
  deadline=$((start + TIMEOUT * 1000000000))
  while [ ${#formed[@]} -lt 3 ] && [ "$(date +%s%N)" -lt "$deadline" ]; do
    for n in 1 2 3; do
      [ -n "${formed[$n]:-}" ] && continue
      ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$((7776 + n))/ready" || true)
      members=$(curl -s --max-time 1 "http://127.0.0.1:$((7798 + n))/stats" \
        | grep -o '"members" *: *[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
      if [ "$ready" = 200 ] && [ "${members:-0}" = 3 ]; then
        formed[$n]=$(( ($(date +%s%N) - start) / 1000000 ))
      fi
    done
    sleep 0.1
  done
  slowest=0
  for n in 1 2 3; do
    ms=${formed[$n]:-}
    if [ -z "$ms" ]; then
      echo "node $n: not formed within ${TIMEOUT} s; its log:"; tail -20 "$WORK/node$n.log"
      slowest=-1
    else
      printf 'node %d: ready with 3 members after %d.%02d s\n' "$n" $((ms / 1000)) $((ms % 1000 / 10))
      [ "$slowest" -ge 0 ] && [ "$ms" -gt "$slowest" ] && slowest=$ms
    fi
  done
  if [ "$slowest" -ge 0 ]; then
    printf 'formation: 3 members on all 3 nodes after %d.%02d s (run %d, %s, load %s)\n' $((slowest / 1000)) $((slowest % 1000 / 10)) \
      "$run" "$(date -u +%H:%M:%SZ)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  else
    echo "formation: FAILED within ${TIMEOUT} s (run $run)"
  fi
  unset formed
  stop_all
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP/run$run" && cp "$WORK"/node*.log "$KEEP/run$run/"; fi
done
