"""Writes the fixture of the model import test: a VAE of seed 003's architecture
(784-400-20, ReLU, sigmoid output), its weights saved by PyTorch, and what
PyTorch computes with them, so that the service can be checked to import the
file and decode (and encode) to the same values.

usage: /usr/bin/python3 make_seed003_import.py [OUTPUT_DIR]

seed003_vae.safetensors
    The model's state_dict exactly as PyTorch names it (fc1, fc21, fc22, fc3,
    fc4; .weight and .bias), float32, no metadata: what
    safetensors.torch.save_file(model.state_dict(), path) writes. The format is
    written by hand here (8-byte little-endian header length, JSON header, raw
    data) because Debian packages no safetensors module.
    The weights are PyTorch's default initialisation from seed 3, except the
    output layer's bias, set to a spread from -2 to 2 so the decoded pixels
    range over most of (0, 1) rather than sitting near 0.5.
seed003_reference.json
    "latents" (4 x 20) fixed codes, and "decoded" (4 x 784) what
    model.decode gives for them: sigmoid(fc4(relu(fc3(z)))).
    "images" (2 x 784) fixed pixel rows in [0, 1], with "mu" and "logvar"
    (2 x 20) what model.encode gives for them.
    Values are float64 computations from the float32 weights, written as float32.

The output is deterministic: fixed seeds, one thread.
"""
import json
import os
import struct
import sys

import torch
import torch.nn as nn


class VAE(nn.Module):
    """Seed 003's model, with its module names."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = torch.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(torch.relu(self.fc3(z))))


def save_safetensors(path, state):
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def rows(t):
    return [[float(v) for v in row] for row in t.to(torch.float32).tolist()]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    torch.set_num_threads(1)
    torch.manual_seed(3)
    model = VAE()
    with torch.no_grad():
        model.fc4.bias.copy_(torch.linspace(-2.0, 2.0, 784))
    model.eval()

    generator = torch.Generator().manual_seed(7)
    latents = torch.randn(4, 20, generator=generator)
    images = torch.rand(2, 784, generator=generator)
    double = VAE().double()
    double.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    with torch.no_grad():
        decoded = double.decode(latents.double())
        mu, logvar = double.encode(images.double())

    weights = os.path.join(out, "seed003_vae.safetensors")
    save_safetensors(weights, model.state_dict())
    reference = {
        "torch": torch.__version__,
        "latents": rows(latents), "decoded": rows(decoded),
        "images": rows(images), "mu": rows(mu), "logvar": rows(logvar),
    }
    path = os.path.join(out, "seed003_reference.json")
    with open(path, "w") as f:
        json.dump(reference, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {weights} ({os.path.getsize(weights)} bytes) and {path} ({os.path.getsize(path)} bytes); "
          f"decoded pixels range {decoded.min().item():.3f}..{decoded.max().item():.3f}")


if __name__ == "__main__":
    main()
