#!/usr/bin/env bash
# What one candidate ("soup + 1") costs as the soup grows, on the evaluator's path (SoupSums and
# EvaluationEngine, JVM at -Xmx512m), small and ~100 MB checkpoints, beside PyTorch averaging the
# same soup + candidate from the same files without a running sum.
# Usage: [REPEATS=5] [SIZES="2 8 32 128"] [MODELS="small 100mb"] [JAVA=java] bench/candidate/run.sh
# Files go to $OUT (default bench/out/candidate, gitignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${OUT:-$repo/bench/out/candidate}"
repeats="${REPEATS:-5}"
sizes="${SIZES:-2 8 32 128}"
models="${MODELS:-small 100mb}"
held_out="file:///usr/share/datasets/fashion-mnist?split=train&from=0&to=512"
mkdir -p "$out"

cd "$repo"
[ -n "${NO_BUILD:-}" ] || mvn -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath-test.txt
cp="target/test-classes:target/classes:$(cat target/classpath-test.txt)"
/usr/bin/python3 "$here/make_models.py" "$out/models" 4 $models >/dev/null

echo "== candidate cost, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(${JAVA:-java} -version 2>&1 | head -1)"
for model in $models; do
  dir="$out/models/$model"
  cat "$dir"/*.safetensors >/dev/null
  echo "-- $model: $(du -m "$dir/ckpt0.safetensors" | cut -f1) MiB per checkpoint"
  rm -rf "$out/work-$model"
  /usr/bin/time -v -o "$out/time-$model.txt" ${JAVA:-java} -Xmx512m -Dai.djl.offline=true -cp "$cp" \
    io.souper.scoring.CandidateCost "$dir" "$held_out" "$out/work-$model" "$repeats" $sizes 2>>"$out/java.log"
  echo "   souper peak RSS $(grep 'Maximum resident' "$out/time-$model.txt" | awk '{printf "%.0f MiB", $6 / 1024}')"
  for n in $sizes; do
    inputs=()
    for ((i = 0; i < n; i++)); do inputs+=("$dir/ckpt$((i % 3)).safetensors"); done
    inputs+=("$dir/ckpt3.safetensors")
    for ((r = 1; r <= repeats; r++)); do
      echo "   torch soup $n + 1, run $r: $(/usr/bin/python3 -W ignore "$here/torch_candidate.py" "$out/torch.bin" "${inputs[@]}")"
    done
  done
done
