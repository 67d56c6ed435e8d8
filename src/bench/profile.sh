#!/usr/bin/env bash
# A CPU profile of pushgate while it fans out (issue 14, items 3 and 4): a fresh node (TICK ms,
# PUSHGATE_JVM flags plus -XX:+PreserveFramePointer), the generator's fanout (SUBSCRIBERS in one room,
# RATE items/s, one item per publish request, WARMUP s then DURATION s), and `perf record -F 499 -e
# cpu-clock -g` of the node for PROFILE_SECONDS once the measured window starts (Java frames named
# through `jcmd PID Compiler.perfmap`; hardware counters are not available in this VM, cpu-clock is).
# Writes OUT/profile.collapsed (src/bench/perf_fold.py), OUT/flame.png (matplotlib) and prints the
# share of the kernel, Java and native code and the hottest frames. Needs perf (Debian: linux-perf).
# (async-profiler 3.0 from Maven Central would not attach here: `jcmd JVMTI.agent_load` returned 100.)
# Usage: src/bench/profile.sh [JAR]. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUBSCRIBERS=${SUBSCRIBERS:-5000}
RATE=${RATE:-200}
TICK=${TICK:-100}
WARMUP=${WARMUP:-20}
DURATION=${DURATION:-20}
PROFILE_SECONDS=${PROFILE_SECONDS:-15}
JVM="${PUSHGATE_JVM:--Xms1g -Xmx1g -XX:+UseParallelGC} -XX:+PreserveFramePointer"
SERIES=profile
# shellcheck source=src/bench/ab-lib.sh
. src/bench/ab-lib.sh
own_jars
JAR=$(series_jar "${1:-target/pushgate.jar}")

command -v perf >/dev/null || fail "perf is missing (apt-get install linux-perf)"

pub=$(free_port)
api=$(free_port)
# shellcheck disable=SC2206
jvm=($JVM)
NODE_JAR=$JAR start_node "$OUT/node.log" PUSHGATE_PUBLIC_PORT="$pub" PUSHGATE_API_PORT="$api" PUSHGATE_TICK_MILLIS="$TICK" -- "${jvm[@]}"
VARIANT_PID=$NODE_PID
echo "== $(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg), node $NODE_PID (tick $TICK ms, ${jvm[*]}); results in $OUT"
timeout 900 java -jar "$BENCH_JAR" fanout --connections "$SUBSCRIBERS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
  --push-batch 1 --tick-ms "$TICK" --ws "ws://127.0.0.1:$pub/connect" --push "http://127.0.0.1:$api/push/room" \
  --server-pid "$NODE_PID" >"$OUT/bench.out" 2>&1 &
bench=$!
trap 'kill "$bench" 2>/dev/null; stop_process "$VARIANT_PID"' EXIT   # the generator too, if this script fails
for _ in $(seq 1 $((10 * (WARMUP + 300)))); do
  grep -q '] publishing ' "$OUT/bench.out" && break
  kill -0 "$bench" 2>/dev/null || break
  sleep 0.1
done
grep -q '] publishing ' "$OUT/bench.out" || fail "the measured window never started (see $OUT/bench.out)"
perf record -F 499 -e cpu-clock -g -p "$NODE_PID" -o "$OUT/perf.data" -- sleep "$PROFILE_SECONDS" >"$OUT/perf.log" 2>&1
jcmd "$NODE_PID" Compiler.perfmap >>"$OUT/perf.log" 2>&1   # /tmp/perf-PID.map: names for the JIT's code
perf script -i "$OUT/perf.data" 2>>"$OUT/perf.log" | python3 src/bench/perf_fold.py >"$OUT/profile.collapsed"
wait "$bench" || true
grep -v '^\[' "$OUT/bench.out" | grep -v '^RESULT' || true
stop_process "$NODE_PID"
VARIANT_PID=
[ -s "$OUT/profile.collapsed" ] || fail "no profile written (see $OUT/perf.log)"
py=python3
python3 -c 'import matplotlib' 2>/dev/null || { [ -x /usr/bin/python3 ] && py=/usr/bin/python3; }
"$py" src/bench/flame_png.py "$OUT/profile.collapsed" "$OUT/flame.png" \
  "pushgate, fanout $SUBSCRIBERS x $RATE/s, tick $TICK ms, $(date -u +%Y-%m-%d), $PROFILE_SECONDS s of cpu samples"
