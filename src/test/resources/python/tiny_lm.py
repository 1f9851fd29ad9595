#!/usr/bin/python3
"""A tiny causal language model (byte level, ~0.2M parameters) for Souper's language-model soup test.

    tiny_lm.py make OUT_DIR RUNS      pre-trains on Debian's licence texts, fine-tunes RUNS copies,
                                      writes OUT_DIR/{lm.pt, ckpt-K.safetensors, held-out.safetensors,
                                      test.safetensors}; prints {"parameters": n, "runs": [...]}
    tiny_lm.py score SPEC.json        PyTorch's scores: prints {model: {split: {correct, total, top5,
                                      mean_loss, perplexity}}}

SPEC: {"arch": "lm.pt", "splits": {"held-out": "held-out.safetensors", ...},
       "models": {"name": ["ckpt-0.safetensors", ...]}}: a model of several files is their uniform
soup, averaged as the evaluator documents it (float64 sum in order / count, rounded to the dtype).

The model takes two inputs, input_ids (int64 [batch, T]) and attention_mask (float32 [batch, T],
1 for a real token, 0 for padding), and returns next-token logits [batch, T, 256]. Targets are the
next bytes, -100 where the position is padding (PyTorch's ignore_index). Data files are written by
hand in the safetensors format (Debian has no python3-safetensors).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import Tensor, nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import evaluator_reference  # noqa: E402  (puts models/ on the path)
from souper_export import export_torchscript, load_safetensors, save_safetensors  # noqa: E402

torch.set_num_threads(1)

VOCAB = 256
CONTEXT = 32
WIDTH = 80
IGNORE = -100
LICENCES = "/usr/share/common-licenses"


class Block(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.norm2 = nn.LayerNorm(width)
        self.up = nn.Linear(width, 4 * width)
        self.down = nn.Linear(4 * width, width)

    def forward(self, x: Tensor, keep: Tensor) -> Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(c, dim=2)
        q = q.reshape(b, t, self.heads, c // self.heads).transpose(1, 2)
        k = k.reshape(b, t, self.heads, c // self.heads).transpose(1, 2)
        v = v.reshape(b, t, self.heads, c // self.heads).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(c // self.heads)
        scores = scores.masked_fill(keep.unsqueeze(1) == 0, -1e9)
        y = torch.softmax(scores, dim=-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.down(F.gelu(self.up(self.norm2(x))))


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, WIDTH)
        self.positions = nn.Embedding(CONTEXT, WIDTH)
        self.blocks = nn.ModuleList([Block(WIDTH, 4), Block(WIDTH, 4)])
        self.norm = nn.LayerNorm(WIDTH)
        self.head = nn.Linear(WIDTH, VOCAB)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        b, t = input_ids.shape
        x = self.tokens(input_ids) + self.positions(torch.arange(t, device=input_ids.device)).unsqueeze(0)
        causal = torch.tril(torch.ones(t, t, device=input_ids.device))
        # a position sees earlier real tokens only (padding keys are masked out)
        keep = causal.unsqueeze(0) * attention_mask.unsqueeze(1)
        for block in self.blocks:
            x = block(x, keep)
        return self.head(self.norm(x))


def text(name):
    with open(os.path.join(LICENCES, name), "rb") as f:
        return torch.tensor(list(f.read()), dtype=torch.int64)


def windows(data, count, generator, pad_every=0):
    """count random windows of CONTEXT bytes; every pad_every-th one is cut short and padded."""
    starts = torch.randint(0, len(data) - CONTEXT - 1, (count,), generator=generator)
    ids = torch.stack([data[s:s + CONTEXT] for s in starts])
    targets = torch.stack([data[s + 1:s + CONTEXT + 1] for s in starts])
    mask = torch.ones(count, CONTEXT, dtype=torch.float32)
    if pad_every:
        for i in range(0, count, pad_every):
            real = CONTEXT // 2 + i % (CONTEXT // 2)
            ids[i, real:] = 0
            targets[i, real:] = IGNORE
            mask[i, real:] = 0
    return ids, mask, targets


def train(model, data, steps, lr, seed):
    generator = torch.Generator().manual_seed(seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        ids, mask, targets = windows(data, 16, generator)
        loss = F.cross_entropy(model(ids, mask).reshape(-1, VOCAB), targets.reshape(-1), ignore_index=IGNORE)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    return float(loss)


def make(out, runs):
    torch.manual_seed(0)
    model = TinyLM()
    pretrain = torch.cat([text("GPL-3"), text("GPL-2"), text("Apache-2.0")])
    train(model, pretrain, 40, 5e-3, 0)
    export_torchscript(TinyLM(), os.path.join(out, "lm.pt"))
    # held-out from the fine-tuning domain (the LGPL), test from another part of it
    domain = text("LGPL-2.1")
    cut = len(domain) * 4 // 5
    generator = torch.Generator().manual_seed(1)
    for name, part, count in (("held-out", domain[cut:], 48), ("test", text("LGPL-3"), 24)):
        ids, mask, targets = windows(part, count, generator, pad_every=3)
        save_safetensors({"input_ids": ids, "attention_mask": mask, "targets": targets},
                         os.path.join(out, name + ".safetensors"), {"name": name})
    report = []
    base = {k: v.clone() for k, v in model.state_dict().items()}
    for k in range(runs):
        model.load_state_dict(base)
        lr = [1e-3, 2e-3, 5e-4, 3e-3][k % 4]
        loss = train(model, domain[:cut], 10, lr, 100 + k)
        save_safetensors(model.state_dict(), os.path.join(out, "ckpt-%d.safetensors" % k))
        report.append({"lr": lr, "loss": loss})
    print(json.dumps({"parameters": sum(p.numel() for p in model.parameters()), "runs": report}))


def scores(model, split):
    tensors = load_safetensors(split)
    with torch.no_grad():
        logits = model(tensors["input_ids"], tensors["attention_mask"]).reshape(-1, VOCAB)
    targets = tensors["targets"].reshape(-1)
    scored = targets != IGNORE
    logits, targets = logits[scored], targets[scored]
    loss = F.cross_entropy(logits, targets).item()
    top5 = (logits.topk(5, dim=1).indices == targets.unsqueeze(1)).any(dim=1).sum().item()
    return {"correct": (logits.argmax(dim=1) == targets).sum().item(), "total": targets.numel(), "top5": top5,
            "mean_loss": loss, "perplexity": math.exp(loss)}


def score(spec_file):
    with open(spec_file) as f:
        spec = json.load(f)
    model = torch.jit.load(spec["arch"]).eval()
    out = {}
    for name, files in spec["models"].items():
        state = evaluator_reference.mean_state(files)
        with torch.no_grad():
            for key, param in model.state_dict().items():
                param.copy_(state[key])
        out[name] = {split: scores(model, path) for split, path in spec["splits"].items()}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "score":
        score(sys.argv[2])
    else:
        raise SystemExit("usage: tiny_lm.py make OUT_DIR RUNS | score SPEC.json")
