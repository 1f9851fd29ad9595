"""Writes the candidate benchmark's models: for each size, the demo CNN's architecture
(models/make_cnn.py, TorchScript) and K checkpoints of it (the random init plus small
different perturbations, so every average is a real mean of distinct weights).

usage: make_models.py OUT_DIR [K=4] [SIZE...]   (sizes: small, 100mb; default both)
  OUT_DIR/small/{arch.pt, ckpt0..K-1.safetensors}: the demo CNN, hidden 128 (~1.7 MB)
  OUT_DIR/100mb/{arch.pt, ckpt...}: the same CNN with a hidden layer of 8192 (~103 MB of F32)
"""
import os
import subprocess
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
models = os.path.normpath(os.path.join(here, "..", "..", "models"))
sys.path.insert(0, models)
from souper_export import load_safetensors, save_safetensors  # noqa: E402

SIZES = {"small": 128, "100mb": 8192}


def main():
    out = sys.argv[1]
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    for name in sys.argv[3:] or list(SIZES):
        hidden = SIZES[name]
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        if os.path.isfile(os.path.join(d, "ckpt%d.safetensors" % (k - 1))):
            continue
        init = os.path.join(d, "init.safetensors")
        subprocess.run([sys.executable, os.path.join(models, "make_cnn.py"), "--hidden", str(hidden),
                        "--out", os.path.join(d, "arch.pt"), "--init-safetensors", init],
                       check=True, stdout=subprocess.DEVNULL)
        base = load_safetensors(init)
        for i in range(k):
            g = torch.Generator().manual_seed(100 + i)
            state = {n: t + 0.01 * torch.randn(t.shape, generator=g, dtype=t.dtype) for n, t in base.items()}
            save_safetensors(state, os.path.join(d, "ckpt%d.safetensors" % i))
        os.remove(init)
        print(d)


if __name__ == "__main__":
    main()
