"""Side-by-side figures of a bench/gpu/device-check.sh run: for each model, our seconds against
PyTorch's, the final test losses and the peak device memory.

usage: ratios.py LOG_DIR

Reads LOG_DIR/MODEL-ours.log and LOG_DIR/MODEL-torch.log (MODEL: mlp, conv, resnet) as the bench
programs print them, and LOG_DIR/MODEL-SIDE.mem (peak MiB of device memory in use while the run
went, from nvidia-smi, less what was in use before it) when present. The seconds compared are the
last epoch's (epoch 1 includes warm-up: JIT, kernel compilation, first allocations): per epoch for
the MLP, per batch (of BATCH images) for conv and resnet. A missing figure prints as n/a.
"""
import math
import os
import re
import sys

EPOCH = re.compile(r"^epoch\s+(\d+)\s+train\s+(\S+)\s+test\s+(\S+)\s+seconds\s+(\S+)(?:\s+images\s+(\d+))?")
MODELS = (("mlp", "s/epoch", None), ("conv", "s/batch", 128), ("resnet", "s/batch", 128))


def read(path):
    """(last epoch number, its seconds per unit, its test loss, peak_device_mb) or Nones."""
    last, device_mb = None, None
    try:
        with open(path, errors="replace") as f:
            for line in f:
                m = EPOCH.match(line.strip())
                if m:
                    last = m
                elif line.startswith("peak_device_mb "):
                    device_mb = float(line.split()[1])
    except OSError:
        pass
    return last, device_mb


def mem(path):
    try:
        with open(path) as f:
            return float(f.read().strip())
    except (OSError, ValueError):
        return None


def fmt(value, spec):
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.strip().split("\n\n")[1])
    logs = sys.argv[1]
    print(f"{'model':<7} {'unit':<8} {'epoch':>5} {'ours':>9} {'torch':>9} {'ours/torch':>10} "
          f"{'test ours':>10} {'test torch':>10} {'diff':>8} {'dev MiB ours':>12} {'dev MiB torch':>13} {'torch alloc':>11}")
    for model, unit, batch in MODELS:
        figures = {}
        for side in ("ours", "torch"):
            last, allocated = read(os.path.join(logs, f"{model}-{side}.log"))
            seconds = test = epoch = None
            if last:
                epoch, test, seconds = int(last.group(1)), float(last.group(3)), float(last.group(4))
                if batch is not None and last.group(5):
                    seconds /= max(1, math.ceil(int(last.group(5)) / batch))
            figures[side] = (epoch, seconds, test, mem(os.path.join(logs, f"{model}-{side}.mem")), allocated)
        (e_o, s_o, t_o, m_o, _), (e_t, s_t, t_t, m_t, a_t) = figures["ours"], figures["torch"]
        ratio = s_o / s_t if s_o is not None and s_t else None
        diff = t_o - t_t if t_o is not None and t_t is not None else None
        epoch = str(e_o) if e_o == e_t else f"{e_o or '-'}/{e_t or '-'}"
        print(f"{model:<7} {unit:<8} {epoch:>5} {fmt(s_o, '.4f'):>9} {fmt(s_t, '.4f'):>9} {fmt(ratio, '.2f'):>10} "
              f"{fmt(t_o, '.2f'):>10} {fmt(t_t, '.2f'):>10} {fmt(diff, '+.2f'):>8} {fmt(m_o, '.0f'):>12} {fmt(m_t, '.0f'):>13} "
              f"{fmt(a_t, '.0f'):>11}")
    print("ours/torch > 1: ours is slower. diff = ours - torch, final test loss in nats per image (different "
          "random streams: small differences are noise). dev MiB: device memory in use during the run by nvidia-smi, "
          "less what was in use before (both include the CUDA context); torch alloc: torch.cuda.max_memory_allocated.")


if __name__ == "__main__":
    main()
