#!/usr/bin/env bash
# Where a node's CPU goes in the fan-out with streams on and off, read from a profile rather than
# from CPU totals: on two shared cores the totals move by more than the streams can cost, while the
# shares within one profile do not depend on what the rest of the machine does.
#
# Usage: src/bench/streams-profile.sh [on|off ...]   (default: on off; CONNECTIONS=5000 RATE=200 WARMUP=45)
# For each: a fresh node (-XX:+PreserveFramePointer), the fan-out of streams.sh, and
# `perf record -F 499 -e cpu-clock -g` of the node over the DURATION s after the warm-up; then the
# share of samples whose own frame is in the streams' code (io.pushgate.history.*, the merger's
# Streams/StreamAppends/StreamState/ReplayRing/Recovery), in pushgate's code as a whole, and in
# the kernel. Needs perf (linux-perf) and target/pushgate.jar; output in target/streams-profile/TIME/.
set -euo pipefail
cd "$(dirname "$0")/../.."

CONNECTIONS=${CONNECTIONS:-5000}
RATE=${RATE:-200}
WARMUP=${WARMUP:-45}
DURATION=${DURATION:-20}
WORK=target/streams-profile/$(date -u +%Y%m%dT%H%M%SZ)
NODE_PID=

fail() {
  echo "streams-profile: FAIL: $*" >&2
  exit 1
}

cleanup() {
  [ -z "$NODE_PID" ] || stop_node "$NODE_PID"
}
trap cleanup EXIT

command -v perf >/dev/null || fail "perf is not installed (apt-get install linux-perf)"
[ -f target/pushgate.jar ] || fail "target/pushgate.jar is missing: run mvn -B package -DskipTests first"
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
mkdir -p "$WORK"
own_jars
NODE_JAR=$(own_jar target/pushgate.jar pushgate.jar)
echo "== $(date -u +%FT%TZ), $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); output in $WORK"

# share FILE PATTERN: the percentage of samples whose own symbol matches PATTERN
share() {
  { grep -E "$2" "$1" || true; } | awk '{ s += $1 } END { printf "%.2f", s + 0 }'
}

for h in "${@:-on off}"; do
  for variant in $h; do
    history=()
    [ "$variant" = on ] || history=(PUSHGATE_HISTORY_SIZE=0)
    public=$(free_port)
    api=$(free_port)
    start_node "$WORK/node-$variant.log" PUSHGATE_PUBLIC_PORT="$public" PUSHGATE_API_PORT="$api" "${history[@]}" \
      -- -Xms1g -Xmx1g -XX:+UseParallelGC -XX:+PreserveFramePointer
    java -jar "$WORK/pushgate-bench.jar" fanout --connections "$CONNECTIONS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
      --push-batch 1 --ws "ws://127.0.0.1:$public/connect" --push "http://127.0.0.1:$api/push/room" --server-pid "$NODE_PID" \
      >"$WORK/fanout-$variant.out" 2>&1 &
    bench=$!
    # The generator prints "publishing" once the warm-up is over: sample the measured window.
    for _ in $(seq 1 $(( (WARMUP + 120) * 5 ))); do grep -q " publishing " "$WORK/fanout-$variant.out" && break; sleep 0.2; done
    perf record -q -F 499 -e cpu-clock -g -p "$NODE_PID" -o "$WORK/perf-$variant.data" -- sleep "$DURATION" 2>/dev/null
    jcmd "$NODE_PID" Compiler.perfmap >/dev/null
    wait "$bench" || fail "the generator failed (see $WORK/fanout-$variant.out)"
    perf report -i "$WORK/perf-$variant.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' \
      >"$WORK/symbols-$variant.txt"
    stop_node "$NODE_PID"
    NODE_PID=
    streams=$(share "$WORK/symbols-$variant.txt" 'io\.pushgate\.(history\.|merge\.(Streams|StreamAppends|StreamState|ReplayRing|Recovery)[.$])')
    pushgate=$(share "$WORK/symbols-$variant.txt" 'io\.pushgate\.')
    kernel=$(share "$WORK/symbols-$variant.txt" '\[k\]')
    echo "history $variant: streams' code $streams% of the node's samples, pushgate's code $pushgate%, kernel $kernel%;" \
      "$(grep -E '^   server [0-9]' "$WORK/fanout-$variant.out" | sed 's/^ *//')"
  done
done
