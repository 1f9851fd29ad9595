#!/usr/bin/python3
"""The demo's small CNN for Fashion-MNIST (1x28x28, 10 classes), exported for Souper.

GroupNorm, not BatchNorm: GroupNorm keeps no running statistics, so every tensor of
the state dict is a parameter, which DJL can overwrite in place (and the soup's mean
of weights needs no buffer re-estimation).

    /usr/bin/python3 models/make_cnn.py                      # models/fmnist_cnn.pt
    /usr/bin/python3 models/make_cnn.py --c1 48 --c2 96 --hidden 256 --out /tmp/wide.pt \
        --init-safetensors /tmp/wide-init.safetensors

Inputs are normalised as (x/255 - FMNIST_MEAN) / FMNIST_STD (io.souper.data.FashionMnist
uses the same constants).
"""
import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from souper_export import export_torchscript, save_safetensors  # noqa: E402

# Mean and standard deviation of the Fashion-MNIST training pixels scaled to [0, 1].
FMNIST_MEAN = 0.2860
FMNIST_STD = 0.3530


class FashionCnn(nn.Module):
    """conv(1->c1,3,pad1)+GN+ReLU+maxpool, conv(c1->c2,3,pad1)+GN+ReLU+maxpool,
    flatten, linear(c2*7*7 -> hidden)+ReLU, linear(hidden -> 10)."""

    def __init__(self, c1: int = 32, c2: int = 64, hidden: int = 128, groups: int = 8, classes: int = 10):
        super().__init__()
        if c1 % groups or c2 % groups:
            raise ValueError("GroupNorm groups (%d) must divide both widths (%d, %d)" % (groups, c1, c2))
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.gn1 = nn.GroupNorm(groups, c1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.gn2 = nn.GroupNorm(groups, c2)
        self.fc1 = nn.Linear(c2 * 7 * 7, hidden)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.gn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.gn2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def build_model(c1=32, c2=64, hidden=128, groups=8, seed=0):
    torch.manual_seed(seed)
    return FashionCnn(c1, c2, hidden, groups)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--c1", type=int, default=32, help="channels of the first conv (default 32)")
    p.add_argument("--c2", type=int, default=64, help="channels of the second conv (default 64)")
    p.add_argument("--hidden", type=int, default=128, help="width of the hidden linear layer (default 128)")
    p.add_argument("--groups", type=int, default=8, help="GroupNorm groups (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random init (default 0)")
    p.add_argument("--out", default=os.path.join(here, "fmnist_cnn.pt"), help="TorchScript file to write")
    p.add_argument("--init-safetensors", help="also write the random-init state dict here")
    args = p.parse_args(argv)

    model = build_model(args.c1, args.c2, args.hidden, args.groups, args.seed)
    scripted = export_torchscript(model, args.out)
    # The evaluator matches checkpoint keys to these names: they must be the state-dict keys.
    assert [n for n, _ in scripted.named_parameters()] == list(model.state_dict().keys())
    if args.init_safetensors:
        save_safetensors(model.state_dict(), args.init_safetensors,
                         {"c1": args.c1, "c2": args.c2, "hidden": args.hidden, "groups": args.groups,
                          "seed": args.seed})
    n = sum(t.numel() for t in model.parameters())
    print("wrote %s: %d parameters, keys %s" % (args.out, n, ", ".join(model.state_dict().keys())))


if __name__ == "__main__":
    main()
