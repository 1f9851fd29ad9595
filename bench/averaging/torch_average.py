"""PyTorch's own uniform average of safetensors checkpoints, done the efficient way:
tensor by tensor, inputs memory-mapped with numpy (no safetensors package), accumulated
in float64 in place, divided, cast back to float32, written with a struct+json header.

usage: torch_average.py OUT IN...
prints one JSON line: seconds, bytes_read, gb_per_s, threads
"""
import json
import struct
import sys
import time

import numpy as np
import torch

DT = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return 8 + n, h


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    heads = [header(p) for p in inputs]
    maps = [np.memmap(p, dtype=np.uint8, mode="r") for p in inputs]
    names = sorted(heads[0][1])
    result_header, offset = {}, 0
    for name in names:
        info = heads[0][1][name]
        size = info["data_offsets"][1] - info["data_offsets"][0]
        result_header[name] = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(result_header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    read = 0
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in names:
            info = heads[0][1][name]
            acc = torch.zeros(info["shape"], dtype=torch.float64)
            for (data_start, h), m in zip(heads, maps):
                b, e = h[name]["data_offsets"]
                array = m[data_start + b:data_start + e].view(DT[h[name]["dtype"]]).reshape(info["shape"])
                acc.add_(torch.from_numpy(array))
                read += e - b
            f.write((acc / len(inputs)).to(torch.float32).numpy().tobytes())
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": round(seconds, 3), "bytes_read": read, "gb_per_s": round(read / seconds / 1e9, 3),
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
