#!/usr/bin/env bash
# Averages 16 checkpoints of a ~100 MiB F32 model the way Souper's evaluator does (the running
# sum of 15, then the 16th averaged with it; JVM, -Xmx512m) and with PyTorch (/usr/bin/python3,
# all 16 in one pass), on the same files, and prints time, GB/s and peak RSS.
# Usage: [ROUNDS=3] bench/averaging/run.sh [N=16] [MIB=100]   (files go to bench/out/, gitignored)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
n="${1:-16}"
mib="${2:-100}"
out="$repo/bench/out/averaging"
mkdir -p "$out/classes"

cd "$repo"
mvn -B -q compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cp="target/classes:$(cat target/classpath.txt)"
javac -d "$out/classes" -cp "$cp" "$here/AveragingBenchmark.java"

if [ ! -f "$out/ckpt/ckpt$(printf %02d $((n - 1))).safetensors" ]; then
  /usr/bin/python3 "$here/generate.py" "$out/ckpt" "$n" "$mib" >/dev/null
fi
inputs=()
for ((i = 0; i < n; i++)); do inputs+=("$out/ckpt/ckpt$(printf %02d "$i").safetensors"); done
cat "${inputs[@]}" >/dev/null   # warm the page cache, so both sides read from memory

rss() { grep 'Maximum resident' "$1" | awk '{printf "%.0f MiB", $6 / 1024}'; }
java_run() {
  rm -rf "$out/work"
  /usr/bin/time -v -o "$out/time-$1.txt" java -Xmx512m -cp "$out/classes:$cp" io.souper.bench.AveragingBenchmark --work "$out/work" "${@:2}" "${inputs[@]}"
}

echo "== $n checkpoints x $(du -m "${inputs[0]}" | cut -f1) MiB, $(nproc) cores"
for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
  echo "-- round $round (load average $(cut -d' ' -f1 /proc/loadavg))"
  echo "souper:            $(java_run file --out "$out/souper.safetensors")  peak RSS $(rss "$out/time-file.txt")"
  rm -rf "$out/store"; mkdir -p "$out/store"
  echo "souper to store:   $(java_run store --store "$out/store")  peak RSS $(rss "$out/time-store.txt")"
  echo "torch:             $(/usr/bin/time -v -o "$out/time-torch.txt" /usr/bin/python3 -W ignore "$here/torch_average.py" "$out/torch.safetensors" "${inputs[@]}")  peak RSS $(rss "$out/time-torch.txt")"
done
/usr/bin/python3 - "$out/souper.safetensors" "$out/torch.safetensors" <<'PY'
import sys, struct
def body(p):
    raw = open(p, "rb").read(); (n,) = struct.unpack("<Q", raw[:8]); return raw[8 + n:]
a, b = (body(p) for p in sys.argv[1:])
print("souper data == torch data:", a == b)
PY
