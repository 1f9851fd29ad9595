"""Writes N safetensors checkpoints of a ~100 MiB all-F32 model with random values.

usage: generate.py OUT_DIR [N=16] [MIB=100]
Own header writer (struct + json), no safetensors package needed.
"""
import json
import os
import struct
import sys

import numpy as np


def write(path, tensors):
    header, offset = {}, 0
    for name in sorted(tensors):
        size = tensors[name].nbytes
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in sorted(tensors):
            f.write(tensors[name].astype("<f4").tobytes())


def main():
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 16
    mib = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    os.makedirs(out, exist_ok=True)
    # a transformer-ish mix: mostly 1 MiB-row matrices, plus a few vectors and an odd-sized embedding
    blocks = (mib - 4) // 4
    for i in range(n):
        rng = np.random.default_rng(1000 + i)
        tensors = {f"blocks.{b:02d}.weight": rng.standard_normal((1024, 1024), dtype=np.float32) for b in range(blocks)}
        tensors.update({f"blocks.{b:02d}.bias": rng.standard_normal(1024, dtype=np.float32) for b in range(blocks)})
        tensors["embed.weight"] = rng.standard_normal((1000, 1000), dtype=np.float32)
        tensors["norm.weight"] = rng.standard_normal(3, dtype=np.float32)
        path = os.path.join(out, f"ckpt{i:02d}.safetensors")
        write(path, tensors)
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
