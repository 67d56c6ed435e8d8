# Side-by-side runs of server variants for the issue-14 scripts (leading-edge.sh, priority.sh,
# idle-launcher.sh, curve.sh, cluster-efficiency.sh); sourced from the repository's root with SERIES
# set to the script's name, not run. It sets OUT (kept: every run's output; OUT=DIR chooses it) and
# WORK (the same), fail(), lib.sh's functions, and a trap that stops the node of a run cut short.
OUT=${OUT:-$(mktemp -d "/tmp/pushgate-$SERIES.XXXXXX")}
mkdir -p "$OUT"
WORK=$OUT
VARIANT_PID=

fail() {
  echo "$SERIES: FAIL: $*" >&2
  exit 1
}
# shellcheck source=src/bench/lib.sh
. src/bench/lib.sh
trap 'stop_process "$VARIANT_PID"' EXIT

# series_jar JAR: a copy of the server jar JAR in $OUT (printed), after the generator's (own_jars).
series_jar() {
  [ -f "$1" ] || fail "$1 is missing (mvn package)"
  own_jar "$1" "$(basename "$1")"
}
#
# run_variant NAME OUT JAR LAUNCH ENV... -- JVM... -- BENCH_ARGS...
#   starts JAR on loopback with free ports (LAUNCH "java": java JVM... -jar JAR; "launcher":
#   bin/pushgate with PUSHGATE_JAR=JAR, which sizes the JVM itself, and JVM must be empty), runs
#   the generator against it with BENCH_ARGS plus --ws, --push and --server-pid, writes what the
#   generator prints to OUT, and stops the node (SIGTERM). NAME names the node's log in $WORK.

run_variant() {
  local name=$1 out=$2 jar=$3 launch=$4
  shift 4
  local envs=() jvm=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do jvm+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  local pub api log=$WORK/$name.node.log
  pub=$(free_port)
  api=$(free_port)
  [ "$pub" != "$api" ] || api=$(free_port)
  if [ "$launch" = launcher ]; then
    [ "${#jvm[@]}" -eq 0 ] || fail "the launcher chooses the JVM's flags itself"
    env PUSHGATE_JAR="$jar" PUSHGATE_PUBLIC_HOST=127.0.0.1 PUSHGATE_API_HOST=127.0.0.1 \
      PUSHGATE_PUBLIC_PORT="$pub" PUSHGATE_API_PORT="$api" "${envs[@]}" bin/pushgate >"$log" 2>&1 &
  else
    env PUSHGATE_PUBLIC_HOST=127.0.0.1 PUSHGATE_API_HOST=127.0.0.1 \
      PUSHGATE_PUBLIC_PORT="$pub" PUSHGATE_API_PORT="$api" "${envs[@]}" java "${jvm[@]}" -jar "$jar" >"$log" 2>&1 &
  fi
  VARIANT_PID=$!
  await_node_ready "$VARIANT_PID" "$log" 60
  echo "== $name: $(date -u +%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg), pid $VARIANT_PID, $jar ($launch) ${envs[*]} ${jvm[*]}" | tee "$out"
  timeout 900 java -jar "$BENCH_JAR" "$@" --ws "ws://127.0.0.1:$pub/connect" --push "http://127.0.0.1:$api/push/room" \
    --server-pid "$VARIANT_PID" >>"$out" 2>&1 || echo "== $name: the generator exited with $?" | tee -a "$out"
  grep -v '^\[' "$out" | grep -v '^RESULT' | sed -n '2,$p' || true
  stop_process "$VARIANT_PID"
  VARIANT_PID=
}

# alternate ROUNDS BEFORE_JAR AFTER_JAR JVM... -- BENCH_ARGS...: before-N and after-N in turn, ROUNDS
#   times, each a fresh node started with `java JVM... -jar` (run_variant); output in $OUT/VARIANT-N.out.
alternate() {
  local rounds=$1 before=$2 after=$3 round variant jar
  shift 3
  local jvm=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do jvm+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  for round in $(seq 1 "$rounds"); do
    for variant in before after; do
      jar=$before
      [ "$variant" = after ] && jar=$after
      run_variant "$variant-$round" "$OUT/$variant-$round.out" "$jar" java -- "${jvm[@]}" -- "$@"
    done
  done
}

# The pushgate jar as of a commit, built once into $1 (a directory) from `git archive`, for "before" runs.
jar_at() {
  local rev=$1 dir=$2
  if [ ! -f "$dir/target/pushgate.jar" ]; then
    mkdir -p "$dir"
    git archive "$rev" | tar -x -C "$dir"
    (cd "$dir" && mvn -B -q -ntp package -DskipTests -Dbench.skip) >&2 || fail "building $rev failed"
  fi
  echo "$dir/target/pushgate.jar"
}
