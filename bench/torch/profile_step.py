"""Where a training step of one of the three PyTorch models spends its time: torch.profiler
over BATCHES steps (after 3 that warm up), set up as the benchmarks are (benchcpu). Prints the
milliseconds per step, the share of the step in the ops that multiply matrices or convolve
(GEMM-like: mm, addmm, bmm, the oneDNN and slow convolutions and their backward passes) against
everything else, and the heaviest ops by self time with their input shapes. The counterpart of
our VAE_PROFILE=1 table; compare shares, not milliseconds, on a busy machine.

usage: /usr/bin/python3 profile_step.py mlp|conv|resnet DATA_DIR [BATCHES] [THREADS] [BATCH]
  DATA_DIR  MNIST (mlp, conv) or the CIFAR-10 PNG rows (resnet)
  BATCHES   profiled steps (default 20; 3 for resnet)
  THREADS   torch threads (default: every core)
  BATCH     images per step (default 128)
"""
import os
import sys
import time

import benchcpu

benchcpu.configure_blas()  # before numpy/torch load OpenBLAS

import torch

USAGE = "usage: profile_step.py mlp|conv|resnet DATA_DIR [BATCHES] [THREADS] [BATCH]"
# Self time in these ops is matrix-product or convolution arithmetic; the rest is the "outside GEMM" share.
GEMM_OPS = {
    "aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::matmul",
    "aten::mkldnn_convolution", "aten::convolution_backward", "aten::_convolution",
    "aten::slow_conv_transpose2d", "aten::slow_conv2d_forward", "aten::_slow_conv2d_forward",
    "aten::_slow_conv2d_backward", "aten::slow_conv_transpose2d_backward",
    "aten::mkldnn_convolution_backward", "aten::thnn_conv2d",
}


def model_and_data(kind, directory):
    """The model, its training images and its step: loss_sum(model, x) gives the batch's summed loss."""
    if kind == "mlp":
        import mlp_vae
        train = mlp_vae.load_images(directory, "train-images-idx3-ubyte")
        model = mlp_vae.Vae()

        def loss(x):
            recon, mu, logvar = model(x)
            return mlp_vae.loss_sum(recon, x, mu, logvar)
        return model, train, loss, 1e-3, False
    if kind == "conv":
        import conv_vae
        train = conv_vae.load_images(directory, "train-images-idx3-ubyte")
        model = conv_vae.ConvVae()
        return model, train, model.loss_sum, 1e-3, False
    import resnet_vae
    # Any 10,000 images time the same: the test split is one file, with its own label file.
    train = resnet_vae.load_split(directory, ["test_batch.png"], "test_lables.json")
    model = resnet_vae.ResNetVae()
    return model, train, model.loss_sum, 1e-4, True


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("mlp", "conv", "resnet") or len(sys.argv) > 6:
        raise SystemExit(USAGE)
    kind, directory = sys.argv[1], sys.argv[2]
    batches = benchcpu.positive_int(sys.argv[3], "BATCHES", USAGE) if len(sys.argv) > 3 else (3 if kind == "resnet" else 20)
    threads = benchcpu.positive_int(sys.argv[4], "THREADS", USAGE) if len(sys.argv) > 4 else os.cpu_count()
    batch = benchcpu.positive_int(sys.argv[5], "BATCH", USAGE) if len(sys.argv) > 5 else 128
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, train, loss_sum, lr, mean = model_and_data(kind, directory)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    print(benchcpu.header(torch, None, model=kind, batch=batch), flush=True)

    def step():
        x = train[torch.randint(0, train.shape[0], (batch,))]
        opt.zero_grad()
        loss = loss_sum(x)
        (loss / x.shape[0] if mean else loss).backward()
        opt.step()
        loss.item()

    for _ in range(3):
        step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=True) as prof:
        start = time.perf_counter()
        for _ in range(batches):
            step()
        seconds = time.perf_counter() - start
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    gemm = sum(e.self_cpu_time_total for e in events if e.key in GEMM_OPS)
    print(f"# torch profile {batches} steps, {1000 * seconds / batches:.2f} ms/step (profiler on), "
          f"GEMM-like ops {100 * gemm / max(1, total):.0f}% of self time, the rest {100 * (total - gemm) / max(1, total):.0f}%")
    print(f"# torch profile {'op':<36} {'input shapes':<60} {'calls':>6} {'ms/step':>8} {'share':>6}")
    shaped = prof.key_averages(group_by_input_shape=True)
    for e in sorted(shaped, key=lambda e: e.self_cpu_time_total, reverse=True)[:30]:
        shapes = str([s for s in e.input_shapes if s])[:60]
        print(f"# torch profile {e.key[:36]:<36} {shapes:<60} {e.count / batches:>6.1f} "
              f"{e.self_cpu_time_total / 1000 / batches:>8.3f} {100 * e.self_cpu_time_total / max(1, total):>5.1f}%")


if __name__ == "__main__":
    main()
