"""What the PyTorch benchmark scripts share: the CPU library set-up that gives PyTorch
its best showing, the device choice, the IDX reader and the closing report lines.

TORCH_DEVICE picks where the model trains (default cpu; cuda or cuda:N for a GPU). On a GPU
the timed sections end with a synchronisation, so the seconds include the queued kernels, and
the closing lines add peak_device_mb (torch.cuda.max_memory_allocated).

configure_blas() must run before numpy or torch is imported (OpenBLAS reads its
environment when it loads).
"""
import gzip
import os
import resource
import time


def configure_blas():
    """Keeps OpenBLAS single-threaded and asks for its AVX-512 kernels where the CPU has them.

    PyTorch already runs its own intra-op threads; OpenBLAS threads on top of them
    oversubscribe the cores and cost several times the run time. On AMD CPUs OpenBLAS
    does not pick its AVX-512 kernels by itself, so the core type is named when the CPU
    has them, even over a weaker value inherited from the environment
    (BENCH_OPENBLAS_CORETYPE names another one on purpose).
    """
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        with open("/proc/cpuinfo") as f:
            if "avx512f" in f.read():
                os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
    except OSError:
        pass
    if os.environ.get("BENCH_OPENBLAS_CORETYPE"):
        os.environ["OPENBLAS_CORETYPE"] = os.environ["BENCH_OPENBLAS_CORETYPE"]


def device(torch):
    """The device of TORCH_DEVICE (default cpu); exits with the reason when it cannot be used."""
    name = os.environ.get("TORCH_DEVICE", "") or "cpu"
    try:
        dev = torch.device(name)
    except RuntimeError as e:
        raise SystemExit(f"TORCH_DEVICE={name}: {e}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"TORCH_DEVICE={name} but torch {torch.__version__} sees no CUDA device")
    return dev


def synchronize(torch, dev):
    """Waits for the kernels queued on a GPU, so a clock read afterwards includes them."""
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def header(torch, dev=None, **extra):
    """The '# torch ...' line every script prints first (with the device when it is not the CPU)."""
    if dev is not None and dev.type != "cpu":
        name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else str(dev)
        extra = {"device": f"{dev} \"{name}\"", **extra}
    fields = "".join(f" {k} {v}" for k, v in extra.items())
    return (f"# torch {torch.__version__} threads {torch.get_num_threads()}{fields} "
            f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '')}")


def read_idx(directory, name):
    """Reads an unsigned-byte IDX file, raw or gzip-compressed (NAME or NAME.gz)."""
    import numpy as np

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


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def print_totals(total_seconds, batches=None, torch=None, dev=None):
    """The closing lines: seconds_per_batch (when batches is given), total_train_seconds, peak_rss_mb,
    and on a GPU peak_device_mb."""
    if batches is not None:
        print(f"seconds_per_batch {total_seconds / max(1, batches):.4f}")
    print(f"total_train_seconds {total_seconds:.3f}")
    print(f"peak_rss_mb {peak_rss_mb():.1f}", flush=True)
    if dev is not None and dev.type == "cuda":
        print(f"peak_device_mb {torch.cuda.max_memory_allocated(dev) / 2**20:.1f}", flush=True)


def train_and_test(torch, model, opt, train, test, epochs, batch, eval_batch, max_batches=None, mean_loss=False):
    """The timed training loop both image VAEs share: each epoch shuffles, trains on up to
    max_batches batches (timed), then measures the test loss (not timed), printing one epoch line,
    then the totals. model.loss_sum(x) gives a batch's summed loss; mean_loss backpropagates its
    mean instead, as seed 001 does. It runs where train, test and the model already are."""
    dev = train.device
    total_seconds, total_batches = 0.0, 0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(train.shape[0], device=dev)
        synchronize(torch, dev)
        starts = range(0, train.shape[0], batch)
        if max_batches is not None:
            starts = starts[:max_batches]
        seen, loss_total = 0, 0.0
        start = time.perf_counter()
        for i in starts:
            x = train[perm[i:i + batch]]
            opt.zero_grad()
            loss = model.loss_sum(x)
            (loss / x.shape[0] if mean_loss else loss).backward()
            opt.step()
            loss_total += loss.item()
            seen += x.shape[0]
        synchronize(torch, dev)
        seconds = time.perf_counter() - start
        total_seconds += seconds
        total_batches += len(starts)

        model.eval()
        with torch.no_grad():
            tested = sum(model.loss_sum(test[i:i + eval_batch]).item() for i in range(0, test.shape[0], eval_batch))
        print(f"epoch {epoch} train {loss_total / seen:.4f} test {tested / test.shape[0]:.4f} "
              f"seconds {seconds:.3f} images {seen}", flush=True)

    print_totals(total_seconds, total_batches, torch, dev)


def positive_int(text, what, usage):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise SystemExit(f"{what} must be a positive integer, got '{text}'\n{usage}")
    return value
