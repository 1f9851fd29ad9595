#!/usr/bin/env bash
# The souper alone against an instant in-process oracle (io.souper.bench.SouperThroughput):
# embedded broker + registry, exactly-once souper, SOUPS x CHECKPOINTS results fed up front.
# Prints decisions/s and p50/p99 from an answer to the soup's next request or decision.
# PACE=N publishes N checkpoint results per second instead of all up front (latency at a sustainable
# load; the saturated run, PACE unset, is the throughput figure). WARMUP=N (default 200, 0 for none) first
# runs N soups x 5 checkpoints in the same JVM, not measured, so that the JIT has compiled the code.
# Usage: [ROUNDS=3] [PACE=0] [WARMUP=200] [JAVA_OPTS=...] bench/souper/run.sh [soups=1000] [checkpoints=20] [partitions=2] [threads=1]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
mvn -B -q -o test-compile
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
cp="target/classes:target/test-classes:$(cat target/bench.classpath)"
echo "== $(nproc) cores, $(java -version 2>&1 | head -1)"
for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
  echo "-- round $round (load average $(cut -d' ' -f1 /proc/loadavg))"
  # shellcheck disable=SC2086
  java -Xmx1g ${JAVA_OPTS:-} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" \
    io.souper.bench.SouperThroughput "${1:-1000}" "${2:-20}" "${3:-2}" "${4:-1}" "${TIMEOUT:-600}" "${PACE:-0}" "${WARMUP:-200}" 2>&1 \
    | grep -E '^(soups |[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ )|Exception|placed by|commit floor|warm-up' || true
done
