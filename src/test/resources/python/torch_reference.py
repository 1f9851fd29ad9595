#!/usr/bin/python3
"""PyTorch itself, as the reference the Java evaluator is checked against.

Run by the Java tests with /usr/bin/python3 (Debian's torch). Every sub-command prints one
JSON object on stdout. Data is read here with numpy straight from the IDX files, independently
of the Java reader, and normalised with the same formula: (x/255 - 0.2860) / 0.3530.

  idx-digest  --dir D --split S --start A --end B
  make-checkpoints --arch A --dir D --out O --count K
  make-bn     --out O
  write-u8-dataset --dir D --split S --start A --end B --out F [--mean M --std S]
  score       --arch A --dir D --split S --start A --end B --state S1 [--state S2 ...] [--logits-prefix P]
"""
import argparse
import gzip
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = 0.2860
STD = 0.3530
BATCH = 256

torch.set_num_threads(1)


def models_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    # src/test/resources/python -> project root -> models (or target/test-classes/python)
    for up in (os.path.join(here, "..", "..", "..", ".."), os.path.join(here, "..", "..", "..")):
        cand = os.path.normpath(os.path.join(up, "models"))
        if os.path.isfile(os.path.join(cand, "souper_export.py")):
            return cand
    cwd = os.path.join(os.getcwd(), "models")
    if os.path.isfile(os.path.join(cwd, "souper_export.py")):
        return cwd
    raise SystemExit("cannot find models/souper_export.py")


sys.path.insert(0, models_dir())
from souper_export import export_torchscript, load_safetensors, save_safetensors, buffers_method_source  # noqa


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndims = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndims).reshape(dims)


def find(directory, base):
    for name in (base, base + ".gz"):
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    raise SystemExit("no %s in %s" % (base, directory))


def load_split(directory, split, start, end):
    images = read_idx(find(directory, split + "-images-idx3-ubyte"))[start:end]
    labels = read_idx(find(directory, split + "-labels-idx1-ubyte"))[start:end]
    x = torch.from_numpy(images.copy()).float().unsqueeze(1)
    x = (x / 255 - MEAN) / STD
    return x, torch.from_numpy(labels.astype(np.int64))


def logits_of(model, x):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], BATCH):
            out.append(model(x[i:i + BATCH]))
    return torch.cat(out)


def cmd_idx_digest(a):
    x, y = load_split(a.dir, a.split, a.start, a.end)
    return {"count": int(y.shape[0]), "labelSum": int(y.sum()), "labelsHead": y[:20].tolist(),
            "inputsSha256": hashlib.sha256(x.contiguous().numpy().astype("<f4").tobytes()).hexdigest(),
            "inputsSum": float(x.double().sum())}


def cmd_make_checkpoints(a):
    x, y = load_split(a.dir, "train", 0, 2048)
    out = []
    for k in range(a.count):
        torch.manual_seed(100 + k)
        model = torch.jit.load(a.arch)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.05 + 0.02 * k, momentum=0.9)
        perm = torch.randperm(x.shape[0])
        for step in range(24):
            idx = perm[(step * 64) % x.shape[0]:(step * 64) % x.shape[0] + 64]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        path = os.path.join(a.out, "ckpt-%d.safetensors" % k)
        save_safetensors(dict(model.state_dict()), path, {"seed": 100 + k})
        out.append(path)
    return {"checkpoints": out}


class TinyBn(nn.Module):
    """Conv + BatchNorm: a model with buffers (running_mean/var, num_batches_tracked)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        return self.fc(self.features(x).mean((2, 3)))


def cmd_make_bn(a):
    torch.manual_seed(7)
    model = TinyBn()
    # Plain export first: define() on a scripted module changes its (cached) class type.
    torch.jit.script(model).save(os.path.join(a.out, "bn_plain.pt"))
    # Saved in training mode on purpose: the evaluator must switch it to eval itself.
    model.train()
    scripted = torch.jit.script(model)
    scripted.define(buffers_method_source(model))
    scripted.save(os.path.join(a.out, "bn.pt"))
    # Running statistics far from the init (mean 0, var 1), so using the wrong ones shows.
    with torch.no_grad():
        for _ in range(20):
            model(torch.randn(32, 1, 28, 28) * 3 + 2)
    state = dict(model.state_dict())
    save_safetensors(state, os.path.join(a.out, "bn-state.safetensors"))
    params = {n for n, _ in model.named_parameters()}
    save_safetensors({k: v for k, v in state.items() if k in params}, os.path.join(a.out, "bn-params-only.safetensors"))
    return {"keys": list(state.keys()), "runningVar": state["features.1.running_var"].tolist(),
            "numBatchesTracked": int(state["features.1.num_batches_tracked"])}


def cmd_write_u8_dataset(a):
    images = read_idx(find(a.dir, a.split + "-images-idx3-ubyte"))[a.start:a.end]
    labels = read_idx(find(a.dir, a.split + "-labels-idx1-ubyte"))[a.start:a.end]
    meta = {"normalisation_mean": a.mean, "normalisation_std": a.std} if a.mean else None
    save_safetensors({"inputs": torch.from_numpy(images.copy()),
                      "labels": torch.from_numpy(labels.astype(np.int32))}, a.out, meta)
    return {"count": int(labels.shape[0])}


def cmd_score(a):
    x, y = load_split(a.dir, a.split, a.start, a.end)
    model = torch.jit.load(a.arch)
    per_model = []
    total = None
    for i, s in enumerate(a.state):
        model.load_state_dict(load_safetensors(s), strict=True)
        logits = logits_of(model, x)
        per_model.append(int((logits.argmax(1) == y).sum()))
        total = logits.double() if total is None else total + logits.double()
        if a.logits_prefix:
            with open("%s-%d.f32" % (a.logits_prefix, i), "wb") as f:
                f.write(logits.contiguous().numpy().astype("<f4").tobytes())
    ensemble = int(((total / len(a.state)).argmax(1) == y).sum())
    return {"total": int(y.shape[0]), "correct": per_model, "ensembleCorrect": ensemble}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("idx-digest")
    for q in (d,):
        q.add_argument("--dir", required=True)
        q.add_argument("--split", required=True)
        q.add_argument("--start", type=int, default=0)
        q.add_argument("--end", type=int, default=None)
    m = sub.add_parser("make-checkpoints")
    m.add_argument("--arch", required=True)
    m.add_argument("--dir", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--count", type=int, default=2)
    b = sub.add_parser("make-bn")
    b.add_argument("--out", required=True)
    u = sub.add_parser("write-u8-dataset")
    u.add_argument("--dir", required=True)
    u.add_argument("--split", required=True)
    u.add_argument("--start", type=int, default=0)
    u.add_argument("--end", type=int, default=None)
    u.add_argument("--out", required=True)
    u.add_argument("--mean")
    u.add_argument("--std")
    s = sub.add_parser("score")
    s.add_argument("--arch", required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--split", required=True)
    s.add_argument("--start", type=int, default=0)
    s.add_argument("--end", type=int, default=None)
    s.add_argument("--state", action="append", required=True)
    s.add_argument("--logits-prefix", help="write each model's logits to PREFIX-<i>.f32 (float32 LE)")
    a = p.parse_args()
    result = {"idx-digest": cmd_idx_digest, "make-checkpoints": cmd_make_checkpoints, "make-bn": cmd_make_bn,
              "write-u8-dataset": cmd_write_u8_dataset,
              "score": cmd_score}[a.cmd](a)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
