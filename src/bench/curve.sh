#!/usr/bin/env bash
# Issue 14, item 3: the latency/cost curve. In one go, the same fan-out (SUBSCRIBERS in one room,
# RATE items/s, one item per publish request, WARMUP s then DURATION s measured) against pushgate at
# each tickMillis of TICKS, a fresh node each, and against nchan; ROUNDS times over. Writes every
# run's RESULT to OUT, a table (curve.csv) of items per server CPU-second against push-to-receive
# p50/p99, and draws it as curve.png with go-push's point from issue 14's measurement (2.5 M items
# per server CPU-second at p50 330 ms / p99 610 ms: its 1 s window, same load and warm-up), when
# python3 has matplotlib (Debian: python3-matplotlib; nothing in CI needs it).
# Usage: src/bench/curve.sh [JAR]. Needs root for apt-get (nginx, libnginx-mod-nchan). Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUBSCRIBERS=${SUBSCRIBERS:-5000}
RATE=${RATE:-200}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-20}
TICKS=${TICKS:-25 50 100 200 500 1000}
ROUNDS=${ROUNDS:-1}
NCHAN=${NCHAN:-1}
JVM=${PUSHGATE_JVM:--Xms1g -Xmx1g -XX:+UseParallelGC}
SERIES=curve
# shellcheck source=src/bench/ab-lib.sh
. src/bench/ab-lib.sh
# shellcheck source=src/bench/nchan-lib.sh
. src/bench/nchan-lib.sh
trap 'stop_process "$VARIANT_PID"; stop_nchan' EXIT
[ "$NCHAN" = 0 ] || install_nchan
own_jars
JAR=$(series_jar "${1:-target/pushgate.jar}")
echo "== $(nproc) cores, $(uname -r), $(java -version 2>&1 | sed -n 1p), $(nginx -v 2>&1 || true); results in $OUT"

common=(fanout --connections "$SUBSCRIBERS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --push-batch 1 --room bench)
# shellcheck disable=SC2206
jvm=($JVM)
for round in $(seq 1 "$ROUNDS"); do
  for tick in $TICKS; do
    run_variant "tick$tick-$round" "$OUT/tick$tick-$round.out" "$JAR" java PUSHGATE_TICK_MILLIS="$tick" -- "${jvm[@]}" -- \
      "${common[@]}" --tick-ms "$tick"
  done
  if [ "$NCHAN" != 0 ]; then
    port=$(free_port)
    mkdir -p "$OUT/nginx-$round"
    start_nchan "$OUT/nginx-$round" "$port"
    echo "== nchan-$round: $(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg), nginx pids $NGINX_PIDS" | tee "$OUT/nchan-$round.out"
    timeout 900 java -jar "$BENCH_JAR" "${common[@]}" --target nchan --ws "ws://127.0.0.1:$port/sub/{room}" \
      --push "http://127.0.0.1:$port/pub/{room}" --server-pid "$NGINX_PIDS" >>"$OUT/nchan-$round.out" 2>&1 || true
    grep -v '^\[' "$OUT/nchan-$round.out" | grep -v '^RESULT' | sed -n '2,$p' || true
    stop_nchan
  fi
done

python3 src/bench/results.py date fanout.latencyMs.p50=p50ms fanout.latencyMs.p99=p99ms fanout.itemsPerServerCpuSecond=itemsPerCpuS \
  fanout.deliveryRatio=ratio fanout.publisher.itemsAccepted=pushed server.cpuSeconds=serverCpuS server.threads.jit=jitS \
  fanout.serverFanoutMs.mean=fanoutMeanMs othersCpuPercent=others% loadStart=load -- "$OUT"/tick*.out "$OUT"/nchan-*.out | tee "$OUT/table.txt"
# The plot needs matplotlib: the first python3 on the PATH may be another than Debian's, which has it.
py=python3
python3 -c 'import matplotlib' 2>/dev/null || { [ -x /usr/bin/python3 ] && py=/usr/bin/python3; }
"$py" src/bench/curve_plot.py "$OUT" || echo "curve: no PNG drawn (python3 without matplotlib: apt-get install python3-matplotlib)"
