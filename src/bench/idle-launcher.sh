#!/usr/bin/env bash
# Issue 14, item 5: memory out of the box. CONNECTIONS idle joined connections held HOLD s, RSS growth
# per connection as BENCHMARKS.md's idle measurement counts it (idle --jcmd), with README's run
# command (bin/pushgate, which sizes the JVM from the configuration) against plain
# `java -jar target/pushgate.jar` (the JVM's defaults: G1, a heap sized from the machine), alternating
# ROUNDS times, a fresh node each. Usage: src/bench/idle-launcher.sh [JAR]. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS=${CONNECTIONS:-19000}
HOLD=${HOLD:-15}
ROUNDS=${ROUNDS:-3}
SERIES=idle-launcher
# shellcheck source=src/bench/ab-lib.sh
. src/bench/ab-lib.sh
own_jars
JAR=$(series_jar "${1:-target/pushgate.jar}")
echo "== $(nproc) cores, $(free -h | awk '/^Mem:/ {print $2}'), $(uname -r), $(java -version 2>&1 | sed -n 1p); results in $OUT"

for round in $(seq 1 "$ROUNDS"); do
  run_variant "launcher-$round" "$OUT/launcher-$round.out" "$JAR" launcher -- -- \
    idle --connections "$CONNECTIONS" --hold "$HOLD" --jcmd
  grep -m1 '^pushgate: java' "$OUT/launcher-$round.node.log" || true
  run_variant "java-jar-$round" "$OUT/java-jar-$round.out" "$JAR" java -- -- \
    idle --connections "$CONNECTIONS" --hold "$HOLD" --jcmd
done

python3 src/bench/results.py date idle.joined=joined idle.rssBaseMB=rssBeforeMB idle.rssMB=rssAfterMB \
  idle.rssPerConnectionBytes=rssPerConn idle.heapPerConnectionBytes=heapPerConn othersCpuPercent=others% loadStart=load \
  -- "$OUT"/launcher-*.out "$OUT"/java-jar-*.out
