"""Side-by-side summary of one of the bench/compare-* runs: reads OUT/ours.log and
OUT/torch.log (plus OUT/NAME.time, /usr/bin/time's peak RSS in KB, when a log lacks its
peak_rss_mb line), prints a table and the targets, and exits 3 when a log is incomplete.

usage: summarize.py mlp OUT EPOCHS
       summarize.py conv|resnet OUT EPOCHS BATCH
       summarize.py curve OUT EPOCHS SEEDS

curve reads OUT/ours-S.log and OUT/torch-S.log for S = 1..SEEDS (bench/compare-conv-curve) and
compares the test loss per epoch as mean and spread over the seeds.
mlp compares seconds per epoch; conv and resnet compare seconds per batch (an epoch's
training seconds over its batches, ceil(images / BATCH)). Either way epoch 1 includes
warm-up, so with several epochs the figure compared is the median over epochs 2..N.
"""
import math
import os
import re
import statistics
import sys

EPOCH = re.compile(r"^epoch\s+(\d+)\s+train\s+(\S+)\s+test\s+(\S+)\s+seconds\s+(\S+)(?:\s+images\s+(\d+))?\s*$")
NAMES = ("ours", "torch")

# speed: the least torch/ours speed-up; loss: the largest |ours - torch| final test loss in
# nats (None: reported only); rss_ratio: the most our peak RSS may be as a fraction of torch's
# (half for the MLP and the conv VAE, no more than torch's for the ResNet).
TARGETS = {
    "mlp": {"speed": 3.0, "loss": 1.0, "rss_ratio": 0.5},
    "conv": {"speed": 2.0, "loss": 1.0, "rss_ratio": 0.5},
    "resnet": {"speed": 1.5, "loss": None, "rss_ratio": 1.0},
}


def rss_line(ours, torch, limit):
    """Our peak RSS over torch's against the limit; False when it is over or either is missing."""
    if not (ours["rss"] and torch["rss"]):
        print("peak_rss_ratio = -")
        return False
    ratio = ours["rss"] / torch["rss"]
    print(f"peak_rss_ratio = ours / torch = {ratio:.2f}  (target <= {limit:.2f}: {met(ratio <= limit)})")
    return ratio <= limit


def parse(out, name, epochs, batch=None):
    """One engine's log: per-epoch (train, test, seconds, images), totals and problems."""
    r = {"epochs": {}, "total": None, "per_batch": None, "rss": None, "rss_from": "", "problems": []}
    try:
        with open(os.path.join(out, name + ".log"), errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        m = EPOCH.match(line.strip())
        parts = line.split()
        try:
            if m:
                images = int(m.group(5)) if m.group(5) else None
                r["epochs"][int(m.group(1))] = (float(m.group(2)), float(m.group(3)), float(m.group(4)), images)
            elif len(parts) == 2 and parts[0] == "total_train_seconds":
                r["total"] = float(parts[1])
            elif len(parts) == 2 and parts[0] == "seconds_per_batch":
                r["per_batch"] = float(parts[1])
            elif len(parts) == 2 and parts[0] == "peak_rss_mb":
                r["rss"] = float(parts[1])
        except ValueError:
            r["problems"].append("unreadable line: " + line.strip())
    if r["rss"] is None:
        try:
            with open(os.path.join(out, name + ".time")) as f:
                r["rss"] = float(f.read().split()[-1]) / 1024
            r["rss_from"] = " (time)"
        except (OSError, ValueError, IndexError):
            pass

    missing = [e for e in range(1, epochs + 1) if e not in r["epochs"]]
    if missing:
        r["problems"].append("no line for epoch(s) " + ", ".join(map(str, missing)))
    if r["total"] is None:
        r["problems"].append("no total_train_seconds line")
        if r["epochs"]:
            r["total"] = sum(v[2] for v in r["epochs"].values())
    if batch is not None:
        if r["per_batch"] is None:
            r["problems"].append("no seconds_per_batch line")
        if r["rss"] is None:
            r["problems"].append("no peak_rss_mb line")
        if any(v[3] is None for v in r["epochs"].values()):
            r["problems"].append("epoch line(s) without an image count")

    # The compared time per epoch, or per batch when BATCH is given.
    def unit_seconds(v):
        if batch is None:
            return v[2]
        return v[2] / math.ceil(v[3] / batch) if v[3] else None

    per = {e: unit_seconds(v) for e, v in sorted(r["epochs"].items())}
    per = {e: s for e, s in per.items() if s is not None}
    later = [s for e, s in per.items() if e >= 2] or list(per.values())
    r["median"] = statistics.median(later) if later else None
    r["first"] = per.get(1)
    r["last"] = max(r["epochs"]) if r["epochs"] else None
    r["test"] = r["epochs"][r["last"]][1] if r["epochs"] else None
    r["images"] = r["epochs"][r["last"]][3] if r["epochs"] else None
    r["batches"] = math.ceil(r["images"] / batch) if batch and r["images"] else None
    return r


def cell(v, fmt="{:.3f}", suffix=""):
    return "-" if v is None else fmt.format(v) + suffix


def met(ok):
    return "met" if ok else "NOT met"


def print_table(title, rows):
    w = max(len(r[0]) for r in rows)
    print(title)
    print(f"{'':{w}}  {'ours':>14}  {'torch':>14}")
    for label, a, b in rows:
        print(f"{label:{w}}  {a:>14}  {b:>14}")
    print()


def speed_line(name, formula, ours, torch, target):
    if ours["median"] and torch["median"]:
        s = torch["median"] / ours["median"]
        print(f"{name} = {formula} = {s:.2f}  (target >= {target:.2f}: {met(s >= target)})")
        return s >= target
    print(f"{name} = -")
    return False


def loss_line(ours, torch, target):
    if ours["test"] is None or torch["test"] is None:
        print("test_loss_diff = -")
        return target is None
    d = ours["test"] - torch["test"]
    if target is None:
        print(f"test_loss_diff = ours - torch = {d:+.4f} nats  (no target)")
        return True
    print(f"test_loss_diff = ours - torch = {d:+.4f} nats  (target |diff| <= {target:g}: {met(abs(d) <= target)})")
    return abs(d) <= target


def time_note(ours, torch):
    if "(time)" in ours["rss_from"] + torch["rss_from"]:
        print("(time): no peak_rss_mb line; /usr/bin/time's figure for the whole command, a build included")


def summarize_mlp(out, epochs):
    ours, torch = parse(out, "ours", epochs), parse(out, "torch", epochs)
    t = TARGETS["mlp"]
    span = "2.." + str(epochs) if epochs >= 2 else "1"
    print_table("=== summary (%d epochs, logs in %s)" % (epochs, out), [
        ("epoch 1 seconds", cell(ours["first"]), cell(torch["first"])),
        (f"median seconds/epoch ({span})", cell(ours["median"]), cell(torch["median"])),
        ("total train seconds", cell(ours["total"]), cell(torch["total"])),
        ("final test loss (epoch %s)" % (ours["last"] or torch["last"] or "-"),
         cell(ours["test"], "{:.4f}"), cell(torch["test"], "{:.4f}")),
        ("peak RSS MB", cell(ours["rss"], "{:.1f}", ours["rss_from"]), cell(torch["rss"], "{:.1f}", torch["rss_from"])),
    ])
    speed_line("speedup_per_epoch", "torch_median / ours_median", ours, torch, t["speed"])
    loss_line(ours, torch, t["loss"])
    time_note(ours, torch)
    rss_line(ours, torch, t["rss_ratio"])
    return ours, torch


def summarize_batches(kind, out, epochs, batch):
    ours, torch = parse(out, "ours", epochs, batch), parse(out, "torch", epochs, batch)
    t = TARGETS[kind]
    span = "median, epochs 2.." + str(epochs) if epochs >= 2 else "epoch 1 only"
    model = {"conv": "conv VAE on MNIST", "resnet": "ResNet-18 VAE on CIFAR-10"}[kind]
    print_table(f"=== summary: {model}, {epochs} epoch(s), batch {batch} (logs in {out})", [
        ("batches per epoch", cell(ours["batches"], "{:d}"), cell(torch["batches"], "{:d}")),
        ("epoch 1 seconds/batch", cell(ours["first"], "{:.4f}"), cell(torch["first"], "{:.4f}")),
        (f"seconds/batch compared ({span})", cell(ours["median"], "{:.4f}"), cell(torch["median"], "{:.4f}")),
        ("total train seconds", cell(ours["total"]), cell(torch["total"])),
        ("final test loss (epoch %s)" % (ours["last"] or torch["last"] or "-"),
         cell(ours["test"], "{:.4f}"), cell(torch["test"], "{:.4f}")),
        ("peak RSS MB", cell(ours["rss"], "{:.1f}", ours["rss_from"]), cell(torch["rss"], "{:.1f}", torch["rss_from"])),
    ])
    ok = speed_line("speedup", "torch / ours seconds per batch", ours, torch, t["speed"])
    ok = loss_line(ours, torch, t["loss"]) and ok
    ok = rss_line(ours, torch, t["rss_ratio"]) and ok
    time_note(ours, torch)
    if ours["images"] and torch["images"] and ours["images"] != torch["images"]:
        print(f"note: ours trained on {ours['images']} images per epoch, torch on {torch['images']}")
    print("targets: " + ("all met" if ok else "NOT all met"))
    return ours, torch


def summarize_curve(out, epochs, seeds):
    """Test loss per epoch over seeds: mean, standard deviation and range for each side."""
    runs = {name: [parse(out, f"{name}-{s}", epochs) for s in range(1, seeds + 1)] for name in NAMES}
    print(f"=== test loss over {seeds} seed(s), mean ± standard deviation [min, max] (logs in {out})")
    print(f"{'epoch':>5}  {'ours':>30}  {'torch':>30}  {'diff of means':>13}")
    means = {}
    for e in range(1, epochs + 1):
        cells = []
        for name in NAMES:
            values = [r["epochs"][e][1] for r in runs[name] if e in r["epochs"]]
            if not values:
                cells.append("-")
                continue
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            means[(name, e)] = statistics.mean(values)
            cells.append(f"{means[(name, e)]:.2f} ± {sd:.2f} [{min(values):.2f}, {max(values):.2f}]")
        diff = means[("ours", e)] - means[("torch", e)] if ("ours", e) in means and ("torch", e) in means else None
        print(f"{e:>5}  {cells[0]:>30}  {cells[1]:>30}  {cell(diff, '{:+.2f}'):>13}")
    final = means.get(("ours", epochs)), means.get(("torch", epochs))
    if None not in final:
        d = final[0] - final[1]
        print(f"test_loss_diff = mean ours - mean torch after epoch {epochs} = {d:+.2f} nats  (target |diff| <= 2: {met(abs(d) <= 2)})")
    bad = False
    for name in NAMES:
        for s, r in enumerate(runs[name], 1):
            for p in r["problems"]:
                print(f"{name}-{s}: {p}", file=sys.stderr)
                bad = True
    return 3 if bad else 0


def main(argv):
    usage = "usage: summarize.py mlp OUT EPOCHS | summarize.py conv|resnet OUT EPOCHS BATCH | summarize.py curve OUT EPOCHS SEEDS"
    if len(argv) == 4 and argv[0] == "curve":
        return summarize_curve(argv[1], int(argv[2]), int(argv[3]))
    if len(argv) < 3 or argv[0] not in TARGETS or len(argv) != (3 if argv[0] == "mlp" else 4):
        print(usage, file=sys.stderr)
        return 2
    kind, out, epochs = argv[0], argv[1], int(argv[2])
    if kind == "mlp":
        ours, torch = summarize_mlp(out, epochs)
    else:
        ours, torch = summarize_batches(kind, out, epochs, int(argv[3]))
    bad = False
    for name, r in zip(NAMES, (ours, torch)):
        for p in r["problems"]:
            print(f"{name}: {p}", file=sys.stderr)
            bad = True
    return 3 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
