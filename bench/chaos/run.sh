#!/usr/bin/env bash
# The full seeded chaos run (issue 12; run it with nice -n -10 on a shared machine): broker + registry, 2 soupers, 2 evaluators, each its own JVM
# from target/souper.jar; 20 undisturbed soups, then their 20 twins under >= 10 SIGKILLs and one broker
# restart; the twins must end exactly like the undisturbed soups. See bench/chaos/README.md.
# Usage: bench/chaos/run.sh [seed=12] [soups=20] [checkpoints per soup=4] [kills=10] [partitions=6]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
if [ ! -f target/souper.jar ] || [ -n "$(find src/main schemas pom.xml -newer target/souper.jar -print -quit)" ]; then
  mvn -B -q -o -DskipTests package
fi
mvn -B -q -o test-compile
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
cp="target/classes:target/test-classes:$(cat target/bench.classpath)"
dir="${CHAOS_DIR:-$(mktemp -d /tmp/souper-chaos.XXXXXX)}"
echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1); logs under $dir/logs"
java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" io.souper.chaos.ChaosRun \
  "${1:-12}" "${2:-20}" "${3:-4}" "${4:-10}" true "${5:-6}" 1800 "$dir"
