#!/usr/bin/env bash
# Builds the bundle that bench/gpu/device-check.sh runs on a GPU machine that has the NVIDIA
# driver and PyTorch but no .NET and no network: our bench programs and the backend test runner
# published self-contained for linux-x64 into one folder (one shared runtime), the PyTorch scripts,
# MNIST and a few batches' worth of CIFAR-10. Prints the bundle's path as its last line.
#
# usage: bench/gpu/pack.sh [OUT_DIR]
#   OUT_DIR  where vae-gpu-check.tar.xz is written (default bench/gpu/out, kept out of git)
# Datasets come from $VAE_DATA_DIR (or ~/.cache/vae/datasets), fetched by scripts/fetch-datasets.sh
# when missing. CIFAR_TRAIN_ROWS (per training file, default 512: 20 batches of 128 in all) and
# CIFAR_TEST_ROWS (default 1000, what the ResNet bench evaluates on) size the CIFAR-10 subset.
set -euo pipefail

usage() {
    sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
case "${1:-}" in -h|--help) usage ;; esac
[ $# -le 1 ] || usage

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "${1:-$root/bench/gpu/out}" && cd "${1:-$root/bench/gpu/out}" && pwd)"
name=vae-gpu-check
bundle="$out/$name.tar.xz"
max_bytes=$((48 * 1024 * 1024))
cifar_train_rows="${CIFAR_TRAIN_ROWS:-512}"
cifar_test_rows="${CIFAR_TEST_ROWS:-1000}"

fail() { echo "pack.sh: $*" >&2; exit 1; }
for tool in dotnet xz python3 tar; do
    command -v "$tool" >/dev/null || fail "'$tool' is needed and not on PATH"
done

stage="$(mktemp -d "${TMPDIR:-/tmp}/vae-gpu-pack.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
dest="$stage/$name"
mkdir -p "$dest/bin" "$dest/torch" "$dest/data"

# One folder for the three programs: they share the runtime and the engine's assemblies, so the
# bundle carries them once. Invariant globalization leaves ICU out (the GPU machine may lack it);
# English-only resources and no symbols keep the size down. Nothing is trimmed: the test runner
# finds the tests by reflection.
for project in bench/BackendCheck/BackendCheck.csproj bench/ModelTraining/ModelTraining.csproj bench/MlpVae/MlpVae.csproj; do
    echo "publishing $project" >&2
    log="$stage/publish.log"
    if ! MSBUILDDISABLENODEREUSE=1 dotnet publish "$root/$project" -c Release -r linux-x64 --self-contained \
        -p:InvariantGlobalization=true -p:SatelliteResourceLanguages=en -p:DebugType=none -p:GenerateDocumentationFile=false \
        -o "$dest/bin" -v q -nologo >"$log" 2>&1; then
        cat "$log" >&2
        fail "dotnet publish of $project failed"
    fi
done
# The test platform's host and adapters come along with the test project; the runner does not use them.
rm -rf "$dest/bin/testhost.dll" "$dest/bin/Microsoft.TestPlatform."* "$dest/bin/Microsoft.VisualStudio."* \
    "$dest/bin/xunit.runner."* "$dest/bin/Vae.Engine.Tests.runtimeconfig.json"

cp "$root"/bench/torch/*.py "$dest/torch/"

data_root="${VAE_DATA_DIR:-$HOME/.cache/vae/datasets}"
for dataset in mnist cifar10; do
    if [ ! -d "$data_root/$dataset" ]; then
        echo "fetching $dataset" >&2
        "$root/scripts/fetch-datasets.sh" "$dataset" --dir "$data_root" >&2 || fail "scripts/fetch-datasets.sh $dataset failed"
    fi
done
mkdir -p "$dest/data/mnist"
cp "$data_root"/mnist/*-idx?-ubyte "$dest/data/mnist/" || fail "no MNIST IDX files in $data_root/mnist"
python3 "$root/bench/gpu/cifar_subset.py" "$data_root/cifar10" "$dest/data/cifar10" "$cifar_train_rows" "$cifar_test_rows" \
    || fail "could not cut the CIFAR-10 subset from $data_root/cifar10"

{
    echo "commit $(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cifar10 $((cifar_train_rows * 5)) training images, $cifar_test_rows test images"
} >"$dest/MANIFEST"

echo "compressing" >&2
tar -C "$stage" -cf - "$name" | xz -T0 -9 >"$bundle.part"
mv "$bundle.part" "$bundle"
size=$(stat -c %s "$bundle")
echo "bundle $(( size / 1024 / 1024 )) MiB ($size bytes), unpacked $(du -sh "$dest" | cut -f1)" >&2
if [ "$size" -gt "$max_bytes" ]; then
    fail "the bundle is $size bytes, over the 48 MiB limit (try a smaller CIFAR_TRAIN_ROWS)"
fi
echo "$bundle"
