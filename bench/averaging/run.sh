#!/usr/bin/env bash
# Averaging on the evaluator's path (RunningSum, as SoupSums calls it) beside the read bandwidth of
# the same files measured by the same JVM, and PyTorch averaging the same files, ROUNDS times; the
# same jar on every JDK listed in JDKS (default: Java 17, and Java 25 if installed).
# Usage: [ROUNDS=5] [JDKS="/usr/lib/jvm/java-17-openjdk-amd64 ..."] [BEFORE=1] bench/averaging/run.sh [N=16] [MIB=100]
#   BEFORE=1 also runs the averaging loop of commit c38cb37 (one thread, 1 MiB windows copied to
#   an array before the add) from the same jar, for a before/after on the same machine state.
# Files go to $OUT (default bench/out/averaging, gitignored; N x MIB for the inputs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
n="${1:-16}"
mib="${2:-100}"
out="${OUT:-$repo/bench/out/averaging}"
rounds="${ROUNDS:-5}"
jdks="${JDKS:-/usr/lib/jvm/java-17-openjdk-amd64 $(ls -d /usr/lib/jvm/temurin-25-jdk-amd64 2>/dev/null || true)}"
mkdir -p "$out"

cd "$repo"
[ -n "${NO_BUILD:-}" ] || mvn -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath-test.txt
cp="target/test-classes:target/classes:$(cat target/classpath-test.txt)"
if [ -n "${BEFORE:-}" ]; then  # the old loop, compiled alone, shadows the new one on the class path
  mkdir -p "$out/before/src/io/souper/checkpoint" "$out/before/classes"
  git show c38cb37:src/main/java/io/souper/checkpoint/ChunkedAccumulator.java \
    | sed "s|this.chunk = chunkElements;|this.chunk = 1 << 18; // its default then|" >"$out/before/src/io/souper/checkpoint/ChunkedAccumulator.java"
  javac --release 17 -d "$out/before/classes" -cp target/classes "$out/before/src/io/souper/checkpoint/ChunkedAccumulator.java"
fi

if [ ! -f "$out/ckpt/ckpt$(printf %02d $((n - 1))).safetensors" ]; then
  /usr/bin/python3 "$here/generate.py" "$out/ckpt" "$n" "$mib" >/dev/null
fi
inputs=()
for ((i = 0; i < n; i++)); do inputs+=("$out/ckpt/ckpt$(printf %02d "$i").safetensors"); done
cat "${inputs[@]}" >/dev/null   # warm the page cache, so every side reads from memory

rss() { grep 'Maximum resident' "$1" | awk '{printf "%.0f MiB", $6 / 1024}'; }
java_run() {  # JDK_HOME CLASSPATH_PREFIX
  rm -rf "$out/work"
  /usr/bin/time -v -o "$out/time-java.txt" "$1/bin/java" -Xmx512m -cp "$2$cp" \
    io.souper.bench.AveragingThroughput "$out/work" "$out/souper.safetensors" "${inputs[@]}"
}

echo "== $n checkpoints x $(du -m "${inputs[0]}" | cut -f1) MiB (F32), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for ((round = 1; round <= rounds; round++)); do
  echo "-- round $round (load average $(cut -d' ' -f1 /proc/loadavg))"
  for jdk in $jdks; do
    v=$("$jdk/bin/java" -version 2>&1 | head -1 | cut -d'"' -f2)
    echo "souper java $v:        $(java_run "$jdk" "")  peak RSS $(rss "$out/time-java.txt")"
    if [ -n "${BEFORE:-}" ]; then
      echo "before java $v:        $(java_run "$jdk" "$out/before/classes:")  peak RSS $(rss "$out/time-java.txt")"
    fi
  done
  echo "torch (all $n, one pass): $(/usr/bin/time -v -o "$out/time-torch.txt" /usr/bin/python3 -W ignore "$here/torch_average.py" "$out/torch.safetensors" "${inputs[@]}")  peak RSS $(rss "$out/time-torch.txt")"
done
/usr/bin/python3 - "$out/souper.safetensors" "$out/torch.safetensors" <<'PY'
import sys, struct
def body(p):
    raw = open(p, "rb").read(); (n,) = struct.unpack("<Q", raw[:8]); return raw[8 + n:]
a, b = (body(p) for p in sys.argv[1:])
print("souper data == torch data:", a == b)
PY
