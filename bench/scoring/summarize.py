"""Summary of a bench/scoring/run.sh log: per side, allocator setting and thread count, the
min / median / max images/s over every timed pass, the ratio of medians to PyTorch's under the
same allocator setting (or its "tuned" one), minor page faults and peak RSS per process, and the
weight-swap times. Log lines: ROUND SIDE ALLOC THREADS LOAD KIND VALUES...

usage: summarize.py LOG
"""
import collections
import statistics
import sys


def mmm(values, fmt="%.0f"):
    return " / ".join(fmt % v for v in (min(values), statistics.median(values), max(values)))


def main():
    passes = collections.defaultdict(list)
    faults = {}  # (key, round) -> (minor faults, peak RSS MiB) of one process
    swapped = set()  # (key, round) of processes that also swapped weights (their faults and RSS include it)
    swaps = collections.defaultdict(list)
    loads = []
    info = {}
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) < 7:
            continue
        rnd, side, alloc, threads, load, kind = f[:6]
        key = (side, alloc, int(threads))
        loads.append(float(load))
        if kind == "PASS":
            passes[key].append(float(f[6]))
        elif kind == "FAULTS":
            faults[(key, rnd)] = (int(f[6]), int(f[7]) / 1024)
        elif kind == "SWAP":
            swaps[(side, f[6], int(f[7]))].append(float(f[8]))
            swapped.add((key, rnd))
        elif kind == "INFO" and "intra-op" in line:
            info[side.split("-")[0]] = " ".join(f[6:]).split(", intra")[0]
    for side, text in sorted(info.items()):
        print("%s: %s" % (side, text))
    print("load average during the runs: %.1f-%.1f" % (min(loads), max(loads)))
    print()
    print("| side | malloc | threads | images/s min / median / max | runs | median / PyTorch's | minor page faults per process (median, runs without swaps) | peak RSS (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for key in sorted(passes, key=lambda k: (k[2], k[0], k[1])):
        side, alloc, threads = key
        med = statistics.median(passes[key])
        ref = passes.get(("torch", alloc, threads)) or passes.get(("torch", "tuned", threads))
        ratio = "%.2fx" % (med / statistics.median(ref)) if ref and side == "djl" else ""
        plain = [v for (k, r), v in faults.items() if k == key and (k, r) not in swapped]
        print("| %s | %s | %d | %s | %d | %s | %s | %s |" % (
            side, alloc, threads, mmm(passes[key]), len(passes[key]), ratio,
            "%.0f" % statistics.median(v[0] for v in plain) if plain else "",
            "%.0f MiB" % statistics.median(v[1] for v in plain) if plain else ""))
    if swaps:
        print()
        print("| side | model | bytes | swap ms min / median / max | swaps |")
        print("|---|---|---|---|---|")
        for (side, model, size), values in sorted(swaps.items()):
            print("| %s | %s | %.1f MB | %s | %d |" % (side, model, size / 1e6, mmm(values, "%.2f"), len(values)))


if __name__ == "__main__":
    main()
