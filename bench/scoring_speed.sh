#!/bin/sh
# Scoring throughput of the demo CNN through DJL (see io.souper.bench.ScoringSpeed).
# Usage: bench/scoring_speed.sh [device: auto|cpu|gpu:N] [architecture.pt] [batch sizes]
# Thread pools: -Dai.djl.pytorch.num_threads=N in JAVA_OPTS (default: all cores, 1 inter-op).
set -e
cd "$(dirname "$0")/.."
mvn -B -q test-compile
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
exec java -Dai.djl.offline=true $JAVA_OPTS -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" \
    io.souper.bench.ScoringSpeed "$@"
