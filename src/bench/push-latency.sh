#!/usr/bin/env bash
# The push API's latency while the node fans out: BENCHMARKS.md's fan-out at the bar load
# (SUBSCRIBERS in one room, RATE items/s, one item per publish request) and, beside it, a separate
# pusher (src/bench/PushLatency.java) that POSTs /push/room to another room, one request at a time,
# PROBE_RATE a second for PROBE_SECONDS once every subscriber has joined. Prints the fan-out's summary
# and the pusher's line: PUSHLATENCY {"count":..,"p50Ms":..,"p90Ms":..,"p99Ms":..,"maxMs":..}.
# Each client in PROBE_CLIENTS (default "socket jdk", see PushLatency.java) probes in turn.
# The node starts with README's command (bin/pushgate) unless SERVER_OPTS is set, in which case it
# is `java $SERVER_OPTS -jar SERVER_JAR` (e.g. SERVER_OPTS=-XX:+UseParallelGC, as before 2026-11-30 22:30).
# API_SLICE_NS / PROBE_SLICE_NS (default unset): a scheduler slice for the push API's event loop (the
# loop whose CPU grows over 300 pushes before the load) / for the probes' JVMs, through
# src/bench/sched-slice.py (Linux 6.12+, python3).
# SCRAPE_EVERY (seconds, default 0: none) reads GET /metrics that often while the probes run, as
# Prometheus or a dashboard would; the scraper is bounded by the probes' time.
# Usage: src/bench/push-latency.sh [SERVER_JAR] (default target/pushgate.jar). Loopback only;
# every process it starts is bounded and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

JAR=${1:-target/pushgate.jar}
SUBSCRIBERS=${SUBSCRIBERS:-5000}
RATE=${RATE:-200}
PROBE_RATE=${PROBE_RATE:-40}
PROBE_SECONDS=${PROBE_SECONDS:-25}
PROBE_CLIENTS=${PROBE_CLIENTS:-socket jdk}
SCRAPE_EVERY=${SCRAPE_EVERY:-0}
WARMUP=${WARMUP:-15}
# The fan-out outlasts every probe: they start a second after the last join, one after the other.
probes=$(echo "$PROBE_CLIENTS" | wc -w)
DURATION=${DURATION:-$((probes * (PROBE_SECONDS + 3) + 5 - WARMUP))}
WORK=$(mktemp -d)
NODE_PID=
BENCH_PID=
SCRAPER_PID=

fail() {
  echo "push-latency: FAIL: $*" >&2
  exit 1
}

cleanup() {
  [ -n "$SCRAPER_PID" ] && kill -TERM "$SCRAPER_PID" 2>/dev/null || true
  [ -n "$BENCH_PID" ] && kill -TERM "$BENCH_PID" 2>/dev/null || true
  stop_process "$NODE_PID"
  rm -rf "$WORK"
}
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
trap cleanup EXIT

[ -f "$JAR" ] || fail "$JAR is missing (mvn package)"
build_bench_jar
PUBLIC_PORT=$(free_port)
API_PORT=$(free_port)
[ "$PUBLIC_PORT" != "$API_PORT" ] || API_PORT=$(free_port)

node_env=(PUSHGATE_PUBLIC_HOST=127.0.0.1 PUSHGATE_API_HOST=127.0.0.1 PUSHGATE_PUBLIC_PORT="$PUBLIC_PORT" PUSHGATE_API_PORT="$API_PORT")
if [ -n "${SERVER_OPTS:-}" ]; then
  # shellcheck disable=SC2086
  env "${node_env[@]}" java $SERVER_OPTS -jar "$JAR" >"$WORK/node.log" 2>&1 &
else
  env "${node_env[@]}" PUSHGATE_JAR="$JAR" bin/pushgate >"$WORK/node.log" 2>&1 &
fi
NODE_PID=$!
await_node_ready "$NODE_PID" "$WORK/node.log" 30
if [ -n "${API_SLICE_NS:-}" ]; then
  java_pid=$(pgrep -f -- "-jar $JAR" | head -1)
  loop_cpu() {
    for task in /proc/"$java_pid"/task/*; do
      case "$(cat "$task/comm")" in
        vert.x-eventloo*) echo "$(basename "$task") $(awk '{ print $14 + $15 }' "$task/stat")" ;;
      esac
    done | sort
  }
  loop_cpu >"$WORK/loops.before"
  for _ in $(seq 1 300); do
    curl -s -o /dev/null -H 'content-type: application/json' -d '{"room":"warm","items":[1]}' "http://127.0.0.1:$API_PORT/push/room"
  done
  api_tid=$(loop_cpu | join "$WORK/loops.before" - | awk '{ print $3 - $2, $1 }' | sort -n | tail -1 | cut -d' ' -f2)
  python3 src/bench/sched-slice.py "$API_SLICE_NS" "$api_tid"
fi

# GEN_NICE (default 0): the generator's nice value. It stands in for 5,000 viewers on other machines;
# at 10 the kernel gives the server and the pusher a core first, as separate hosts would.
timeout $((WARMUP + DURATION + 120)) nice -n "${GEN_NICE:-0}" java -jar "$BENCH_JAR" fanout --connections "$SUBSCRIBERS" --rate "$RATE" \
  --duration "$DURATION" --warmup "$WARMUP" --push-batch 1 \
  --ws "ws://127.0.0.1:$PUBLIC_PORT/connect" --push "http://127.0.0.1:$API_PORT/push/room" --server-pid "$NODE_PID" \
  >"$WORK/bench.out" 2>&1 &
BENCH_PID=$!

# Publishing starts once every subscriber has joined: wait for that, then a second for it to begin.
joined=
for _ in $(seq 1 600); do
  n=$(curl -s --max-time 1 "http://127.0.0.1:$API_PORT/stats" | grep -o '"connections" *: *[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
  if [ "${n:-0}" -ge "$SUBSCRIBERS" ]; then joined=1; break; fi
  kill -0 "$BENCH_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$joined" ] || { cat "$WORK/bench.out" >&2; fail "the subscribers did not all join"; }
sleep 1
if [ "$SCRAPE_EVERY" != 0 ]; then
  scrapes=$(awk -v p="$probes" -v s="$PROBE_SECONDS" -v e="$SCRAPE_EVERY" 'BEGIN { print int(p * (s + 3) / e) + 1 }')
  (for _ in $(seq 1 "$scrapes"); do
    curl -s --max-time 5 -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$API_PORT/metrics" >>"$WORK/scrapes" || true
    sleep "$SCRAPE_EVERY"
  done) &
  SCRAPER_PID=$!
fi
# The script's own shell: the probes' JVMs inherit it.
[ -z "${PROBE_SLICE_NS:-}" ] || python3 src/bench/sched-slice.py "$PROBE_SLICE_NS" $$
for client in $PROBE_CLIENTS; do
  echo "probe ($client): $PROBE_RATE requests/s for $PROBE_SECONDS s, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%SZ)"
  timeout $((PROBE_SECONDS + 40)) java src/bench/PushLatency.java "http://127.0.0.1:$API_PORT/push/room" probe "$PROBE_RATE" "$PROBE_SECONDS" "$client"
done
wait "$BENCH_PID" || true
BENCH_PID=
if [ -n "$SCRAPER_PID" ]; then
  kill -TERM "$SCRAPER_PID" 2>/dev/null || true
  SCRAPER_PID=
  sort -n "$WORK/scrapes" | awk '{ t[NR] = $1 } END { if (NR) printf "scrapes of /metrics: %d, seconds each: median %s, max %s\n", NR, t[int((NR + 1) / 2)], t[NR] }'
fi
grep -E "^RESULT|ratio|latency|server" "$WORK/bench.out" | cut -c1-400 | tail -8
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
