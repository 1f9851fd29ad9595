#!/usr/bin/env bash
# The soak (issue 12): 200 soups x 126 checkpoints through the exactly-once souper with
# SouperThroughput's instant in-process oracle in place of the evaluator (25,200 checkpoint results
# + 25,000 candidate results), heap after GC sampled every 5 s, RocksDB soup-state compacted and
# measured, every soup's final state checked against the pure core. See bench/soak/README.md.
# Usage: bench/soak/run.sh [soups=200] [checkpoints=126] [partitions=2]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
mvn -B -q -o test-compile
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
cp="target/classes:target/test-classes:$(cat target/bench.classpath)"
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
java -Xmx1g -XX:+UseG1GC -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.souper.bench.SouperSoak \
  "${1:-200}" "${2:-126}" "${3:-2}" 3600 2>&1 | grep -Ev '^\s+at |WARN|INFO'
