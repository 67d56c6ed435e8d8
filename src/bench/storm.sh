#!/usr/bin/env bash
# Issue 18, item 1: a reconnect storm with README's command. A node started with bin/pushgate (which
# sizes the JVM; JAVA_OPTS adds to it), CONNECTIONS clients from SOURCES loopback addresses join,
# all drop, and all rejoin at one instant, STORM_ROUNDS times (the last round is the figure, the
# earlier ones warm both JITs); net.core.somaxconn is whatever the machine has (the target is at the
# kernel's default, 4096). Two jars alternate ROUNDS times, a fresh node each; with one jar only it
# runs ROUNDS times. A GC log per run is kept beside its output.
# Usage: src/bench/storm.sh [BEFORE_JAR] AFTER_JAR (default target/pushgate.jar). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS=${CONNECTIONS:-19000}
SOURCES=${SOURCES:-32}
STORM_ROUNDS=${STORM_ROUNDS:-2}
ROUNDS=${ROUNDS:-3}
SERIES=storm
# shellcheck source=src/bench/ab-lib.sh
. src/bench/ab-lib.sh
own_jars
variants=()
if [ "$#" -ge 2 ]; then
  variants=("before=$(own_jar "$1" before.jar)" "after=$(own_jar "$2" after.jar)")
else
  variants=("after=$(own_jar "${1:-target/pushgate.jar}" after.jar)")
fi
echo "== $(nproc) cores, $(uname -r), somaxconn $(cat /proc/sys/net/core/somaxconn), $(java -version 2>&1 | sed -n 1p); results in $OUT"

for round in $(seq 1 "$ROUNDS"); do
  for v in "${variants[@]}"; do
    name=${v%%=*}
    run_variant "$name-$round" "$OUT/$name-$round.out" "${v#*=}" launcher \
      "JAVA_OPTS=${JAVA_OPTS:-} -Xlog:gc:file=$OUT/$name-$round.gc.log" -- -- \
      storm --connections "$CONNECTIONS" --storm-rounds "$STORM_ROUNDS" --sources "$SOURCES"
  done
done

python3 src/bench/results.py date storm.allRejoinedMs=allMs storm.rejoinMs.p50=p50ms storm.failedAttemptsTotal=failed \
  storm.rounds=rounds server.cpuSeconds=serverCpuS server.threads=serverThreads generator.cpuSeconds=genCpuS \
  othersCpuPercent=others% loadStart=load -- "$OUT"/*-*.out
