"""The MNIST VAE benchmark (784-400-20-400-784, BCE + KL, Adam 1e-3, batch 128)
in PyTorch, tuned to run as fast as PyTorch can on this kind of CPU. It prints
the same lines as bench/mlp-vae so bench/compare-mlp-vae can put them side by side.

usage: /usr/bin/python3 mlp_vae.py MNIST_DIR EPOCHS [THREADS]
"""
import os
import sys

# Both must be set before numpy/torch load OpenBLAS. PyTorch already runs its
# own intra-op threads; OpenBLAS threads on top of them oversubscribe the cores
# and cost several times the run time. On AMD CPUs OpenBLAS does not pick its
# AVX-512 kernels by itself, so name the core type when the CPU has them, even
# over a weaker value inherited from the environment (BENCH_OPENBLAS_CORETYPE
# names another one on purpose).
os.environ["OPENBLAS_NUM_THREADS"] = "1"
try:
    with open("/proc/cpuinfo") as f:
        if "avx512f" in f.read():
            os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
except OSError:
    pass
if os.environ.get("BENCH_OPENBLAS_CORETYPE"):
    os.environ["OPENBLAS_CORETYPE"] = os.environ["BENCH_OPENBLAS_CORETYPE"]

import gzip
import resource
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 128
EVAL_BATCH = 1000


def read_idx(directory, name):
    """Reads an IDX file, raw or gzip-compressed (NAME or NAME.gz)."""
    path = os.path.join(directory, name)
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    count = int(np.prod(dims))
    offset = 4 + 4 * ndim
    if len(data) < offset + count:
        raise SystemExit(f"{path}: truncated ({len(data)} bytes, header promises {offset + count})")
    return np.frombuffer(data, dtype=np.uint8, count=count, offset=offset).reshape(dims)


def load_images(directory, name):
    raw = read_idx(directory, name)
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
    torch.manual_seed(0)
    train = load_images(directory, "train-images-idx3-ubyte")
    test = load_images(directory, "t10k-images-idx3-ubyte")

    model = Vae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"# torch {torch.__version__} threads {torch.get_num_threads()} "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}", flush=True)

    total = 0.0
    n_train = train.shape[0]
    for epoch in range(1, epochs + 1):
        model.train()
        start = time.perf_counter()
        seen = 0.0
        perm = torch.randperm(n_train)
        for i in range(0, n_train, BATCH):
            x = train[perm[i:i + BATCH]]
            opt.zero_grad(set_to_none=True)
            recon, mu, logvar = model(x)
            loss = loss_sum(recon, x, mu, logvar)
            loss.backward()
            opt.step()
            seen += loss.item()
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

    print(f"total_train_seconds {total:.3f}")
    print(f"peak_rss_mb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


if __name__ == "__main__":
    main()
