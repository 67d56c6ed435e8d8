# Shared by the benchmark scripts; sourced, not run. Needs a fail() function in the caller.

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
