"""PyTorch's side of the scoring benchmark: the same TorchScript file, the same first 5,120
Fashion-MNIST test images (warm-up: the first 2,048) normalised the same way as io.souper.data.FashionMnist, batch 256,
eval mode, under torch.inference_mode() (or torch.no_grad() with --no-grad), the batches cut as
views of one float32 tensor (no per-batch copy). Prints the lines ScoringSpeed prints:
PASS <images/s> per timed pass after the warm-up pass, SWAP <name> <bytes> <ms> per weight swap
(every parameter copy_()'d in place from a state dict already in memory, as load_state_dict does).

usage: torch_score.py THREADS ARCH PASSES [--no-grad] [SWAP_ARCH SWAP_CHECKPOINT]...
"""
import gzip
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models"))
from souper_export import load_safetensors  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = np.float32(0.2860), np.float32(0.3530)  # io.souper.data.PixelNormalisation.FASHION_MNIST
BATCH = 256
TIMED_IMAGES, WARM_UP_IMAGES = 5120, 2048  # as io.souper.bench.ScoringSpeed
SWAPS = 10


def test_split():
    with gzip.open(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")) as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(os.path.join(DATA, "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8).astype(np.int64)
    # Same float32 operation order as the Java side: (x / 255 - mean) / std, by a 256-entry table.
    table = (np.arange(256, dtype=np.float32) / np.float32(255) - MEAN) / STD
    return torch.from_numpy(table[pixels]), torch.from_numpy(labels)


def score(model, images, labels):
    correct = 0
    for start in range(0, images.shape[0], BATCH):
        logits = model(images[start:start + BATCH])
        correct += int((logits.argmax(1) == labels[start:start + BATCH]).sum())
    return correct


def main():
    threads, arch, passes = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rest = sys.argv[4:]
    no_grad = bool(rest) and rest[0] == "--no-grad"
    rest = rest[1:] if no_grad else rest
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    images, labels = test_split()
    warm_images, warm_labels = images[:WARM_UP_IMAGES], labels[:WARM_UP_IMAGES]
    images, labels = images[:TIMED_IMAGES], labels[:TIMED_IMAGES]
    model = torch.jit.load(arch).eval()
    guard = torch.no_grad if no_grad else torch.inference_mode
    print("INFO %s, torch %s, intra-op %d, inter-op %d, batch %d, %d images, %s"
          % (arch, torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads(), BATCH,
             images.shape[0], guard.__name__), flush=True)
    with guard():
        print("INFO top-1 %d of %d" % (score(model, warm_images, warm_labels), WARM_UP_IMAGES), flush=True)
        for _ in range(passes):
            start = time.perf_counter()
            score(model, images, labels)
            print("PASS %.1f" % (images.shape[0] / (time.perf_counter() - start)), flush=True)
    for i in range(0, len(rest), 2):
        swaps(rest[i], rest[i + 1])


def swaps(arch, checkpoint):
    model = torch.jit.load(arch).eval()
    state = load_safetensors(checkpoint)
    params = dict(model.named_parameters())
    size = sum(t.numel() * t.element_size() for t in state.values())
    name = os.path.basename(os.path.dirname(arch)) + "/" + os.path.basename(arch)
    with torch.no_grad():
        for i in range(SWAPS + 1):
            start = time.perf_counter()
            for key, value in state.items():
                params[key].copy_(value)
            if i:  # the first is the warm-up, as on the Java side
                print("SWAP %s %d %.2f" % (name, size, (time.perf_counter() - start) * 1e3), flush=True)


if __name__ == "__main__":
    main()
