#!/usr/bin/env bash
# Soak of one pushgate node: src/bench/soak.sh [SECONDS]   (default 30; CI runs 30)
#
# Starts target/pushgate.jar as its own process on free loopback ports (tokens and API keys on),
# then for SECONDS runs connect/disconnect/join/leave churn, pushes to rooms and to all, and slow
# clients that never read, while well-behaved receivers stay in their rooms. Prints connections,
# rooms, heap and RSS every second. Fails (exit 1) when a receiver lost, duplicated or reordered an
# item, was disconnected, when the node does not return to 0 connections and 0 rooms after everyone
# left, when no slow client was cut with 4002 (runs of 20 s and more), or when its heap after a full
# GC grew by more than 32 MB. Builds the server jar, and the load generator's jar
# (bench/target/pushgate-bench.jar, which holds the soak itself), when either is missing or older
# than its sources. Output and the node's log: target/soak/.
# Only 127.0.0.1 is contacted, every loop ends at the deadline, and the node is stopped with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-30}"
case "$seconds" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

jar=target/pushgate.jar
if [ ! -f "$jar" ] || [ -n "$(find src/main pom.xml -newer "$jar" -print -quit)" ]; then
  echo "soak: building $jar"
  mvn -B -q -ntp -DskipTests -Dbench.skip package   # the server alone: the bench jar is just below
fi

# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
build_bench_jar

mkdir -p target/soak
# The soak's own client side is small; the node gets its own JVM with -Xmx256m (see Soak.java).
exec java -Xmx256m -jar "$BENCH_JAR" soak "$seconds" "$jar" target/soak
