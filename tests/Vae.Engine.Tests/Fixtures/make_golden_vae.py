"""Writes golden_vae.json: a reference forward/backward pass of the MNIST VAE
(784-400-20-400-784, BCE + KL) for a batch of 4, computed by PyTorch in float64.

Every input (parameters, images, noise) comes from an integer formula that the
C# tests reproduce exactly, so the fixture needs no stored weights and stays small.

usage: /usr/bin/python3 make_golden_vae.py [OUTPUT_JSON]
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

FORMULA = "u(j, salt) = ((j * 2654435761 + salt * 40503 + 12345) mod 2^32) / 2^32, float64, j = flat row-major index"

BATCH = 4
SAMPLES = 64

# (name, shape, fan_in); the parameter's salt is 100 + its position in this list.
PARAMS = [
    ("fc1.weight", (400, 784), 784),
    ("fc1.bias", (400,), 784),
    ("fc21.weight", (20, 400), 400),
    ("fc21.bias", (20,), 400),
    ("fc22.weight", (20, 400), 400),
    ("fc22.bias", (20,), 400),
    ("fc3.weight", (400, 20), 20),
    ("fc3.bias", (400,), 20),
    ("fc4.weight", (784, 400), 400),
    ("fc4.bias", (784,), 400),
]


def u(n, salt):
    """u(j, salt) for j = 0..n-1 as float64. The modulo runs on uint64, where
    j * 2654435761 cannot overflow for the sizes used here (j < 2^19)."""
    j = np.arange(n, dtype=np.uint64)
    k = j * np.uint64(2654435761) + np.uint64(salt * 40503 + 12345)
    return (k % np.uint64(4294967296)).astype(np.float64) / 4294967296.0


def u_scalar(j, salt):
    return ((j * 2654435761 + salt * 40503 + 12345) % 4294967296) / 4294967296.0


def make_param(pidx, shape, fan_in):
    n = int(np.prod(shape))
    bound = 1.0 / np.sqrt(float(fan_in))
    return (bound * (2.0 * u(n, 100 + pidx) - 1.0)).astype(np.float32).reshape(shape)


def make_x():
    n = BATCH * 784
    x = np.where(u(n, 8) < 0.25, u(n, 7).astype(np.float32), np.float32(0.0))
    return x.astype(np.float32).reshape(BATCH, 784)


def make_eps():
    return (4.0 * u(BATCH * 20, 9) - 2.0).astype(np.float32).reshape(BATCH, 20)


def self_check(values32):
    """Guards the vectorised formula against the plain-integer one."""
    for pidx, (name, shape, fan_in) in enumerate(PARAMS):
        flat = values32[name].reshape(-1)
        bound = 1.0 / (float(fan_in) ** 0.5)
        for j in (0, 1, flat.size // 2, flat.size - 1):
            want = np.float32(bound * (2.0 * u_scalar(j, 100 + pidx) - 1.0))
            assert flat[j] == want, (name, j, flat[j], want)


def stats(t, indices):
    flat = t.detach().reshape(-1)
    return {
        "shape": list(t.shape),
        "sum": float(flat.sum()),
        "sumsq": float((flat * flat).sum()),
        "indices": indices,
        "values": [float(flat[i]) for i in indices],
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden_vae.json")

    values32 = {name: make_param(i, shape, fan_in) for i, (name, shape, fan_in) in enumerate(PARAMS)}
    self_check(values32)
    x32 = make_x()
    eps32 = make_eps()

    params = {name: torch.from_numpy(v.astype(np.float64)).requires_grad_(True) for name, v in values32.items()}
    x = torch.from_numpy(x32.astype(np.float64)).requires_grad_(True)
    eps = torch.from_numpy(eps32.astype(np.float64))

    def linear(inp, layer):
        return F.linear(inp, params[layer + ".weight"], params[layer + ".bias"])

    h = torch.relu(linear(x, "fc1"))
    mu = linear(h, "fc21")
    logvar = linear(h, "fc22")
    z = mu + eps * torch.exp(0.5 * logvar)
    recon = torch.sigmoid(linear(torch.relu(linear(z, "fc3")), "fc4"))
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    loss = bce + kld
    loss.backward()

    recon_idx = [(i * 7919) % (BATCH * 784) for i in range(SAMPLES)]
    recon_flat = recon.detach().reshape(-1)
    grads = {}
    for name, p in params.items():
        size = p.numel()
        grads[name] = stats(p.grad, [(i * 7919 + 13) % size for i in range(SAMPLES)])
    x_size = x.numel()

    doc = {
        "description": "MNIST VAE (fc1 784->400, fc21/fc22 400->20, fc3 20->400, fc4 400->784), batch 4, "
                       "loss = BCE(sum) + KLD, z = mu + eps * exp(0.5 * logvar) with eps given. "
                       "Inputs are float32 values from the formula; the reference is computed in float64 by PyTorch "
                       + torch.__version__ + " (make_golden_vae.py). "
                       "Parameter p (0..9 in the order of 'grads') = float32(bound * (2 * u(j, 100 + p) - 1)), "
                       "bound = 1 / sqrt(fan_in) for both weight and bias; x = float32(u(j, 7)) if u(j, 8) < 0.25 else 0; "
                       "eps = float32(4 * u(j, 9) - 2). "
                       "x_grad has both paths: through fc1 and through the BCE target (dBCE/dx = -logit(r)).",
        "formula": FORMULA,
        "batch": BATCH,
        "loss": float(loss),
        "bce": float(bce),
        "kld": float(kld),
        "mu": [float(v) for v in mu.detach().reshape(-1)],
        "logvar": [float(v) for v in logvar.detach().reshape(-1)],
        "recon_samples": {"indices": recon_idx, "values": [float(recon_flat[i]) for i in recon_idx]},
        "grads": grads,
        "x_grad": stats(x.grad, [(i * 7919 + 13) % x_size for i in range(SAMPLES)]),
        "param_checks": {
            "fc1.weight": {"indices": [0, 1, 2, 313599],
                           "values": [float(values32["fc1.weight"].reshape(-1)[i]) for i in (0, 1, 2, 313599)]},
            "fc4.bias": {"indices": [0, 1, 2, 783],
                         "values": [float(values32["fc4.bias"][i]) for i in (0, 1, 2, 783)]},
        },
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {out}")
    print(f"loss {doc['loss']!r} (bce {doc['bce']!r}, kld {doc['kld']!r})")


if __name__ == "__main__":
    main()
