"""Writes models/*.safetensors: reference forward and backward passes of whole
models (a small conv VAE, a small ResNet VAE, a conditional MLP VAE and a
conditional conv VAE), computed by PyTorch in float64 from float32 weights and
inputs, so that the engine can be checked against them end to end.

usage: /usr/bin/python3 make_golden_models.py [OUTPUT_DIR]

The networks are those of shared/peers/conv_vae_torch.py and
shared/peers/seed001_resnet_vae_torch.py at smaller sizes, with the module
names the engine uses, so every state_dict name here is the engine's name.
(The conv peer has one linear layer to 2L then chunks it; here mu and logvar
are two layers, which is the same function with the rows split.)

Weights are PyTorch's default initialisation from a fixed seed per model, except
where that would leave a term untested: the heads' biases (spread_heads), every
batch norm's affine terms and running statistics (perturb_batch_norms) and the
ResNet's log_scale, which get values away from 0 and 1.

File layout (one safetensors file per model, all tensors F32):
  __metadata__  "config": the engine's model configuration JSON,
                "generator", "torch", and "loss", "reconstruction", "kl":
                sums over the batch in nats, float64 repr strings.
  state.NAME    every parameter and buffer before the pass (no num_batches_tracked)
  input.x       (B, C, H, W) images in [0, 1]
  input.labels  (B) class indices as floats, conditional models only
  input.eps     (B, L) the standard-normal noise of z = mu + eps * exp(logvar / 2)
  output.mu, output.logvar, output.z
  output.decoded  the decoder's raw output for z (B, C, H, W): logits or means
  grad.NAME     d(loss)/d(parameter) for every parameter
  grad.x        d(loss)/d(x), through the encoder and the likelihood's target
  ResNet only (batch norm runs in training mode for the pass above):
  after.NAME    running statistics after that one forward (momentum 0.1, unbiased variance)
  eval.mu, eval.logvar, eval.z, eval.decoded
                the same weights in eval mode (after the update) for the same x and eps

The output is deterministic: fixed seeds, one thread, tensors in a fixed order.
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 4
LABELS = [3, 0, 7, 3]  # a repeated class, so a label's gradient path is shared


# ---------------------------------------------------------------- models

class ConvVae(nn.Module):
    """The conv peer: stride-2 4x4 convs, a dense layer, heads; the mirror with transposed convs."""

    def __init__(self, channels, conv_channels, dense, latent, height, width, classes=0):
        super().__init__()
        layers, c = [], channels
        for ch in conv_channels:
            layers += [nn.Conv2d(c, ch, 4, 2, 1), nn.ReLU()]
            c = ch
        self.encoder = nn.Sequential(*layers)
        n = len(conv_channels)
        self.bottleneck = (conv_channels[-1], height >> n, width >> n)
        flat = conv_channels[-1] * (height >> n) * (width >> n)
        self.hidden = nn.Linear(flat + classes, dense)
        self.mu = nn.Linear(dense, latent)
        self.logvar = nn.Linear(dense, latent)
        self.decoder_hidden = nn.Linear(latent + classes, dense)
        self.decoder_expand = nn.Linear(dense, flat)
        layers = []
        for i in reversed(range(n)):
            layers.append(nn.ConvTranspose2d(conv_channels[i], conv_channels[i - 1] if i > 0 else channels, 4, 2, 1))
            if i > 0:
                layers.append(nn.ReLU())
        self.decoder = nn.Sequential(*layers)

    def encode(self, x, c):
        h = torch.flatten(self.encoder(x), 1)
        h = F.relu(self.hidden(h if c is None else torch.cat([h, c], 1)))
        return self.mu(h), self.logvar(h)

    def decode(self, z, c):
        h = F.relu(self.decoder_hidden(z if c is None else torch.cat([z, c], 1)))
        h = F.relu(self.decoder_expand(h))
        return self.decoder(h.view(-1, *self.bottleneck))


class MlpVae(nn.Module):
    """One hidden layer each way; the one-hot label joins the flat image and the code."""

    def __init__(self, inputs, hidden, latent, shape, classes=0):
        super().__init__()
        self.shape = shape
        self.encoder = nn.Sequential(nn.Linear(inputs + classes, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent + classes, hidden), nn.ReLU())
        self.output = nn.Linear(hidden, inputs)

    def encode(self, x, c):
        h = torch.flatten(x, 1)
        h = self.encoder(h if c is None else torch.cat([h, c], 1))
        return self.mu(h), self.logvar(h)

    def decode(self, z, c):
        h = self.decoder(z if c is None else torch.cat([z, c], 1))
        return self.output(h).view(-1, *self.shape)


def res_conv(cin, cout, stride=1, up=1):
    conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
    return nn.Sequential(nn.Upsample(scale_factor=up), conv) if up > 1 else conv


class Block(nn.Module):
    """The ResNet peer's basic block; with up > 1 its second conv and the shortcut upsample first."""

    def __init__(self, cin, cout, stride=1, up=1, decoder=False):
        super().__init__()
        mid = cin if decoder else cout
        self.c1, self.b1 = res_conv(cin, mid, 1 if decoder else stride), nn.BatchNorm2d(mid)
        self.c2, self.b2 = res_conv(mid, cout, 1, up), nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or up != 1 or cin != cout:
            conv = nn.Conv2d(cin, cout, 1, stride, bias=False)
            self.short = nn.Sequential(*([nn.Upsample(scale_factor=up)] if up > 1 else []), conv, nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(out + (x if self.short is None else self.short(x)))


class ResNetVae(nn.Module):
    """The ResNet peer with its widths (64, 128, 256, 512), blocks per stage and image size as arguments."""

    def __init__(self, channels, widths, blocks, latent, height, width):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(channels, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU())
        enc, c = [], widths[0]
        for s, cout in enumerate(widths):
            for b in range(blocks):
                enc.append(Block(c, cout, 2 if b == 0 and s > 0 else 1))
                c = cout
        self.enc = nn.Sequential(*enc)
        self.mu, self.logvar = nn.Linear(c, latent), nn.Linear(c, latent)
        shrink = len(widths) - 1
        self.bottleneck = (c, height >> shrink, width >> shrink)
        self.fc = nn.Linear(latent, c * (height >> shrink) * (width >> shrink))
        dec = []
        outs = list(reversed(widths[:-1])) + [widths[0]]  # the peer's 256/128/64/64
        for s, cout in enumerate(outs):
            for b in range(blocks):
                dec.append(Block(c, cout, up=2 if b == 0 and s < len(outs) - 1 else 1, decoder=True))
                c = cout
        self.dec = nn.Sequential(*dec, nn.Conv2d(widths[0], channels, 3, 1, 1, bias=False))
        self.log_scale = nn.Parameter(torch.zeros(1))

    def encode(self, x, c):
        h = self.enc(self.stem(x)).mean(dim=(2, 3))
        return self.mu(h), self.logvar(h)

    def decode(self, z, c):
        return self.dec(self.fc(z).view(-1, *self.bottleneck))


# ---------------------------------------------------------------- losses

def bernoulli_closed_form(model, x, mu, logvar, z, decoded):
    reconstruction = F.binary_cross_entropy_with_logits(decoded, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return reconstruction, kl


def gaussian_learned_monte_carlo(model, x, mu, logvar, z, decoded):
    """The ResNet peer's loss, split into -log p(x|z) and log q(z|x) - log p(z)."""
    std = torch.exp(0.5 * logvar)
    log_pxz = (-0.5 * ((x - decoded) / torch.exp(model.log_scale)) ** 2 - model.log_scale
               - 0.5 * math.log(2 * math.pi)).sum(dim=(1, 2, 3))
    log_qzx = (-0.5 * ((z - mu) / std) ** 2 - torch.log(std)).sum(-1)
    log_pz = (-0.5 * z ** 2).sum(-1)
    return -log_pxz.sum(), (log_qzx - log_pz).sum()


# ---------------------------------------------------------------- inputs

def sparse_images(shape):
    """MNIST-like: three quarters of the pixels black, some fully white, the rest grey."""
    u, v = torch.rand(shape), torch.rand(shape)
    return torch.where(u < 0.75, torch.zeros(shape), torch.where(u < 0.85, torch.ones(shape), v))


def perturb_batch_norms(model):
    """Default batch norm (weight 1, bias 0, mean 0, var 1) would hide a swapped or ignored
    affine term or running statistic, so every one gets its own value."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)


def spread_heads(model):
    """With default init mu and logvar sit near 0 and the KL is a few hundredths of a nat, mostly
    rounding; biases of order one give the KL and its gradients real weight."""
    with torch.no_grad():
        model.mu.bias.uniform_(-1.0, 1.0)
        model.logvar.bias.uniform_(-1.0, 0.5)


# ---------------------------------------------------------------- fixtures

def state_of(model):
    return {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def make_fixture(config, seed, build, make_x, loss_parts, classes):
    torch.manual_seed(seed)
    model = build()  # default init in float32, drawn from the seed
    spread_heads(model)
    if isinstance(model, ResNetVae):
        perturb_batch_norms(model)
        with torch.no_grad():
            model.log_scale.fill_(-0.25)  # 0 would make scale 1 and hide a missing exp
    x32 = make_x()
    eps32 = torch.randn(BATCH, config["latentDim"])
    conditional = classes > 0
    labels = torch.tensor(LABELS, dtype=torch.float32) if conditional else None

    tensors = {}
    for k, v in state_of(model).items():
        tensors["state." + k] = v
    tensors["input.x"] = x32
    if conditional:
        tensors["input.labels"] = labels
    tensors["input.eps"] = eps32

    # float64 from here on: the float32 values above convert exactly, so the reference
    # is the exact function of the stored numbers, up to float64 rounding.
    model.double()
    x = x32.double().requires_grad_(True)
    eps = eps32.double()
    c = F.one_hot(torch.tensor(LABELS), classes).double() if conditional else None

    mu, logvar = model.encode(x, c)
    z = mu + eps * torch.exp(0.5 * logvar)
    decoded = model.decode(z, c)
    reconstruction, kl = loss_parts(model, x, mu, logvar, z, decoded)
    loss = reconstruction + kl
    loss.backward()

    tensors["output.mu"], tensors["output.logvar"], tensors["output.z"] = mu, logvar, z
    tensors["output.decoded"] = decoded
    for k, p in model.named_parameters():
        tensors["grad." + k] = p.grad
    tensors["grad.x"] = x.grad

    if isinstance(model, ResNetVae):
        for k, v in model.named_buffers():
            if not k.endswith("num_batches_tracked"):
                tensors["after." + k] = v
        model.eval()
        with torch.no_grad():
            mu_e, logvar_e = model.encode(x, c)
            z_e = mu_e + eps * torch.exp(0.5 * logvar_e)
            tensors["eval.mu"], tensors["eval.logvar"], tensors["eval.z"] = mu_e, logvar_e, z_e
            tensors["eval.decoded"] = model.decode(z_e, c)

    metadata = {
        "config": json.dumps(config, separators=(",", ":")),
        "generator": "make_golden_models.py",
        "torch": torch.__version__,
        "loss": repr(float(loss)),
        "reconstruction": repr(float(reconstruction)),
        "kl": repr(float(kl)),
    }
    return metadata, tensors


def write_safetensors(path, metadata, tensors):
    """The format by hand: 8-byte little-endian header length, JSON header, raw float32 data."""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for k, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # keeps the data 8-byte aligned, as the engine's writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


CONV = {"family": "conv", "convChannels": [8, 16], "denseSize": 32, "latentDim": 4, "channels": 1, "height": 28, "width": 28}
CONV_CONDITIONAL = {"family": "conv", "conditional": True, "convChannels": [8, 16], "denseSize": 32, "latentDim": 4,
                    "channels": 1, "height": 28, "width": 28}
RESNET = {"family": "resnet", "widths": [4, 8, 8, 16], "blocksPerStage": 2, "latentDim": 8, "channels": 3, "height": 16, "width": 16}
MLP_CONDITIONAL = {"family": "mlp", "conditional": True, "classCount": 10, "hiddenSizes": [16], "latentDim": 3}

CLASSES = 10  # the engine's default classCount, which CONV_CONDITIONAL relies on

# name, engine config, seed, model, images, loss, number of classes (0: unconditional)
FIXTURES = [
    ("conv", CONV, 1, lambda: ConvVae(1, [8, 16], 32, 4, 28, 28),
     lambda: sparse_images((BATCH, 1, 28, 28)), bernoulli_closed_form, 0),
    ("resnet", RESNET, 2, lambda: ResNetVae(3, [4, 8, 8, 16], 2, 8, 16, 16),
     lambda: torch.rand(BATCH, 3, 16, 16), gaussian_learned_monte_carlo, 0),
    ("mlp_conditional", MLP_CONDITIONAL, 3, lambda: MlpVae(784, 16, 3, (1, 28, 28), classes=CLASSES),
     lambda: sparse_images((BATCH, 1, 28, 28)), bernoulli_closed_form, CLASSES),
    ("conv_conditional", CONV_CONDITIONAL, 4, lambda: ConvVae(1, [8, 16], 32, 4, 28, 28, classes=CLASSES),
     lambda: sparse_images((BATCH, 1, 28, 28)), bernoulli_closed_form, CLASSES),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)  # reductions then add in one order on every machine
    for name, config, seed, build, make_x, loss_parts, classes in FIXTURES:
        metadata, tensors = make_fixture(config, seed, build, make_x, loss_parts, classes)
        path = os.path.join(out, name + ".safetensors")
        write_safetensors(path, metadata, tensors)
        print(f"wrote {path} ({os.path.getsize(path)} bytes): loss {metadata['loss']} "
              f"(reconstruction {metadata['reconstruction']}, kl {metadata['kl']})")


if __name__ == "__main__":
    main()
