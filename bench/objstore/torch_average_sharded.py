"""PyTorch's uniform average of sharded safetensors checkpoints (no safetensors package), the
efficient way: shard by shard and tensor by tensor, inputs memory-mapped, each tensor summed in
float64 in input order, divided, cast back to its dtype (bf16 included), written in the same
shard layout with its own index.

usage: torch_average_sharded.py OUT_DIR IN_DIR...
prints one JSON line: seconds, bytes_read, gb_per_s
"""
import json
import mmap
import os
import struct
import sys
import time

import torch

DT = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}
INDEX = "model.safetensors.index.json"


def header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return 8 + n, h


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    os.makedirs(out, exist_ok=True)
    start = time.perf_counter()
    indexes = [json.load(open(os.path.join(d, INDEX))) for d in inputs]
    weight_map = indexes[0]["weight_map"]
    read = 0
    total = 0
    files = {}
    for shard in sorted(set(weight_map.values())):
        names = sorted(n for n, s in weight_map.items() if s == shard)
        sources = []
        for d, idx in zip(inputs, indexes):
            per = {}
            for n in names:
                p = os.path.join(d, idx["weight_map"][n])
                if p not in files:
                    f = open(p, "rb")
                    files[p] = (header(p), mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
                per[n] = files[p]
            sources.append(per)
        result, offset = {}, 0
        first = sources[0]
        for n in names:
            (start_data, h), _ = first[n]
            info = h[n]
            size = info["data_offsets"][1] - info["data_offsets"][0]
            result[n] = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": [offset, offset + size]}
            offset += size
        total += offset
        text = json.dumps({"__metadata__": {"format": "pt"}, **result}, separators=(",", ":")).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        with open(os.path.join(out, shard), "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for n in names:
                info = result[n]
                acc = torch.zeros(info["shape"], dtype=torch.float64)
                for per in sources:
                    (data_start, h), m = per[n]
                    b, e = h[n]["data_offsets"]
                    t = torch.frombuffer(m, dtype=DT[h[n]["dtype"]], count=(e - b) // torch.empty(0, dtype=DT[h[n]["dtype"]]).element_size(),
                                         offset=data_start + b).reshape(info["shape"])
                    acc += t
                    read += e - b
                mean = (acc / len(inputs)).to(DT[info["dtype"]])
                f.write(mean.contiguous().view(torch.uint8).numpy().tobytes())
    seconds = time.perf_counter() - start
    with open(os.path.join(out, INDEX), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f)
    print(json.dumps({"seconds": round(seconds, 2), "bytes_read": read, "gb_per_s": round(read / seconds / 1e9, 3)}))


if __name__ == "__main__":
    main()
