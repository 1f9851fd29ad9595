#!/usr/bin/env bash
# Averages N sharded bf16 checkpoints (save_pretrained layout, written by PyTorch) with Souper
# (JVM at -Xmx512m) from a real S3 API server (S3Proxy, filesystem backend, in its own JVM) and
# from local files, and with PyTorch from the same local files; prints time, GB/s and peak RSS,
# and checks that Souper's soups (S3 and local) and PyTorch's have the same tensor bytes.
# The S3 server serves the very files the local runs read (its filesystem backend's directory is
# $OUT/s3, bucket "models"), so the checkpoints exist once on disk; their MD5 ETags are stored in
# the extended attribute jclouds reads (user.content-md5), as its own uploads store them, so the
# server does not hash a whole shard on every ranged GET.
#
# Usage: [REPEATS=1] [JAVA=java] [OUT=/work/benchdata/objstore] bench/objstore/run.sh [N=4] [WIDTH=4096] [LAYERS=15] [SHARDS=4]
#   The defaults make ~3.0 GB per checkpoint (12 x WIDTH^2 x LAYERS bytes): the issue's size.
#   A quick run: bench/objstore/run.sh 4 512 4 3   (~13 MB per checkpoint)
# Needs N x size on disk for the checkpoints and three soups (check `df -h` first).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
n="${1:-4}"; width="${2:-4096}"; layers="${3:-15}"; shards="${4:-4}"
out="${OUT:-$repo/bench/out/objstore}/w${width}-l${layers}-s${shards}"
java="${JAVA:-java}"
repeats="${REPEATS:-1}"
mkdir -p "$out/classes"

cd "$repo"
[ -n "${NO_BUILD:-}" ] || mvn -B -q -o test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath-test.txt
cp="target/classes:target/test-classes:$(cat target/classpath-test.txt)"
javac -d "$out/classes" -cp "$cp" "$here/ObjectStoreBenchmark.java"
creds=(-Daws.accessKeyId=bench-access -Daws.secretAccessKey=bench-secret-key)
bench() { "$java" "${creds[@]}" -cp "$out/classes:$cp" io.souper.bench.ObjectStoreBenchmark "$@"; }

inputs=()
for ((i = 1; i <= n; i++)); do
  dir="$out/s3/models/ckpt/run-$i"
  if [ ! -f "$dir/model.safetensors.index.json" ]; then
    /usr/bin/python3 "$repo/src/test/resources/python/checkpoint_reference.py" make-sharded "$dir" \
      --dtype bf16 --seed "$i" --shards "$shards" --width "$width" --layers "$layers" >/dev/null
  fi
  inputs+=("$dir")
done
/usr/bin/python3 - "${inputs[@]}" <<'PY'
import hashlib, os, sys
for d in sys.argv[1:]:
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        try:
            os.getxattr(p, "user.content-md5")
            continue
        except OSError:
            pass
        m = hashlib.md5()
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 24), b""):
                m.update(chunk)
        os.setxattr(p, "user.content-md5", m.digest())
PY

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$java" "${creds[@]}" -cp "$out/classes:$cp" io.souper.bench.ObjectStoreBenchmark serve "$out/s3" "$port" models \
  >"$out/s3proxy.log" 2>&1 &
server=$!   # the java process itself, so the trap stops the server
trap 'kill $server 2>/dev/null || true' EXIT
until grep -q serving "$out/s3proxy.log"; do sleep 0.2; done
s3uris=()
for ((i = 1; i <= n; i++)); do s3uris+=("s3://models/ckpt/run-$i/"); done
for d in "${inputs[@]}"; do cat "$d"/* >/dev/null; done   # warm the page cache (if it holds them all)

rss() { grep 'Maximum resident' "$1" | awk '{printf "%.0f MiB", $6 / 1024}'; }
java_avg() {
  local name=$1; shift
  rm -rf "$out/soup-$name"
  /usr/bin/time -v -o "$out/time-$name.txt" "$java" -Xmx512m "${creds[@]}" -cp "$out/classes:$cp" \
    io.souper.bench.ObjectStoreBenchmark average "$@" 2>>"$out/java.log"
}
local_uris=(); for d in "${inputs[@]}"; do local_uris+=("file://$d/"); done

echo "== $n sharded bf16 checkpoints x $(du -sm "${inputs[0]}" | cut -f1) MiB ($shards shards), $(nproc) cores, $("$java" -version 2>&1 | head -1)"
for ((round = 1; round <= repeats; round++)); do
  echo "-- round $round (load average $(cut -d' ' -f1 /proc/loadavg))"
  echo "souper from S3:     $(java_avg s3 "http://127.0.0.1:$port" "$out/soup-s3" "${s3uris[@]}")  peak RSS $(rss "$out/time-s3.txt")"
  echo "souper from files:  $(java_avg file file "$out/soup-file" "${local_uris[@]}")  peak RSS $(rss "$out/time-file.txt")"
  rm -rf "$out/soup-torch"
  echo "torch from files:   $(/usr/bin/time -v -o "$out/time-torch.txt" /usr/bin/python3 -W ignore "$here/torch_average_sharded.py" "$out/soup-torch" "${inputs[@]}")  peak RSS $(rss "$out/time-torch.txt")"
done

/usr/bin/python3 - "$out/soup-s3" "$out/soup-file" "$out/soup-torch" <<'PY'
import json, os, struct, sys
def bodies(d):
    idx = json.load(open(os.path.join(d, "model.safetensors.index.json")))
    out = {}
    for shard in sorted(set(idx["weight_map"].values())):
        with open(os.path.join(d, shard), "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8)); h = json.loads(f.read(n)); h.pop("__metadata__", None)
            import hashlib; m = hashlib.sha256()
            for chunk in iter(lambda: f.read(1 << 24), b""): m.update(chunk)
            out[shard] = (sorted((k, v["dtype"], v["shape"], v["data_offsets"]) for k, v in h.items()), m.hexdigest())
    return out
s3, local, torch = (bodies(d) for d in sys.argv[1:])
print("souper S3 == souper files:", s3 == local, "| souper == torch (headers and tensor bytes):", s3 == torch)
PY
