"""Writes init_stats.json: the statistics of PyTorch's default initialisation, per layer type and
shape, for the layers our models are made of (nn.Linear, nn.Conv2d, nn.ConvTranspose2d,
nn.BatchNorm2d).

usage: /usr/bin/python3 make_init_stats.py [OUTPUT_JSON]

For each case the layer is built `draws` times from seeds 0..draws-1 and every weight and bias
value is pooled; the file holds the pooled count, mean, standard deviation, smallest and largest
value, and the bound PyTorch's formula gives (kaiming_uniform_ with a = sqrt(5) for the weight,
uniform in +-1/sqrt(fan_in) for the bias: both come to 1/sqrt(fan_in), where the fan-in of a
transposed convolution's (in, out, kh, kw) weight is out * kh * kw). The test builds the same
layers with our initialisers and compares these statistics, so a change of formula on either side
shows. The output is deterministic.
"""
import json
import math
import sys

import torch

CASES = [
    ("linear_784_400", lambda: torch.nn.Linear(784, 400)),
    ("linear_20_400", lambda: torch.nn.Linear(20, 400)),
    ("conv2d_1_32_k4", lambda: torch.nn.Conv2d(1, 32, 4, stride=2, padding=1)),
    ("conv2d_64_128_k3", lambda: torch.nn.Conv2d(64, 128, 3, padding=1)),
    ("conv2d_64_64_k1_nobias", lambda: torch.nn.Conv2d(64, 64, 1, bias=False)),
    ("convtranspose2d_64_32_k4", lambda: torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)),
    ("convtranspose2d_32_1_k4", lambda: torch.nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)),
    ("batchnorm2d_64", lambda: torch.nn.BatchNorm2d(64)),
]
DRAWS = 8


def stats(values, bound):
    v = torch.cat(values).double()
    return {
        "count": v.numel(),
        "mean": float(v.mean()),
        "std": float(v.std(unbiased=False)),
        "min": float(v.min()),
        "max": float(v.max()),
        "bound": bound,
    }


def fan_in(name, weight):
    # PyTorch's _calculate_fan_in_and_fan_out: dimension 1 times the receptive field.
    receptive = weight[0][0].numel() if weight.dim() > 2 else 1
    return weight.size(1) * receptive


def main():
    torch.set_num_threads(1)
    cases = []
    for name, make in CASES:
        weights, biases = [], []
        for seed in range(DRAWS):
            torch.manual_seed(seed)
            layer = make()
            weights.append(layer.weight.detach().flatten())
            if layer.bias is not None:
                biases.append(layer.bias.detach().flatten())
        w = layer.weight
        bound = None if name.startswith("batchnorm") else 1.0 / math.sqrt(fan_in(name, w))
        case = {"name": name, "draws": DRAWS, "weight": stats(weights, bound)}
        if biases:
            case["bias"] = stats(biases, bound)
        cases.append(case)
    out = {"generator": "make_init_stats.py", "torch": torch.__version__, "cases": cases}
    path = sys.argv[1] if len(sys.argv) > 1 else "init_stats.json"
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
