#!/usr/bin/env bash
# The soak: src/bench/soak.sh [SECONDS] [options]   (default 30 s, one node; `... soak --help` lists the options)
#
#   src/bench/soak.sh 90 --heartbeat-ms 15000 --token-seconds 30     what CI runs: one node, longer than its heartbeat timeout
#   src/bench/soak.sh 3600 --nodes 3 --chaos                          an hour on three -cluster nodes, with kills and rolls
#
# Starts target/pushgate.jar as its own process(es) on free loopback ports (tokens and API keys on;
# with --nodes 2 or more as a -cluster on a private copy of conf/cluster.xml), then for SECONDS runs
# receivers that behave like pushgate.js (PING, REFRESH, reconnect with backoff to any node, rejoin
# with since), churn, pushes to rooms (with idempotency keys, retried) and to all, and slow clients;
# with --chaos it kills a random node every few minutes and rolls all of them every ten. A line per
# minute; at the end the pass criteria, one per line (README "Soak"), and exit 1 if any failed.
# Builds the server jar and the load generator's jar (which holds the soak) when either is missing
# or older than its sources. Logs, samples.csv and soak.png: target/soak/ (--work DIR).
# Only 127.0.0.1 is contacted, every loop ends at the deadline, and the nodes end with SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/../.."

jar=target/pushgate.jar
if [ ! -f "$jar" ] || [ -n "$(find src/main pom.xml -newer "$jar" -print -quit)" ]; then
  echo "soak: building $jar"
  mvn -B -q -ntp -DskipTests -Dbench.skip package   # the server alone: the bench jar is just below
fi

# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
build_bench_jar

# The soak's own clients fit in 512 MB; each node gets its own JVM (--node-jvm).
exec java -Xmx512m -jar "$BENCH_JAR" soak "$@"
