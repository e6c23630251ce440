"""The MNIST VAE benchmark (784-400-20-400-784, BCE + KL, Adam 1e-3, batch 128)
in PyTorch, tuned to run as fast as PyTorch can on this kind of CPU. It prints
the same lines as bench/mlp-vae so bench/compare-mlp-vae can put them side by side.

usage: /usr/bin/python3 mlp_vae.py MNIST_DIR EPOCHS [THREADS]
"""
import os
import sys

import benchcpu

benchcpu.configure_blas()  # before numpy/torch load OpenBLAS

import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 128
EVAL_BATCH = 1000


def load_images(directory, name):
    raw = benchcpu.read_idx(directory, name)
    return torch.from_numpy(raw.reshape(raw.shape[0], -1).astype(np.float32) / 255.0)


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(torch.relu(self.fc3(z)))), mu, logvar


def loss_sum(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main():
    if len(sys.argv) < 3:
        raise SystemExit("usage: mlp_vae.py MNIST_DIR EPOCHS [THREADS]")
    directory = sys.argv[1]
    epochs = int(sys.argv[2])
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else os.cpu_count()

    torch.set_num_threads(threads)
    torch.manual_seed(int(os.environ.get("BENCH_SEED", "0")))  # BENCH_SEED shows run-to-run spread
    train = load_images(directory, "train-images-idx3-ubyte")
    test = load_images(directory, "t10k-images-idx3-ubyte")

    dev = benchcpu.device(torch)
    train, test = train.to(dev), test.to(dev)
    model = Vae().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(benchcpu.header(torch, dev), flush=True)

    total = 0.0
    n_train = train.shape[0]
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n_train, device=dev)
        benchcpu.synchronize(torch, dev)
        start = time.perf_counter()
        seen = 0.0
        for i in range(0, n_train, BATCH):
            x = train[perm[i:i + BATCH]]
            opt.zero_grad(set_to_none=True)
            recon, mu, logvar = model(x)
            loss = loss_sum(recon, x, mu, logvar)
            loss.backward()
            opt.step()
            seen += loss.item()
        benchcpu.synchronize(torch, dev)
        seconds = time.perf_counter() - start
        total += seconds

        model.eval()
        tested = 0.0
        with torch.no_grad():
            for i in range(0, test.shape[0], EVAL_BATCH):
                x = test[i:i + EVAL_BATCH]
                recon, mu, logvar = model(x)
                tested += loss_sum(recon, x, mu, logvar).item()
        print(f"epoch {epoch} train {seen / n_train:.4f} test {tested / test.shape[0]:.4f} seconds {seconds:.3f}",
              flush=True)

    benchcpu.print_totals(total, torch=torch, dev=dev)


if __name__ == "__main__":
    main()
