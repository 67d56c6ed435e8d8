#!/usr/bin/env bash
# A frame's server CPU, before and after a change to the write path (issue 14, item 4): the fan-out
# at the bar load (SUBSCRIBERS x RATE items/s in one room, or over ROOMS rooms, each subscriber in one
# and the items spread over them, so that a tick hands each shard several frames; one item per
# publish request, tick 100 ms,
# WARMUP s then DURATION s measured), the jar at BEFORE_REV (built from git by the script) and the
# working tree's jar, alternating ROUNDS times, a fresh node each (-Xms1g -Xmx1g -XX:+UseParallelGC).
# Prints each run's summary and a table with the server's CPU per frame written, user and kernel:
# the generator reads it from /proc/PID/stat over the measured window and divides by the frames the
# node's /stats counted in it. Loopback only; every process is bounded and stopped.
# Usage: BEFORE_REV=REV src/bench/frame-cost.sh [BEFORE_JAR [AFTER_JAR]]
set -euo pipefail
cd "$(dirname "$0")/../.."

SUBSCRIBERS=${SUBSCRIBERS:-5000}
RATE=${RATE:-200}
ROOMS=${ROOMS:-1}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-20}
ROUNDS=${ROUNDS:-3}
BEFORE_REV=${BEFORE_REV:-HEAD}
JVM=${PUSHGATE_JVM:--Xms1g -Xmx1g -XX:+UseParallelGC}
SERIES=frame-cost
. src/bench/ab-lib.sh
own_jars
rev=$(git rev-parse --short "$BEFORE_REV")
BEFORE=$(own_jar "${1:-$(jar_at "$rev" "${JARS:-/tmp/pushgate-jars}/$rev")}" before.jar)
AFTER=$(own_jar "${2:-target/pushgate.jar}" after.jar)
echo "== $(nproc) cores, $(uname -r), $(java -version 2>&1 | sed -n 1p); before = $rev; results in $OUT"

# shellcheck disable=SC2086 # JVM is a list of flags
alternate "$ROUNDS" "$BEFORE" "$AFTER" $JVM -- \
  fanout --connections "$SUBSCRIBERS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --push-batch 1 --rooms "$ROOMS"

python3 src/bench/results.py date fanout.latencyMs.p50=p50ms fanout.latencyMs.p99=p99ms fanout.deliveryRatio=ratio \
  fanout.serverFrames.cpuMicrosPerFrame=usPerFrame fanout.serverFrames.userMicrosPerFrame=user fanout.serverFrames.sysMicrosPerFrame=kernel \
  server.cpuSeconds=serverCpuS othersCpuPercent=others% loadStart=load -- "$OUT"/before-*.out "$OUT"/after-*.out
