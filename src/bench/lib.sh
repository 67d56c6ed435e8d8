# Shared by the benchmark scripts; sourced, not run. free_port needs a fail() function in the caller.

# A loopback port nothing answers on (the server refuses to start on a taken one anyway).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  fail "no free port found"
}

# The load generator's own jar (the bench/ module), beside the server's target/pushgate.jar.
BENCH_JAR=bench/target/pushgate-bench.jar

# Builds $BENCH_JAR when it is missing or older than bench/'s sources or pom.
build_bench_jar() {
  if [ ! -f "$BENCH_JAR" ] || [ -n "$(find bench/src bench/pom.xml -newer "$BENCH_JAR" -print -quit)" ]; then
    echo "building $BENCH_JAR"
    mvn -B -q -ntp -DskipTests -f bench/pom.xml package
  fi
}

# Waits up to $3 seconds (default 30) for the node $1 to log "pushgate node ready" in $2; fails if it
# exits or takes longer.
await_node_ready() {
  local pid=$1 log=$2 limit=${3:-30}
  for _ in $(seq 1 $((limit * 10))); do
    grep -q "pushgate node ready" "$log" && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the node exited at start (see $log)"; }
    sleep 0.1
  done
  fail "the node was not ready within $limit s (see $log)"
}

# stop_process PID [SECONDS]: SIGTERM (a node drains), SIGKILL if it is still there SECONDS (15) later.
stop_process() {
  local pid=$1 limit=${2:-15}
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((limit * 10))); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# start_node LOG ENV... -- JAVA_ARGS... [-- NODE_ARGS...]: $NODE_JAR (default target/pushgate.jar) on
# loopback, PUSHGATE_* settings as NAME=VALUE words before the first "--", java's own arguments after
# it, the node's (-cluster ...) after a second; waits until it logs "ready" (60 s) and sets NODE_PID.
# The caller stops it with stop_node.
start_node() {
  local log=$1; shift
  local envs=() jvm=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do jvm+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  env PUSHGATE_PUBLIC_HOST=127.0.0.1 PUSHGATE_API_HOST=127.0.0.1 "${envs[@]}" \
    java "${jvm[@]}" -jar "${NODE_JAR:-target/pushgate.jar}" "$@" >"$log" 2>&1 &
  NODE_PID=$!
  await_node_ready "$NODE_PID" "$log" 60
}

# stop_node PID: SIGTERM (the node drains), SIGKILL after 40 s.
stop_node() {
  stop_process "$1" 40
}

# private_cluster_xml FILE: conf/cluster.xml with a cluster name and ten ports of its own, so that a
# benchmark's nodes never join (or are joined by) another cluster on this machine.
private_cluster_xml() {
  local base p
  for _ in $(seq 1 50); do
    base=$(free_port)
    for p in $((base + 1)) $((base + 2)) $((base + 3)); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then base=; break; fi
    done
    [ -z "$base" ] || break
  done
  [ -n "$base" ] || fail "no four free ports in a row for the cluster"
  local xml
  xml=$(sed -e "s#<cluster-name>pushgate-dev</cluster-name>#<cluster-name>pushgate-bench-$$-$RANDOM</cluster-name>#" \
            -e "s#>5701</port>#>$base</port>#" conf/cluster.xml)
  for i in $(seq 0 9); do
    xml=$(sed "s#<member>127.0.0.1:$((5701 + i))</member>#<member>127.0.0.1:$((base + i))</member>#" <<<"$xml")
  done
  grep -q ">$base</port>" <<<"$xml" || fail "conf/cluster.xml changed shape"
  printf '%s\n' "$xml" >"$1"
}

# own_jars: the generator's jar (built when stale) copied into $WORK and BENCH_JAR pointed at the
# copy, so that a rebuild while a series runs changes nothing under it. own_jar PATH NAME prints the
# path of a copy of a server jar in $WORK.
own_jars() {
  build_bench_jar
  cp "$BENCH_JAR" "$WORK/pushgate-bench.jar"
  BENCH_JAR=$WORK/pushgate-bench.jar
}

own_jar() {
  cp "$1" "$WORK/$2"
  echo "$WORK/$2"
}
