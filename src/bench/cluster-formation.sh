#!/usr/bin/env bash
# How long three -cluster nodes started together on loopback take to form one cluster: README's
# commands (bin/pushgate, conf/cluster.xml, no extra flags; START=java starts them with a bare
# `java -jar` instead, as README did before the launcher and its class-data archive), node N on public
# port 7776+N and API port 7798+N, all three started at once. The launcher uses JAR's archive
# (JAR with .jsa for .jar, which mvn package writes) while it is newer than the jar. Prints, per node, the seconds from the start until its /ready answered 200
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

# The nodes race for two cores: the polling below uses bash's own clock and /dev/tcp, no process per
# request. It used curl, grep and date, about 240 processes a second, a share of a core taken from
# the nodes it timed (BENCHMARKS.md, section 9).
now() {
  local t=${EPOCHREALTIME/[.,]/}
  ns=$((t * 1000))
}
# get PORT PATH: the whole HTTP/1.0 response in $reply; fails if nothing listens or it takes over 1 s.
get() {
  reply=
  local fd line
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&"$fd"
  while IFS= read -r -t 1 line <&"$fd"; do reply+=$line$'\n'; done
  reply+=$line
  exec {fd}>&-
}

busy() {
  ss -ltnH 2>/dev/null | awk '{print $4}' | grep -Eq "[:.]($1)\$"
}

for run in $(seq 1 "$RUNS"); do
  for port in 7777 7778 7779 7799 7800 7801 5701 5702 5703; do
    if busy "$port"; then echo "cluster-formation: port $port is in use; stop what holds it" >&2; exit 1; fi
  done
  now; start=$ns
  for n in 1 2 3; do
    if [ "${START:-launcher}" = java ]; then
      PUSHGATE_PUBLIC_PORT=$((7776 + n)) PUSHGATE_API_PORT=$((7798 + n)) \
        java -jar "$JAR" -cluster -cluster-host 127.0.0.1 >"$WORK/node$n.log" 2>&1 &
    else
      PUSHGATE_JAR=$JAR PUSHGATE_PUBLIC_PORT=$((7776 + n)) PUSHGATE_API_PORT=$((7798 + n)) \
        sh bin/pushgate -cluster -cluster-host 127.0.0.1 >"$WORK/node$n.log" 2>&1 &
    fi
    PIDS+=($!)
  done
  declare -A formed=()
  deadline=$((start + TIMEOUT * 1000000000))
  now
  while [ ${#formed[@]} -lt 3 ] && [ "$ns" -lt "$deadline" ]; do
    for n in 1 2 3; do
      [ -n "${formed[$n]:-}" ] && continue
      get $((7776 + n)) /ready || continue
      [[ "$reply" == "HTTP/1."?" 200 "* ]] || continue
      get $((7798 + n)) /stats || continue
      if [[ "$reply" =~ \"members\"\ *:\ *([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = 3 ]; then
        now; formed[$n]=$(( (ns - start) / 1000000 ))
      fi
    done
    sleep 0.1
    now
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
    printf 'formation: 3 members on all 3 nodes after %d.%02d s (run %d, %s, %s, load %s)\n' $((slowest / 1000)) $((slowest % 1000 / 10)) \
      "$run" "${START:-launcher}$(grep -q SharedArchiveFile "$WORK/node1.log" && ! grep -q 'Unable to use shared archive' "$WORK/node1.log" && echo ' with archive')" "$(date -u +%H:%M:%SZ)" "$(cut -d' ' -f1-3 /proc/loadavg)"
  else
    echo "formation: FAILED within ${TIMEOUT} s (run $run)"
  fi
  unset formed
  stop_all
  if [ -n "$KEEP" ]; then mkdir -p "$KEEP/run$run" && cp "$WORK"/node*.log "$KEEP/run$run/"; fi
done
