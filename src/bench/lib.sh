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
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the node exited at start"; }
    sleep 0.1
  done
  fail "the node was not ready within $limit s"
}

# SIGTERM to process $1 (a node drains), SIGKILL if it is still there 15 s later.
stop_process() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
