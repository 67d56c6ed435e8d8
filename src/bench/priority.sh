#!/usr/bin/env bash
# Issue 14, item 2: graceful overload. SUBSCRIBERS in one room, NORMAL items/s pushed normal and LOW
# items/s pushed "priority":"low" (variant "low"), against the same load with every item normal, as a
# pusher sent it before priorities existed (variant "unmarked": --low-unmarked). The normal items
# must reach everyone (ratio 1.0) within tick + 50 ms p99, the low ones arrive at about the room's
# budget (maxRoomItemsPerSecond, default 1,000 a second less the normal ones), and the node's fan-out
# (tick to last write, /stats fanout) stay under the tick; without priorities the node cannot keep up
# and closes its slowest clients with 4002. The variants alternate ROUNDS times, a fresh node each.
# Usage: src/bench/priority.sh [JAR]. VARIANTS="low unmarked" by default. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUBSCRIBERS=${SUBSCRIBERS:-10000}
NORMAL=${NORMAL:-10}
LOW=${LOW:-5000}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-10}
ROUNDS=${ROUNDS:-3}
VARIANTS=${VARIANTS:-low unmarked}
JVM=${PUSHGATE_JVM:--XX:+UseParallelGC}
SERIES=priority
# shellcheck source=src/bench/ab-lib.sh
. src/bench/ab-lib.sh
own_jars
JAR=$(series_jar "${1:-target/pushgate.jar}")
echo "== $(nproc) cores, $(uname -r), $(java -version 2>&1 | sed -n 1p); results in $OUT"

# shellcheck disable=SC2206
jvm=($JVM)
for round in $(seq 1 "$ROUNDS"); do
  for variant in $VARIANTS; do
    extra=()
    [ "$variant" = unmarked ] && extra=(--low-unmarked)
    run_variant "$variant-$round" "$OUT/$variant-$round.out" "$JAR" java -- "${jvm[@]}" -- \
      fanout --connections "$SUBSCRIBERS" --rate "$NORMAL" --low-rate "$LOW" --duration "$DURATION" --warmup "$WARMUP" "${extra[@]}"
  done
done

for variant in $VARIANTS; do
  python3 src/bench/results.py date fanout.deliveryRatio=ratio fanout.lost=lost fanout.latencyMs.p50=p50ms \
    fanout.latencyMs.p99=p99ms fanout.low.perSubscriberPerSecond=lowPerSubS fanout.low.latencyMs.p99=lowP99ms \
    fanout.low.serverSampledInWindow=sampled fanout.serverFanoutMs.mean=fanoutMeanMs fanout.serverFanoutMs.p99AtMost=fanoutP99 \
    clients.serverCloses=closes server.cpuSeconds=serverCpuS othersCpuPercent=others% loadStart=load -- "$OUT/$variant"-*.out
done
