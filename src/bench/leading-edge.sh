#!/usr/bin/env bash
# Issue 14, item 1: a quiet room's first item leaves at once (leading edge) instead of at the tick.
# ROOMS rooms with PER_ROOM subscribers each, one item a second into each room (ROOMS items/s in
# all, one item a request, each room numbered on its own), push-to-receive p50/p99 over DURATION s
# after WARMUP s. The jar before the leading edge (014cd3b^, built here from git) and the one
# after (target/pushgate.jar) alternate ROUNDS times, each run on a fresh node with the same flags;
# a table of every run's RESULT follows, with the CPU other processes took meanwhile.
# Usage: src/bench/leading-edge.sh [BEFORE_JAR] [AFTER_JAR]. Loopback only; nodes stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

ROOMS=${ROOMS:-1000}
PER_ROOM=${PER_ROOM:-10}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-10}
ROUNDS=${ROUNDS:-3}
JVM=${PUSHGATE_JVM:--XX:+UseParallelGC}
SERIES=leading-edge
# shellcheck source=src/bench/ab-lib.sh
. src/bench/ab-lib.sh
own_jars
BEFORE=$(own_jar "${1:-$(jar_at 014cd3b^ "${JARS:-/tmp/pushgate-jars}/014cd3b-parent")}" before.jar)
AFTER=$(own_jar "${2:-target/pushgate.jar}" after.jar)
echo "== $(nproc) cores, $(uname -r), $(java -version 2>&1 | sed -n 1p); results in $OUT"

# shellcheck disable=SC2206
# shellcheck disable=SC2086 # JVM is a list of flags
alternate "$ROUNDS" "$BEFORE" "$AFTER" $JVM -- \
  fanout --connections $((ROOMS * PER_ROOM)) --rooms "$ROOMS" --rate "$ROOMS" --duration "$DURATION" --warmup "$WARMUP"

python3 src/bench/results.py date fanout.latencyMs.p50=p50ms fanout.latencyMs.p99=p99ms fanout.latencyMs.max=maxms \
  fanout.deliveryRatio=ratio fanout.lost=lost server.cpuSeconds=serverCpuS serverStats.merger.leadingFlushes=leading \
  othersCpuPercent=others% loadStart=load -- "$OUT"/before-*.out "$OUT"/after-*.out
