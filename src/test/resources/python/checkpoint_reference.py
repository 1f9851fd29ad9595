#!/usr/bin/python3
"""PyTorch as the reference for half-precision and sharded checkpoints (issue 14).

Run by the Java tests with /usr/bin/python3 (Debian's torch, no safetensors or transformers
package): safetensors files are written and read with models/souper_export.py, sharded
checkpoints in the layout `save_pretrained` writes (model-0000k-of-0000n.safetensors, each
with {"format": "pt"} metadata, plus model.safetensors.index.json with metadata.total_size
and weight_map). Every sub-command prints one JSON object.

  narrow OUT                      F64 values (ties, near-ties, subnormals, overflow) and torch's
                                  casts of them to bf16 and f16, in one file
  to-dtype IN OUT DTYPE           every float tensor of IN cast to DTYPE (bf16|f16|f32)
  make-sharded DIR --dtype D --seed S --shards K [--width W --layers L]
                                  a small transformer-like state dict, sharded like save_pretrained
  check-mean SOUP IN...           the soup (file, index or directory) equals torch's fp64 mean of the
                                  inputs in that order, cast to their dtype, bit for bit; for sharded
                                  soups also checks the layout from_pretrained relies on
"""
import argparse
import functools
import json
import os
import sys

import torch


def _models_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    for up in (os.path.join(here, "..", "..", "..", ".."), os.path.join(here, "..", "..", "..")):
        cand = os.path.normpath(os.path.join(up, "models"))
        if os.path.isfile(os.path.join(cand, "souper_export.py")):
            return cand
    raise SystemExit("cannot find models/souper_export.py")


sys.path.insert(0, _models_dir())
from souper_export import load_safetensors, save_safetensors  # noqa: E402

INDEX = "model.safetensors.index.json"
DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}
FLOATS = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


def load_any(path):
    """A state dict from a safetensors file, an index file, or a directory holding an index."""
    if os.path.isdir(path):
        path = os.path.join(path, INDEX)
    if path.endswith(".json"):
        with open(path) as f:
            index = json.load(f)
        base = os.path.dirname(path)
        out = {}
        for shard in sorted(set(index["weight_map"].values())):
            out.update(load_safetensors(os.path.join(base, shard)))
        return out
    return dict(load_safetensors(path))


def cmd_narrow(a):
    torch.manual_seed(5)
    special = [1 + 2 ** -8 + 2 ** -40, 1 + 2 ** -11 + 2 ** -40, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -11,
               -(1 + 2 ** -11 + 2 ** -40), 65519.99, 65520.0, 1e6, -1e6, 2 ** -25, 1.5 * 2 ** -25, 2 ** -14 - 2 ** -26,
               3.4e38, 3.3e38, 1e300, 2 ** -134, 2 ** -133 * 1.5, 1e-40, -0.0, 0.0, 1 / 3, 2 / 3, 0.1]
    x = torch.cat([torch.tensor(special, dtype=torch.float64),
                   torch.randn(4000, dtype=torch.float64) * torch.exp2(torch.randint(-30, 30, (4000,)).double()),
                   (torch.randn(4000).bfloat16().double() + torch.randint(-1, 2, (4000,)).double() * 2.0 ** -9
                    + torch.randn(4000, dtype=torch.float64) * 2.0 ** -36)])
    save_safetensors({"x": x, "bf16": x.to(torch.bfloat16), "f16": x.to(torch.float16)}, a.out)
    return {"count": int(x.numel())}


def cmd_to_dtype(a):
    state = load_any(a.inp)
    out = {k: (v.to(DTYPES[a.dtype]) if v.dtype in FLOATS else v) for k, v in state.items()}
    save_safetensors(out, a.out, {"format": "pt"})
    return {"tensors": len(out)}


def make_state(seed, dtype, width, layers):
    """Each tensor is cast as soon as it is drawn, so a multi-gigabyte bf16 model needs no fp32 copy."""
    g = torch.Generator().manual_seed(seed)

    def randn(*shape, scale=1.0, shift=0.0):
        return (torch.randn(*shape, generator=g) * scale + shift).to(dtype)

    state = {"model.embed_tokens.weight": randn(64, width)}
    for i in range(layers):
        p = "model.layers.%d." % i
        state[p + "self_attn.q_proj.weight"] = randn(width, width, scale=0.02)
        state[p + "self_attn.k_proj.weight"] = randn(width, width, scale=0.02)
        state[p + "mlp.up_proj.weight"] = randn(2 * width, width, scale=0.02)
        state[p + "mlp.down_proj.weight"] = randn(width, 2 * width, scale=0.02)
        state[p + "input_layernorm.weight"] = randn(width, scale=0.1, shift=1.0)
    state["model.norm.weight"] = randn(width, scale=0.1, shift=1.0)
    state["lm_head.weight"] = randn(64, width, scale=0.02)
    return state


def save_sharded(state, directory, shards):
    """save_pretrained's layout: tensors in state-dict order, split into `shards` files of similar size."""
    os.makedirs(directory, exist_ok=True)
    names = list(state.keys())
    total = sum(t.numel() * t.element_size() for t in state.values())
    per_shard = total / shards
    groups, current, size = [], [], 0
    for n in names:
        b = state[n].numel() * state[n].element_size()
        if current and size + b > per_shard and len(groups) < shards - 1:
            groups.append(current)
            current, size = [], 0
        current.append(n)
        size += b
    groups.append(current)
    weight_map = {}
    files = []
    for i, group in enumerate(groups):
        fname = "model-%05d-of-%05d.safetensors" % (i + 1, len(groups))
        save_safetensors({n: state[n] for n in group}, os.path.join(directory, fname), {"format": "pt"})
        for n in group:
            weight_map[n] = fname
        files.append(fname)
    with open(os.path.join(directory, INDEX), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
    return files, total


def cmd_make_sharded(a):
    state = make_state(a.seed, DTYPES[a.dtype], a.width, a.layers)
    files, total = save_sharded(state, a.dir, a.shards)
    return {"shards": files, "totalSize": total, "tensors": len(state)}


def torch_mean(inputs):
    """sum of x.double() in input order from zero, / n, cast back to the (promoted) dtype (integers: floor division)."""
    n = len(inputs)
    out = {}
    for name, first in inputs[0].items():
        if first.dtype in FLOATS:
            acc = torch.zeros(first.shape, dtype=torch.float64)
            for sd in inputs:
                acc += sd[name].double()
            # mixed float dtypes: the soup is written in their promoted dtype
            dtype = functools.reduce(torch.promote_types, [sd[name].dtype for sd in inputs])
            out[name] = (acc / n).to(dtype)
        else:
            acc = torch.zeros(first.shape, dtype=torch.int64)
            for sd in inputs:
                acc += sd[name].long()
            out[name] = torch.div(acc, n, rounding_mode="floor").to(first.dtype)
    return out


def bits(t):
    if t.dtype == torch.bool:
        return t.to(torch.uint8)
    return t.contiguous().view(torch.uint8) if t.numel() else t


def check_layout(path):
    """What from_pretrained needs of a sharded checkpoint: the index, the shards it names, format pt."""
    directory = path if os.path.isdir(path) else os.path.dirname(path)
    index_path = os.path.join(directory, INDEX) if os.path.isdir(path) else path
    with open(index_path) as f:
        index = json.load(f)
    problems = []
    total = 0
    for shard in sorted(set(index["weight_map"].values())):
        with open(os.path.join(directory, shard), "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(n))
        if header.get("__metadata__", {}).get("format") != "pt":
            problems.append(shard + ": metadata format is not pt")
        names = {k for k in header if k != "__metadata__"}
        mapped = {k for k, v in index["weight_map"].items() if v == shard}
        if names != mapped:
            problems.append(shard + ": holds %s, index maps %s" % (sorted(names), sorted(mapped)))
        for k in names:
            b, e = header[k]["data_offsets"]
            total += e - b
    if index.get("metadata", {}).get("total_size") != total:
        problems.append("total_size %s != %d" % (index.get("metadata", {}).get("total_size"), total))
    return {"shards": sorted(set(index["weight_map"].values())), "problems": problems}


def cmd_check_mean(a):
    soup = load_any(a.soup)
    expected = torch_mean([load_any(p) for p in a.inputs])
    mismatched = []
    for name, want in expected.items():
        got = soup.get(name)
        if got is None or got.dtype != want.dtype or list(got.shape) != list(want.shape) \
                or not torch.equal(bits(got), bits(want)):
            mismatched.append(name)
    extra = sorted(set(soup) - set(expected))
    result = {"tensors": len(expected), "mismatched": mismatched, "extra": extra,
              "dtypes": sorted({str(t.dtype) for t in expected.values()})}
    if a.soup.endswith(".json") or os.path.isdir(a.soup):
        result["layout"] = check_layout(a.soup)
    return result


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("narrow")
    n.add_argument("out")
    t = sub.add_parser("to-dtype")
    t.add_argument("inp")
    t.add_argument("out")
    t.add_argument("dtype", choices=sorted(DTYPES))
    m = sub.add_parser("make-sharded")
    m.add_argument("dir")
    m.add_argument("--dtype", default="bf16", choices=sorted(DTYPES))
    m.add_argument("--seed", type=int, required=True)
    m.add_argument("--shards", type=int, default=3)
    m.add_argument("--width", type=int, default=32)
    m.add_argument("--layers", type=int, default=4)
    c = sub.add_parser("check-mean")
    c.add_argument("soup")
    c.add_argument("inputs", nargs="+")
    a = p.parse_args()
    handler = {"narrow": cmd_narrow, "to-dtype": cmd_to_dtype, "make-sharded": cmd_make_sharded,
               "check-mean": cmd_check_mean}[a.cmd]
    print(json.dumps(handler(a)))


if __name__ == "__main__":
    main()
