"""Find a fine-tuning regime where a greedy soup keeps several ingredients.

Plain PyTorch, 2 threads. Usage: /usr/bin/python3 regime.py CONFIG_JSON
(see README.md for the configurations tried and what they measured).
"""
import gzip, json, math, os, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(2)
DATA = os.environ.get("SOUPER_DATA", "/usr/share/datasets/fashion-mnist")
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache")
MEAN, STD = 0.2860, 0.3530


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def norm(u8):
    return torch.from_numpy(((u8.astype(np.float32) / 255.0 - MEAN) / STD)[:, None])


# ---- distribution shifts of the test images (u8 in, u8 out), deterministic by seed ----
def shift_noise(x, rng):
    return np.clip(x + rng.normal(0, 0.35 * 255, x.shape), 0, 255)


def shift_rotate(x, rng):
    n = len(x)
    ang = rng.uniform(15, 30, n) * rng.choice([-1, 1], n) * math.pi / 180
    t = torch.tensor(x, dtype=torch.float32)[:, None]
    cos, sin = np.cos(ang), np.sin(ang)
    theta = torch.tensor(np.stack([np.stack([cos, -sin, 0 * cos], 1), np.stack([sin, cos, 0 * cos], 1)], 1), dtype=torch.float32)
    grid = F.affine_grid(theta, t.shape, align_corners=False)
    return F.grid_sample(t, grid, align_corners=False)[:, 0].numpy()


def shift_blur(x, rng):
    k = np.exp(-np.arange(-3, 4) ** 2 / (2 * 1.5 ** 2)); k /= k.sum()
    t = torch.tensor(x, dtype=torch.float32)[:, None]
    kk = torch.tensor(np.outer(k, k), dtype=torch.float32)[None, None]
    return F.conv2d(t, kk, padding=3)[:, 0].numpy()


def shift_contrast(x, rng):
    m = x.reshape(len(x), -1).mean(1)[:, None, None]
    return m + (x - m) * 0.25


def shift_occlude(x, rng):
    x = x.copy().astype(np.float32)
    for i in range(len(x)):
        r, c = rng.integers(4, 14, 2)
        x[i, r:r + 12, c:c + 12] = 0
    return x


SHIFTS = {"noise": shift_noise, "rotate": shift_rotate, "blur": shift_blur, "contrast": shift_contrast, "occlude": shift_occlude}


def make_splits(cfg):
    xtr, ytr = idx("train-images-idx3-ubyte.gz"), idx("train-labels-idx1-ubyte.gz")
    xte, yte = idx("t10k-images-idx3-ubyte.gz"), idx("t10k-labels-idx1-ubyte.gz")
    perm = np.random.default_rng(20220305).permutation(len(xtr))
    h, p = cfg["heldout"], cfg["pretrain"]
    s = {"heldout": (norm(xtr[perm[:h]]), torch.from_numpy(ytr[perm[:h]].astype(np.int64))),
         "pretrain": (norm(xtr[perm[h:h + p]]), torch.from_numpy(ytr[perm[h:h + p]].astype(np.int64))),
         "finetune": (norm(xtr[perm[h + p:]]), torch.from_numpy(ytr[perm[h + p:]].astype(np.int64)))}
    tperm = np.random.default_rng(7).permutation(len(xte))
    nt = cfg["test"]
    s["test"] = (norm(xte[tperm[:nt]]), torch.from_numpy(yte[tperm[:nt]].astype(np.int64)))
    ns = cfg["shift"]
    for i, (name, fn) in enumerate(SHIFTS.items()):
        sel = tperm[:ns]
        rng = np.random.default_rng(100 + i)
        s["shift_" + name] = (norm(fn(xte[sel].astype(np.float32), rng)), torch.from_numpy(yte[sel].astype(np.int64)))
    return s


class Cnn(nn.Module):
    def __init__(self, c1, c2, fc):
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1); self.gn1 = nn.GroupNorm(min(8, c1 // 2), c1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1); self.gn2 = nn.GroupNorm(8, c2)
        self.fc1 = nn.Linear(c2 * 49, fc); self.fc2 = nn.Linear(fc, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.gn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.gn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


# which parameters stay fixed during a fine-tune
FREEZE = {"none": (), "conv1": ("conv1", "gn1"), "conv": ("conv1", "gn1", "conv2", "gn2")}


def augment(x, g, shift_px, noise):
    """Random translation by up to shift_px pixels (background fill) and Gaussian input noise."""
    if shift_px:
        n = len(x)
        d = torch.randint(-shift_px, shift_px + 1, (n, 2), generator=g).float() * (2.0 / 28)
        theta = torch.zeros(n, 2, 3); theta[:, 0, 0] = 1; theta[:, 1, 1] = 1; theta[:, :, 2] = d
        grid = F.affine_grid(theta, x.shape, align_corners=False)
        bg = -MEAN / STD
        x = F.grid_sample(x - bg, grid, mode="nearest", padding_mode="zeros", align_corners=False) + bg
    if noise:
        x = x + noise * torch.randn(x.shape, generator=g)
    return x


def train(model, data, epochs, lr, wd, ls, seed, opt="sgd", bs=128, shift_px=0, noise=0.0, sched="const",
          freeze="none", subset=None, shard=None):
    g = torch.Generator().manual_seed(seed)
    x, y = data
    if shard is not None:  # (i, k): the i-th of k disjoint slices of the fine-tune set
        i, k = shard; n = len(x) // k; x, y = x[i * n:(i + 1) * n], y[i * n:(i + 1) * n]
    if subset:
        idx_ = torch.randperm(len(x), generator=g)[:subset]; x, y = x[idx_], y[idx_]
    for name, p in model.named_parameters():
        p.requires_grad_(not any(name.startswith(f) for f in FREEZE[freeze]))
    params = [p for p in model.parameters() if p.requires_grad]
    o = torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd) if opt == "sgd" else torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    steps = epochs * math.ceil(len(x) / bs); step = 0; model.train(); losses = []
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), bs):
            b = perm[i:i + bs]
            if sched == "cos":
                for pg in o.param_groups: pg["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
            loss = F.cross_entropy(model(augment(x[b], g, shift_px, noise)), y[b], label_smoothing=ls)
            o.zero_grad(); loss.backward(); o.step(); step += 1; losses.append(loss.item())
    return float(np.mean(losses[-20:]))


@torch.no_grad()
def logits(model, x, bs=1000):
    model.eval()
    return torch.cat([model(x[i:i + bs]) for i in range(0, len(x), bs)])


def acc(lg, y):
    return 100.0 * (lg.argmax(1) == y).float().mean().item()


def average(states):
    return {k: torch.stack([s[k].double() for s in states]).mean(0).to(states[0][k].dtype) for k in states[0]}


def main():
    cfg = json.load(open(sys.argv[1]))
    for extra in sys.argv[2:]:  # overrides: a JSON object merged one level deep
        for k, v in json.loads(extra).items():
            cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    t0 = time.time()
    s = make_splits(cfg)
    evals = ["heldout", "test"] + ["shift_" + k for k in SHIFTS]
    print(f"splits {time.time() - t0:.1f}s", flush=True)
    arch = cfg["arch"]
    torch.manual_seed(0)
    model = Cnn(*arch)
    os.makedirs(CACHE, exist_ok=True)
    pre = cfg["pre"]
    key = os.path.join(CACHE, "pre_%s.pt" % "_".join(str(v) for v in arch + [cfg["heldout"], cfg["pretrain"]] + list(pre.values())))
    if os.path.exists(key):
        model.load_state_dict(torch.load(key))
    else:
        t = time.time()
        train(model, s["pretrain"], seed=0, **pre)
        torch.save(model.state_dict(), key)
        print(f"pretrain {time.time() - t:.1f}s ({pre['epochs'] * len(s['pretrain'][0]) / (time.time() - t):.0f} img/s)")
    start = {k: v.clone() for k, v in model.state_dict().items()}
    row = lambda lg: {e: acc(lg[e], s[e][1]) for e in evals}
    pre_scores = row({e: logits(model, s[e][0]) for e in evals})
    print("pretrained", fmt(pre_scores))
    runs = []
    t_train = t_eval = 0
    grid = cfg["grid"]
    for i in range(cfg["k"]):
        hp = {k: v[i % len(v)] if isinstance(v, list) else v for k, v in grid.items()}
        hp["seed"] = 1000 + i
        if cfg.get("shards"):
            hp["shard"] = (i % cfg["shards"], cfg["shards"])
        model.load_state_dict(start)
        t = time.time(); loss = train(model, s["finetune"], **hp); t_train += time.time() - t
        t = time.time(); lg = {e: logits(model, s[e][0]) for e in evals}; t_eval += time.time() - t
        sc = row(lg)
        runs.append({"hp": hp, "state": {k: v.clone() for k, v in model.state_dict().items()}, "logits": lg, "scores": sc, "loss": loss})
        print(f"run {i:2d} {json.dumps({k: v for k, v in hp.items() if isinstance(grid.get(k), list) or k == 'seed'})} loss {loss:.3f} ", fmt(sc), flush=True)
    print(f"fine-tune total {t_train:.1f}s, per-model scoring total {t_eval:.1f}s")

    def soup_scores(states, evals_=evals):
        model.load_state_dict(average(states))
        return {e: acc(logits(model, s[e][0]), s[e][1]) for e in evals_}

    best = max(runs, key=lambda r: r["scores"]["heldout"])
    uni = soup_scores([r["state"] for r in runs])
    order = sorted(runs, key=lambda r: -r["scores"]["heldout"])
    ing = [order[0]]; cur = order[0]["scores"]["heldout"]; cand_evals = 0
    t = time.time()
    for r in order[1:]:
        h = soup_scores([q["state"] for q in ing + [r]], ["heldout"])["heldout"]; cand_evals += 1
        if h > cur:
            ing.append(r); cur = h
    t_cand = time.time() - t
    greedy = soup_scores([r["state"] for r in ing])
    # online greedy: arrival order, one try per checkpoint; guard: a single better than the soup replaces it
    on = [runs[0]]; cur_on = runs[0]["scores"]["heldout"]
    for r in runs[1:]:
        h = soup_scores([q["state"] for q in on + [r]], ["heldout"])["heldout"]
        if h > cur_on:
            on.append(r); cur_on = h
        elif r["scores"]["heldout"] > cur_on:
            on = [r]; cur_on = r["scores"]["heldout"]
    online = soup_scores([r["state"] for r in on])
    ens = {e: acc(torch.stack([r["logits"][e] for r in runs]).mean(0), s[e][1]) for e in evals}
    print("---")
    print(f"{'pretrained start':28s}", fmt(pre_scores))
    print(f"{'best single':28s}", fmt(best["scores"]))
    print(f"{'uniform soup (%d)' % len(runs):28s}", fmt(uni))
    print(f"{'greedy soup (%d kept)' % len(ing):28s}", fmt(greedy))
    print(f"{'greedy online (%d kept)' % len(on):28s}", fmt(online))
    print(f"{'ensemble (%d)' % len(runs):28s}", fmt(ens))
    print(f"greedy kept runs {[runs.index(r) for r in ing]}; {cand_evals} candidate evals in {t_cand:.1f}s; total {time.time() - t0:.1f}s")
    mean_ind = {e: float(np.mean([r['scores'][e] for r in runs])) for e in evals}
    print(f"{'mean individual':28s}", fmt(mean_ind))


def fmt(sc):
    shifts = [v for k, v in sc.items() if k.startswith("shift_")]
    return f"held {sc['heldout']:.2f} test {sc['test']:.2f} shifts {np.mean(shifts):.2f} [" + " ".join(f"{v:.1f}" for v in shifts) + "]"


if __name__ == "__main__":
    main()
