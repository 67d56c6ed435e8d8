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
