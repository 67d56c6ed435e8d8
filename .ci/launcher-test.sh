#!/usr/bin/env bash
# bin/pushgate's sizing, with a stand-in `java` that prints what it was given: every way of naming the
# configuration that pushgate reads (-conf FILE, --conf FILE, -conf=FILE, --conf=FILE, inline JSON), a
# number given as a string, a bad number in the environment, and flags of the user's that win, from
# each variable the JVM reads them from, while flags that only mention a collector or a size do not;
# the class-data archive beside the jar, while it is newer than the jar; and which configuration file
# it names when started from another directory than its install.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
printf '#!/bin/sh\necho "$@"\n' > "$work/bin/java"
chmod +x "$work/bin/java"
echo '{"maxConnections": 100000, "maxConnectionsPerUser": 7, "maxPendingBytes": 1048576}' > "$work/c.json"
touch "$work/pushgate.jar"
failures=0
# expect NAME WANTED ARGS...: the java command line holds WANTED.
expect() {
  name=$1; wanted=$2; shift 2
  got=$(PATH="$work/bin:$PATH" PUSHGATE_JAR="$work/pushgate.jar" sh bin/pushgate "$@" 2>/dev/null)
  if [[ " $got " == *" $wanted "* ]]; then
    echo "ok   $name"
  else
    echo "FAIL $name: wanted $wanted in: $got"
    failures=$((failures + 1))
  fi
}
# Heap: 16 KiB per connection + 2 x (maxPendingBytes + historyRingBytes + maxHistoryReads x
# historyStreamBytes), at least 256 MiB (c.json: 1562 + 2 x (1 + 64 + 32 x 1)). Direct memory:
# 2 x maxPendingBytes + 64 MiB.
expect "-conf FILE" -Xmx1756m -conf "$work/c.json"
expect "--conf FILE" -XX:MaxDirectMemorySize=66m --conf "$work/c.json"
expect "-conf=FILE" -Xmx1756m "-conf=$work/c.json"
expect "--conf=FILE" -Xmx1756m "--conf=$work/c.json"
expect "inline JSON" -Xmx1882m -conf '{"maxConnections":100000}'
expect "a number as a string" -Xmx1882m -conf '{"maxConnections": "100000"}'
expect "no configuration: the defaults" -Xmx616m -conf "$work/missing.json"
PUSHGATE_MAX_CONNECTIONS=10000 expect "the environment wins" -Xmx350m -conf "$work/c.json"
PUSHGATE_MAX_CONNECTIONS=abc expect "a bad number in the environment: the default" -Xmx616m
PUSHGATE_MAX_CONNECTIONS=08 expect "leading zeros are not octal" -Xmx320m
PUSHGATE_MAX_CONNECTIONS=99999999999999999999 expect "too many digits: the default" -Xmx616m
PUSHGATE_MAX_PENDING_BYTES=536870912 expect "pending items take heap: twice them" -Xmx1512m
expect "so do the replay rings, from the configuration too" -Xmx744m -conf '{"historyRingBytes": 134217728}'
PUSHGATE_HISTORY_RING_BYTES=0 expect "no rings, no heap for them" -Xmx488m
PUSHGATE_HISTORY_MAX_BYTES=268435456 expect "a history bound of the user's beyond half the heap adds its 4 x beyond that half" -Xmx1332m
PUSHGATE_HISTORY_MAX_BYTES=16777216 expect "one within that half adds nothing" -Xmx616m
PUSHGATE_MAX_HISTORY_READS=128 expect "more history reads at once, more heap for what they hold" -Xmx808m
expect "so do larger streams, from the configuration too" -Xmx808m -conf '{"historyStreamBytes": 4194304}'
PUSHGATE_MAX_HISTORY_READS=999999999999 expect "a product past the shell's arithmetic is a TiB, not a wrapped number" -Xmx2097704m
expect "never below 256 MiB" -Xmx256m -conf '{"maxConnections": 1000, "maxPendingBytes": 1048576, "historyRingBytes": 0}'
expect "the top-level key, not a nested one after it" -Xmx1882m -conf '{"maxConnections":100000,"x":{"maxConnections":5}}'
JAVA_OPTS=-Xms2g expect "an -Xms of the user's above our heap raises -Xmx with it" -Xmx2048m
JAVA_OPTS=-Xms256m expect "an -Xms of the user's below our heap keeps our -Xmx" -Xmx616m
JAVA_OPTS=-Xms700000k expect "an -Xms in KiB is rounded up, not down" -Xmx684m
JAVA_OPTS=-Xms716800001 expect "an -Xms in bytes is rounded up, not down" -Xmx684m
expect "a number with an exponent is not read as its first digits" -Xmx616m -conf '{"maxConnections": 1e5}'
expect "nor one with a decimal point" -XX:MaxDirectMemorySize=192m -conf '{"maxPendingBytes": 6.4e7}'
out=$(PATH="$work/bin:$PATH" PUSHGATE_JAR="$work/pushgate.jar" JAVA_OPTS=-Xms1099511627776000 sh bin/pushgate 2>/dev/null)
if [[ "$out" == *-Xmx* ]]; then echo "FAIL an -Xms the launcher cannot read: ours beside it: $out"; failures=$((failures + 1)); else echo "ok   an -Xms the launcher cannot read leaves the heap to the user"; fi
JAVA_OPTS=-Xmx3g expect "an -Xmx of the user's wins" -Xmx3g
out=$(PATH="$work/bin:$PATH" PUSHGATE_JAR="$work/pushgate.jar" JAVA_OPTS=-Xmx3g sh bin/pushgate 2>/dev/null)
if [[ "$out" == *-Xmx5* ]]; then echo "FAIL an -Xmx of the user's: ours beside it: $out"; failures=$((failures + 1)); fi
# absent NAME UNWANTED: the java command line, with the environment as set, lacks UNWANTED (flags on the
# command line would override the user's JDK_JAVA_OPTIONS, which the java stand-in does not see).
absent() {
  got=$(PATH="$work/bin:$PATH" PUSHGATE_JAR="$work/pushgate.jar" sh bin/pushgate 2>/dev/null)
  if [[ " $got " == *" $2 "* ]]; then echo "FAIL $1: $2 in: $got"; failures=$((failures + 1)); else echo "ok   $1"; fi
}
expect "no collector of the user's: ours, with its young generation" -Xmn32m
JDK_JAVA_OPTIONS=-Xmn64m absent "a young generation of the user's stays theirs" -Xmn32m
JDK_JAVA_OPTIONS=-Xmn64m expect "with our collector beside it" -XX:+UseParallelGC
JDK_JAVA_OPTIONS=-XX:NewSize=64m absent "NewSize of the user's too" -Xmn32m
JDK_JAVA_OPTIONS=-XX:+UseAdaptiveSizePolicy absent "adaptive sizing of the user's stays theirs" -XX:-UseAdaptiveSizePolicy
JDK_JAVA_OPTIONS=-XX:+UseAdaptiveSizePolicy expect "with our young generation beside it" -Xmn32m
JAVA_OPTS=-XX:+UseG1GC absent "a collector of the user's takes none of ours" -Xmn32m
# JAVA_TOOL_OPTIONS is the JVM's own: beside it a second collector stops the JVM, and our -Xmx would
# override its heap.
JAVA_TOOL_OPTIONS=-XX:+UseG1GC absent "a collector in JAVA_TOOL_OPTIONS: not a second one" -XX:+UseParallelGC
_JAVA_OPTIONS=-XX:+UseZGC absent "nor beside _JAVA_OPTIONS" -XX:+UseParallelGC
JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=60 absent "a heap share in JAVA_TOOL_OPTIONS stays theirs" -Xmx616m
# Flags that merely mention a collector or a heap size decide neither.
JDK_JAVA_OPTIONS=-XX:ParallelGCThreads=2 expect "a GC thread count is no collector" -XX:+UseParallelGC
JDK_JAVA_OPTIONS="-XX:MaxGCPauseMillis=50 -XX:+UseAdaptiveSizePolicyWithSystemGC" expect "nor a pause goal, nor a neighbour of adaptive sizing" -XX:-UseAdaptiveSizePolicy
JDK_JAVA_OPTIONS=-XX:NewSizeThreadIncrease=16k expect "a young-generation flag that sets no size" -Xmn32m
JDK_JAVA_OPTIONS=-XX:SoftMaxHeapSize=1g expect "a soft heap goal is no maximum" -Xmx616m
JAVA_OPTS=-Dnote=-Xmx1g expect "nor a property whose value looks like one" -Xmx616m
expect "a node whose heap ran out exits" -XX:+ExitOnOutOfMemoryError
JDK_JAVA_OPTIONS=-XX:+HeapDumpOnOutOfMemoryError expect "also with a heap dump of the user's, which comes first" -XX:+ExitOnOutOfMemoryError
JDK_JAVA_OPTIONS=-XX:-ExitOnOutOfMemoryError absent "unless the user chose otherwise" -XX:+ExitOnOutOfMemoryError
JAVA_TOOL_OPTIONS=-XX:+CrashOnOutOfMemoryError absent "or chose a crash (and its core file)" -XX:+ExitOnOutOfMemoryError
JDK_JAVA_OPTIONS=-XX:MaxDirectMemorySize=1g absent "direct memory of the user's stays theirs" -XX:MaxDirectMemorySize=192m

# The class-data archive beside the jar (JAR with .jsa for .jar, which bin/pushgate-cds writes): used
# while it is newer than the jar, unless the user's options decide class sharing.
touch -d '2000-01-01 00:00' "$work/pushgate.jar"
touch "$work/pushgate.jsa"
expect "an archive newer than the jar is used" "-XX:SharedArchiveFile=$work/pushgate.jsa"
JAVA_OPTS=-Xshare:off absent "not beside a sharing choice of the user's" "-XX:SharedArchiveFile=$work/pushgate.jsa"
JDK_JAVA_OPTIONS=-XX:SharedArchiveFile=/elsewhere.jsa absent "nor beside an archive of the user's" "-XX:SharedArchiveFile=$work/pushgate.jsa"
# An install path with a space: the archive is one argument all the same (flags are split on spaces).
mkdir -p "$work/sp ace" "$work/args"
printf '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n' > "$work/args/java"
chmod +x "$work/args/java"
touch -d '2000-01-01 00:00' "$work/sp ace/pushgate.jar"
touch "$work/sp ace/pushgate.jsa"
# Captured first: grep -q would stop reading early, and under pipefail the writer's SIGPIPE fails the test.
args=$(PATH="$work/args:$PATH" PUSHGATE_JAR="$work/sp ace/pushgate.jar" sh bin/pushgate 2>/dev/null)
if printf '%s\n' "$args" | grep -x "\[-XX:SharedArchiveFile=$work/sp ace/pushgate.jsa\]" >/dev/null; then
  echo "ok   an archive in a path with a space is one argument"
else
  echo "FAIL an archive in a path with a space is one argument"; failures=$((failures + 1))
fi
touch -d '2001-01-01 00:00' "$work/pushgate.jsa"
touch "$work/pushgate.jar"
absent "an archive older than the jar (the jar was rebuilt) is not" "-XX:SharedArchiveFile=$work/pushgate.jsa"
rm "$work/pushgate.jsa"
absent "nor is a missing one" "-XX:SharedArchiveFile=$work/pushgate.jsa"

# Started from another directory: pushgate reads conf/pushgate.json from where it starts, so without
# -conf the launcher names the install's own file (and sizes from it); where the directory has one
# (the image's WORKDIR /app, a checkout), pushgate reads that itself.
mkdir -p "$work/install/bin" "$work/install/conf" "$work/elsewhere" "$work/checkout/conf"
cp bin/pushgate "$work/install/bin/pushgate"
touch "$work/install/pushgate.jar"
cp "$work/c.json" "$work/install/conf/pushgate.json"
echo '{"maxConnections": 10000}' > "$work/checkout/conf/pushgate.json"
# from DIR NAME WANTED UNWANTED ARGS...: the installed launcher (or $LAUNCHER) started in DIR; its java
# command line and messages hold WANTED and lack UNWANTED (- for none).
from() {
  dir=$1; name=$2; wanted=$3; unwanted=$4; shift 4
  got=$(cd "$dir" && PATH="$work/bin:$PATH" PUSHGATE_JAR='' sh "${LAUNCHER:-$work/install/bin/pushgate}" "$@" 2>&1)
  if [[ " $got " != *" $wanted "* ]]; then
    echo "FAIL $name: wanted $wanted in: $got"; failures=$((failures + 1))
  elif [[ "$unwanted" != - && " $got " == *" $unwanted "* ]]; then
    echo "FAIL $name: $unwanted in: $got"; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
from "$work/elsewhere" "elsewhere: the install's conf/pushgate.json, named" "-conf $work/install/conf/pushgate.json" -
from "$work/elsewhere" "elsewhere: and said" "in $work/elsewhere: using" -
from "$work/elsewhere" "elsewhere: sized from it" -Xmx1756m -
from "$work/elsewhere" "elsewhere: the arguments follow it" "$work/install/pushgate.jar -conf $work/install/conf/pushgate.json -cluster" - -cluster
from "$work/checkout" "a directory with conf/pushgate.json: pushgate reads it, not named" -Xmx476m -conf
from "$work/elsewhere" "a -conf given stands" -Xmx616m "$work/install/conf/pushgate.json" -conf "$work/missing.json"
mkdir -p "$work/links"
ln -s "$work/install/bin/pushgate" "$work/links/pushgate"
LAUNCHER=$work/links/pushgate from "$work/elsewhere" "a symlink to the launcher: the install's jar and conf" \
  "$work/install/pushgate.jar -conf $work/install/conf/pushgate.json" -
rm "$work/install/conf/pushgate.json"
from "$work/elsewhere" "no file anywhere: the defaults" -Xmx616m -conf
[ "$failures" -eq 0 ] || { echo "$failures launcher check(s) failed"; exit 1; }
