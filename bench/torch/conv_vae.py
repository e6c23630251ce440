"""The convolutional MNIST VAE benchmark in PyTorch, set up as bench/torch/mlp_vae.py is
(single-threaded OpenBLAS, its AVX-512 kernels where the CPU has them, THREADS torch threads).

Model: encoder conv 1->32 (4x4, stride 2, padding 1), ReLU, conv 32->64 (4x4, s2, p1), ReLU,
flatten (64x7x7 = 3136), linear 256, ReLU, linear 32 = 16-d mean and 16-d log-variance;
decoder linear 16->256, ReLU, linear 3136, ReLU, 64x7x7, transposed conv 64->32 (4x4, s2, p1),
ReLU, transposed conv 32->1 (4x4, s2, p1) giving logits. Loss per image: binary cross-entropy
on the logits summed over pixels + the closed-form KL divergence. Adam 1e-3, batches of 128
reshuffled every epoch; the test loss is taken on all 10,000 test images in batches of 1000.

Prints '# torch ...', then per epoch 'epoch N train X test Y seconds S images M' (mean nats
per image; S = training seconds, test evaluation excluded; M = images trained on), then
'seconds_per_batch', 'total_train_seconds' and 'peak_rss_mb'.

usage: /usr/bin/python3 conv_vae.py MNIST_DIR EPOCHS THREADS [MAX_BATCHES]
"""
import os
import sys

import benchcpu

benchcpu.configure_blas()  # before numpy/torch load OpenBLAS


import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

USAGE = "usage: conv_vae.py MNIST_DIR EPOCHS THREADS [MAX_BATCHES]"
BATCH = 128
EVAL_BATCH = 1000
LATENT = 16


def load_images(directory, name):
    raw = benchcpu.read_idx(directory, name)
    return torch.from_numpy(raw.astype(np.float32) / 255.0).reshape(raw.shape[0], 1, 28, 28)


class ConvVae(nn.Module):
    def __init__(self):
        super().__init__()
        # Created in this order so that a given seed gives the same initial weights as the
        # nn.Sequential formulation of the same model.
        self.conv1 = nn.Conv2d(1, 32, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 4, stride=2, padding=1)
        self.enc_fc = nn.Linear(64 * 7 * 7, 256)
        self.enc_out = nn.Linear(256, 2 * LATENT)
        self.dec_fc1 = nn.Linear(LATENT, 256)
        self.dec_fc2 = nn.Linear(256, 64 * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)
        self.deconv2 = nn.ConvTranspose2d(32, 1, 4, stride=2, padding=1)

    def encode(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        h = F.relu(self.enc_fc(h.flatten(1)))
        return self.enc_out(h).chunk(2, dim=1)

    def decode(self, z):
        h = F.relu(self.dec_fc2(F.relu(self.dec_fc1(z))))
        return self.deconv2(F.relu(self.deconv1(h.view(-1, 64, 7, 7))))

    def loss_sum(self, x):
        """Negative ELBO summed over the batch, in nats."""
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        reconstruction = F.binary_cross_entropy_with_logits(self.decode(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return reconstruction + kl


def main():
    if len(sys.argv) not in (4, 5):
        raise SystemExit(USAGE)
    directory = sys.argv[1]
    epochs = benchcpu.positive_int(sys.argv[2], "EPOCHS", USAGE)
    threads = benchcpu.positive_int(sys.argv[3], "THREADS", USAGE)
    max_batches = benchcpu.positive_int(sys.argv[4], "MAX_BATCHES", USAGE) if len(sys.argv) > 4 else None

    torch.set_num_threads(threads)
    torch.manual_seed(int(os.environ.get("BENCH_SEED", "0")))  # BENCH_SEED shows run-to-run spread
    train = load_images(directory, "train-images-idx3-ubyte")
    test = load_images(directory, "t10k-images-idx3-ubyte")
    model = ConvVae()
    dev = benchcpu.device(torch)
    model, train, test = model.to(dev), train.to(dev), test.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(benchcpu.header(torch, dev, mkldnn=torch.backends.mkldnn.is_available()), flush=True)

    benchcpu.train_and_test(torch, model, opt, train, test, epochs, BATCH, EVAL_BATCH, max_batches)


if __name__ == "__main__":
    main()
