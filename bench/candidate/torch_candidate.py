"""PyTorch's cost of the same candidate without a running sum: the fp64 mean of the soup's
ingredients and the candidate, read from the same files (memory-mapped, tensor by tensor),
written with the same header. The way a script that re-averages each candidate works.

usage: torch_candidate.py OUT IN...   prints one JSON line: seconds, bytes_read
"""
import json
import os
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "averaging"))
from torch_average import DT, header  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402


def main():
    out, inputs = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    heads = [header(p) for p in inputs]
    maps = {p: np.memmap(p, dtype=np.uint8, mode="r") for p in set(inputs)}
    names = sorted(heads[0][1])
    read = 0
    with open(out, "wb") as f:
        for name in names:
            info = heads[0][1][name]
            acc = torch.zeros(info["shape"], dtype=torch.float64)
            for (data_start, h), p in zip(heads, inputs):
                b, e = h[name]["data_offsets"]
                acc.add_(torch.from_numpy(maps[p][data_start + b:data_start + e].view(DT[h[name]["dtype"]])
                                          .reshape(info["shape"])))
                read += e - b
            f.write((acc / len(inputs)).to(torch.float32).numpy().tobytes())
    print(json.dumps({"seconds": round(time.perf_counter() - start, 3), "bytes_read": read}))


if __name__ == "__main__":
    main()
