#!/usr/bin/env bash
# Scoring throughput: DJL through the evaluator's Scorer (io.souper.bench.ScoringSpeed) against
# PyTorch (torch_score.py) on the SAME TorchScript file and the same 5,120 test images, batch
# 256, at equal libtorch thread counts, under several glibc malloc settings; plus the cost of
# swapping a checkpoint's weights into the loaded model. Every configuration runs in a fresh
# process, ROUNDS times, interleaved (so a busy spell of the machine hits every configuration).
# Usage: [ROUNDS=5] [PASSES=1] [THREADS="1 2"] [CONFIGS=...] [SWAP_MODELS=dir] [CLASSES=cp] bench/scoring/run.sh [ARCH]
#   ARCH: default models/fmnist_cnn.pt (the demo CNN).
#   SWAP_MODELS: a directory of bench/candidate/make_models.py output (small/, 100mb/), whose
#   arch.pt + ckpt0.safetensors are swapped in 10 times by the SWAP_ALLOC (default tuned+arena2) runs of the first
#   SWAP_ROUNDS (default 2) rounds; default: none (no swap figures).
#   CONFIGS: lines of "<side> <allocator>"; side: djl | torch | torch-nograd (torch.no_grad instead of
#   inference_mode); allocator: a name in alloc_env below.
# Output: one line per run, then a summary table (min / median / max images/s over ROUNDS x PASSES).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
arch="$(cd "$repo" && realpath "${1:-models/fmnist_cnn.pt}")"
rounds="${ROUNDS:-5}"
passes="${PASSES:-1}"
threads="${THREADS:-1 2}"
configs="${CONFIGS:-djl default
djl tuned+arena2
torch default
torch tuned+arena2}"
swap_rounds="${SWAP_ROUNDS:-2}"
swap_alloc="${SWAP_ALLOC:-tuned+arena2}"
log="${LOG:-$(mktemp /tmp/scoring-bench.XXXXXX)}"

# glibc malloc settings (environment variables read at process start). "tuned" keeps freed
# batch buffers in the process instead of handing them back to the kernel after every batch;
# "tuned+arena2" (what ./souper and the Dockerfile set) also caps the arenas at 2:
#   MALLOC_MMAP_THRESHOLD_=32 MiB  (the largest glibc accepts) blocks under it come from the heap,
#                                   not from a fresh mmap that page-faults in on every batch;
#   MALLOC_TRIM_THRESHOLD_=1 GiB   do not trim the heap top back to the kernel after a free;
#   MALLOC_TOP_PAD_=64 MiB          grow the heap in large steps.
alloc_env() {
  case "$1" in
    default) ;;
    arena2) echo "MALLOC_ARENA_MAX=2" ;;
    mmap) echo "MALLOC_MMAP_THRESHOLD_=33554432" ;;
    tuned) echo "MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864" ;;
    tuned+arena2) echo "MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864 MALLOC_ARENA_MAX=2" ;;
    *) echo "unknown allocator setting $1" >&2; exit 2 ;;
  esac
}

cd "$repo"
if [ -z "${NO_BUILD:-}" ]; then
  mvn -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath-test.txt
fi
# CLASSES: a copy of target/{test-classes,classes} to run from (default: target/ itself), so a
# build in the same tree during a long run cannot pull the classes out from under it.
cp="${CLASSES:-target/test-classes:target/classes}:$(cat target/classpath-test.txt)"
swap_args=()
if [ -n "${SWAP_MODELS:-}" ]; then
  for m in small 100mb; do
    if [ -f "$SWAP_MODELS/$m/arch.pt" ]; then
      swap_args+=("$SWAP_MODELS/$m/arch.pt" "$SWAP_MODELS/$m/ckpt0.safetensors")
      cat "$SWAP_MODELS/$m/ckpt0.safetensors" >/dev/null
    fi
  done
fi

echo "== scoring $arch, batch 256, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), log $log"
for ((round = 1; round <= rounds; round++)); do
  for t in $threads; do
    while read -r side alloc; do
      [ -n "$side" ] || continue
      extra=()
      [ "$alloc" = "$swap_alloc" ] && ((round <= swap_rounds)) && extra=("${swap_args[@]}")
      load="$(cut -d' ' -f1 /proc/loadavg)"
      case "$side" in
        djl) cmd=(java -Xmx1g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$t"
                  -Dai.djl.pytorch.num_interop_threads=1 -cp "$cp" io.souper.bench.ScoringSpeed "$arch" "$passes" "${extra[@]}") ;;
        torch) cmd=(/usr/bin/python3 -W ignore "$here/torch_score.py" "$t" "$arch" "$passes" "${extra[@]}") ;;
        torch-nograd) cmd=(/usr/bin/python3 -W ignore "$here/torch_score.py" "$t" "$arch" "$passes" --no-grad) ;;
        *) echo "unknown side $side" >&2; exit 2 ;;
      esac
      # shellcheck disable=SC2046
      out="$(env $(alloc_env "$alloc") /usr/bin/time -f 'FAULTS %R %M' "${cmd[@]}" 2>&1 | grep -E '^(INFO|PASS|PREP|SWAP|FAULTS)')"
      while read -r line; do
        echo "$round $side $alloc $t $load $line" | tee -a "$log"
      done <<<"$out"
    done <<<"$configs"
  done
done
/usr/bin/python3 "$here/summarize.py" "$log"
