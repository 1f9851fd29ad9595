#!/usr/bin/python3
"""PyTorch's own answers for what the evaluator scores: single checkpoints, uniform soups
(mean of the ingredients' weights) and logit ensembles, on IDX splits with any normalisation.

    evaluator_reference.py SPEC.json     prints one JSON object

SPEC: {"arch": "...pt", "dir": "<IDX dir>",
       "splits": [{"name": "held-out", "split": "train", "start": 0, "end": 500, "mean": 0.286, "std": 0.353}],
       "models": [{"name": "...", "kind": "single|mean|ensemble", "files": ["a.safetensors", ...]}]}
Output: {"correct": {model: {split: n}}, "meanTensorsSha256": {model: hex}} where the digest covers,
for each tensor name in sorted order, the UTF-8 name followed by the tensor's little-endian bytes.

The mean is computed as the evaluator documents it: a float64 sum in ingredient order, divided by
the count, rounded to the tensor's own dtype.
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference as ref  # noqa: E402  (also puts models/ on the path)
from souper_export import load_safetensors  # noqa: E402

torch.set_num_threads(1)


def load_split(directory, spec):
    images = ref.read_idx(ref.find(directory, spec["split"] + "-images-idx3-ubyte"))[spec["start"]:spec["end"]]
    labels = ref.read_idx(ref.find(directory, spec["split"] + "-labels-idx1-ubyte"))[spec["start"]:spec["end"]]
    x = torch.from_numpy(images.copy()).float().unsqueeze(1)
    x = (x / 255 - spec["mean"]) / spec["std"]
    return x, torch.from_numpy(labels.astype(np.int64))


def mean_state(files):
    states = [load_safetensors(f) for f in files]
    out = {}
    for key in states[0]:
        acc = states[0][key].double().clone()
        for s in states[1:]:
            acc += s[key].double()
        out[key] = (acc / len(states)).to(states[0][key].dtype)
    return out


def digest(state):
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode("utf-8"))
        h.update(state[key].contiguous().reshape(-1).numpy().astype(state[key].numpy().dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    splits = [(s["name"],) + load_split(spec["dir"], s) for s in spec["splits"]]
    model = torch.jit.load(spec["arch"])
    correct = {}
    digests = {}
    for m in spec["models"]:
        row = {}
        if m["kind"] == "ensemble":
            sums = {name: None for name, _, _ in splits}
            for f in m["files"]:
                model.load_state_dict(load_safetensors(f), strict=True)
                for name, x, _ in splits:
                    logits = ref.logits_of(model, x).double()
                    sums[name] = logits if sums[name] is None else sums[name] + logits
            for name, _, y in splits:
                row[name] = int(((sums[name] / len(m["files"])).argmax(1) == y).sum())
        else:
            state = mean_state(m["files"]) if m["kind"] == "mean" else load_safetensors(m["files"][0])
            if m["kind"] == "mean":
                digests[m["name"]] = digest(state)
            model.load_state_dict(state, strict=True)
            for name, x, y in splits:
                row[name] = int((ref.logits_of(model, x).argmax(1) == y).sum())
        correct[m["name"]] = row
    print(json.dumps({"correct": correct, "meanTensorsSha256": digests}))


if __name__ == "__main__":
    main()
