#!/usr/bin/env bash
# Checks our engine on an NVIDIA GPU from the bundle bench/gpu/pack.sh builds (the GPU machine
# needs the driver and PyTorch with CUDA in python3, no .NET, no network), in under 8 minutes:
#   1. unpacks the bundle;
#   2. runs the engine's per-backend tests on `cuda` (bench/BackendCheck);
#   3. trains seed 003's MLP VAE, the conv VAE and seed 001's ResNet VAE with VAE_BACKEND=cuda,
#      and the same three in PyTorch eager mode on the same GPU (TORCH_DEVICE=cuda);
#   4. prints ours against PyTorch: seconds, final test loss, peak device memory.
# Every step has a time limit, so a slow one costs its share and the rest still run.
#
# usage: bench/gpu/device-check.sh [--dry-run] [BUNDLE]
#   BUNDLE     the .tar.xz pack.sh wrote (default bench/gpu/out/vae-gpu-check.tar.xz)
#   --dry-run  everything but the GPU, on this machine: the tests on cpu and a few on ilgpu-cpu,
#              the trainings on the CPU for a few batches of a small slice of the data
# Environment: CHECK_OUT keeps the logs (default: a new temporary directory, named at the end);
# TORCH_PYTHON is the python with PyTorch (default: python3, else /usr/bin/python3 if only it has
# torch); MLP_EPOCHS (2), CONV_EPOCHS (2), CONV_BATCHES (200 per epoch), RESNET_EPOCHS (2) and
# RESNET_BATCHES (10 per epoch, at most 20 with the bundle's CIFAR-10 slice) size the GPU runs.
# Exits 0 when every step ran and passed, 1 otherwise (2 on bad arguments).
set -euo pipefail

usage() {
    sed -n '/^# usage:/,/^# Exits/p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dry_run=0
bundle=""
for arg in "$@"; do
    case "$arg" in
        --dry-run) dry_run=1 ;;
        -h|--help) usage ;;
        -*) echo "device-check.sh: unknown option '$arg'" >&2; usage ;;
        *) [ -z "$bundle" ] || { echo "device-check.sh: more than one bundle given" >&2; usage; }; bundle="$arg" ;;
    esac
done
bundle="${bundle:-$root/bench/gpu/out/vae-gpu-check.tar.xz}"
[ -f "$bundle" ] || { echo "device-check.sh: no bundle at '$bundle'; build one with bench/gpu/pack.sh" >&2; exit 2; }

start=$SECONDS
budget=470  # seconds for everything, under the 8 minutes the GPU machine is lent for
out="${CHECK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/vae-gpu-check.XXXXXX")}"
mkdir -p "$out"
work="$(mktemp -d "${TMPDIR:-/tmp}/vae-gpu-bundle.XXXXXX")"
sampler=""
cleanup() {
    [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
failures=()

say() { echo "== [$(( SECONDS - start ))s] $*"; }

# run_step NAME CAP COMMAND...: runs COMMAND with its output in $out/NAME.log (shown as it comes),
# for at most CAP seconds or what is left of the budget; sampling the device's memory while it runs
# where nvidia-smi is. Records a failure and returns 0, so the next step still runs.
run_step() {
    local name="$1" cap="$2"; shift 2
    local left=$(( budget - (SECONDS - start) ))
    if [ "$left" -lt 10 ]; then
        say "$name: skipped, the time budget is spent"
        failures+=("$name (no time left)")
        return 0
    fi
    [ "$cap" -le "$left" ] || cap=$left
    say "$name (at most ${cap}s): $*"
    local memlog="" base=""
    if [ "$dry_run" = 0 ] && command -v nvidia-smi >/dev/null; then
        base="$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 | head -1)"
        memlog="$out/$name.memlog"
        nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 -lms 100 >"$memlog" 2>/dev/null &
        sampler=$!
    fi
    local rc=0
    timeout --kill-after=10 "$cap" "$@" >"$out/$name.log" 2>&1 || rc=$?
    if [ -n "$memlog" ]; then
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        sampler=""
        sort -n "$memlog" | tail -1 | awk -v base="$base" '{ print $1 - base }' >"$out/$name.mem"
    fi
    sed 's/^/   /' "$out/$name.log" | tail -n 25
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        say "$name: stopped after ${cap}s"
        failures+=("$name (timed out after ${cap}s)")
    elif [ "$rc" != 0 ]; then
        say "$name: failed (exit code $rc)"
        failures+=("$name (exit code $rc)")
    fi
}

say "unpacking $bundle"
tar -C "$work" -xJf "$bundle"
b="$work/vae-gpu-check"
[ -x "$b/bin/BackendCheck" ] || { echo "device-check.sh: '$bundle' is not a bundle of pack.sh (no bin/BackendCheck)" >&2; exit 1; }
sed 's/^/   /' "$b/MANIFEST"
data="$b/data"
export VAE_DATA_DIR="$data"  # where the tests' dataset fixtures look

python="${TORCH_PYTHON:-}"
if [ -z "$python" ]; then
    python=python3
    if ! python3 -c "import torch" 2>/dev/null && /usr/bin/python3 -c "import torch" 2>/dev/null; then python=/usr/bin/python3; fi
fi
torch_ok=1
"$python" -c "import torch, numpy" 2>/dev/null || { torch_ok=0; say "$python cannot import torch and numpy: the PyTorch runs are left out"; failures+=("torch (not importable)"); }
pil_ok=1
"$python" -c "import PIL" 2>/dev/null || pil_ok=0

if [ "$dry_run" = 1 ]; then
    backend=cpu torch_device=cpu
    mlp_epochs=1 conv_epochs=1 conv_batches=2 resnet_epochs=1 resnet_batches=1 resnet_batch=8
    # A slice of the data, so the CPU gets through each model in seconds: 1280 MNIST training and
    # 1000 test images, 8 CIFAR-10 training images per file and 16 test images.
    mkdir -p "$work/small/mnist"
    "$python" - "$data/mnist" "$work/small/mnist" <<'PY'
import os, struct, sys
source, target = sys.argv[1], sys.argv[2]
for name, count in (("train-images-idx3-ubyte", 1280), ("train-labels-idx1-ubyte", 1280),
                    ("t10k-images-idx3-ubyte", 1000), ("t10k-labels-idx1-ubyte", 1000)):
    with open(os.path.join(source, name), "rb") as f:
        data = f.read()
    dims = struct.unpack(">" + "I" * data[3], data[4:4 + 4 * data[3]])
    item = 1
    for d in dims[1:]:
        item *= d
    head = data[:4] + struct.pack(">I", count) + data[8:4 + 4 * data[3]]
    with open(os.path.join(target, name), "wb") as f:
        f.write(head + data[4 + 4 * data[3]:4 + 4 * data[3] + count * item])
PY
    python3 "$root/bench/gpu/cifar_subset.py" "$data/cifar10" "$work/small/cifar10" 8 16
    mnist="$work/small/mnist" cifar="$work/small/cifar10"
else
    backend=cuda torch_device=cuda
    mlp_epochs="${MLP_EPOCHS:-2}" conv_epochs="${CONV_EPOCHS:-2}" conv_batches="${CONV_BATCHES:-200}"
    resnet_epochs="${RESNET_EPOCHS:-2}" resnet_batches="${RESNET_BATCHES:-10}" resnet_batch=128
    mnist="$data/mnist" cifar="$data/cifar10"
    # The engine opens the driver as libcuda.so; some driver installs have only libcuda.so.1.
    if ! ldconfig -p 2>/dev/null | grep -q 'libcuda\.so '; then
        lib="$(ldconfig -p 2>/dev/null | awk '/libcuda\.so\.1 / { print $NF; exit }')"
        if [ -n "$lib" ]; then
            mkdir -p "$work/lib" && ln -s "$lib" "$work/lib/libcuda.so"
            export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        fi
    fi
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/   gpu: /'
fi

if [ "$dry_run" = 1 ]; then
    run_step tests-cpu 60 "$b/bin/BackendCheck" cpu
    run_step tests-ilgpu-cpu 90 "$b/bin/BackendCheck" ilgpu-cpu --filter IlgpuCpuOpValueTests
    run_step tests-cuda-listed 30 "$b/bin/BackendCheck" cuda
else
    run_step tests-cuda 120 "$b/bin/BackendCheck" cuda
    # A cuda run that skipped everything (no device answered) checked nothing.
    if grep -q '^0 passed' "$out/tests-cuda.log"; then failures+=("tests-cuda (nothing ran: see the SKIP line)"); fi
fi

threads="$(nproc)"
export VAE_BACKEND="$backend" TORCH_DEVICE="$torch_device"
run_step mlp-ours 60 "$b/bin/MlpVae" "$mnist" "$mlp_epochs"
[ "$torch_ok" = 0 ] || run_step mlp-torch 45 "$python" "$b/torch/mlp_vae.py" "$mnist" "$mlp_epochs" "$threads"
run_step conv-ours 75 "$b/bin/ModelTraining" conv "$mnist" "$conv_epochs" "$conv_batches"
[ "$torch_ok" = 0 ] || run_step conv-torch 45 "$python" "$b/torch/conv_vae.py" "$mnist" "$conv_epochs" "$threads" "$conv_batches"
run_step resnet-ours 75 "$b/bin/ModelTraining" resnet "$cifar" "$resnet_epochs" "$resnet_batches" "$resnet_batch"
if [ "$torch_ok" = 1 ] && [ "$pil_ok" = 0 ]; then
    say "resnet-torch: left out, $python cannot import PIL (the CIFAR-10 files are PNGs)"
    failures+=("resnet-torch (no PIL)")
elif [ "$torch_ok" = 1 ]; then
    run_step resnet-torch 45 "$python" "$b/torch/resnet_vae.py" "$cifar" "$resnet_epochs" "$threads" "$resnet_batches" "$resnet_batch"
fi

say "ours ($backend) against PyTorch ($torch_device)"
python3 "$root/bench/gpu/ratios.py" "$out"
[ "$dry_run" = 0 ] || echo "(dry run: CPU figures from a few batches, no device memory; they say nothing about the GPU)"
say "logs in $out"
if [ "${#failures[@]}" -gt 0 ]; then
    say "NOT all steps passed: ${failures[*]}"
    exit 1
fi
say "all steps passed"
