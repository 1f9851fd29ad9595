#!/usr/bin/python3
"""Inputs of the object-store end-to-end test (issue 14), written with Debian's torch alone.

  make DIR --checkpoints N --shards K
      DIR/arch.pt: a small TorchScript network for 28x28 images whose parameters are named like a
      Hugging Face decoder (model.embed_tokens.weight, model.layers.<i>.self_attn.q_proj.weight, ...,
      lm_head.weight), in fp32; DIR/ckpt-<k>/: N fine-tunes of it in bf16, each sharded as
      save_pretrained writes them (model-0000k-of-0000n.safetensors + model.safetensors.index.json).
      The fine-tunes differ by small noise, so their means differ in bits from every input while the
      network's answers barely move.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint_reference import save_sharded  # noqa: E402

WIDTH = 32
LAYERS = 2
CLASSES = 16


class Norm(torch.nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * self.weight


class Attention(torch.nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.q_proj = torch.nn.Linear(width, width, bias=False)
        self.k_proj = torch.nn.Linear(width, width, bias=False)

    def forward(self, x):
        return self.q_proj(x) * torch.sigmoid(self.k_proj(x))


class Mlp(torch.nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.up_proj = torch.nn.Linear(width, 2 * width, bias=False)
        self.down_proj = torch.nn.Linear(2 * width, width, bias=False)

    def forward(self, x):
        return self.down_proj(torch.relu(self.up_proj(x)))


class Layer(torch.nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.input_layernorm = Norm(width)
        self.self_attn = Attention(width)
        self.mlp = Mlp(width)

    def forward(self, x):
        h = self.input_layernorm(x)
        return x + self.self_attn(h) + self.mlp(h)


class Embedding(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(28 * 28, WIDTH) * 0.05)


class Inner(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = Embedding()
        self.layers = torch.nn.ModuleList([Layer(WIDTH) for _ in range(LAYERS)])
        self.norm = Norm(WIDTH)


class ImageDecoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.model = Inner()
        self.lm_head = torch.nn.Linear(WIDTH, CLASSES, bias=False)

    def forward(self, images):
        x = images.flatten(1) @ self.model.embed_tokens.weight
        for layer in self.model.layers:
            x = layer(x)
        return self.lm_head(self.model.norm(x))


def cmd_make(a):
    torch.manual_seed(14)
    net = ImageDecoder().eval()
    os.makedirs(a.dir, exist_ok=True)
    torch.jit.script(net).save(os.path.join(a.dir, "arch.pt"))
    base = {k: v.detach().clone() for k, v in net.state_dict().items()}
    g = torch.Generator().manual_seed(1400)
    out = []
    for k in range(a.checkpoints):
        state = {}
        for name, t in base.items():
            noise = torch.randn(t.shape, generator=g) * (t.abs().mean() * 0.002)
            state[name] = (t + noise).to(torch.bfloat16)
        d = os.path.join(a.dir, "ckpt-%d" % k)
        files, total = save_sharded(state, d, a.shards)
        out.append({"dir": d, "shards": files, "totalSize": total})
    return {"checkpoints": out, "tensors": sorted(base)}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("dir")
    m.add_argument("--checkpoints", type=int, default=3)
    m.add_argument("--shards", type=int, default=2)
    a = p.parse_args()
    print(json.dumps({"make": cmd_make}[a.cmd](a)))


if __name__ == "__main__":
    main()
