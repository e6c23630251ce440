# Sourced by the bench/compare-* scripts: the parts they share. The caller sets `me` (its
# name, for messages) first and must be run under bash with `set -uo pipefail`.
#   bench_dir, bench_root, python    where things are
#   compare_help                     prints the caller's leading comment block
#   positive_count VALUE WHAT        exits 2 unless VALUE is a positive integer
#   dataset_dir NAME [DIR]           DIR, or the folder `scripts/fetch-datasets.sh NAME` prints; exits when missing
#   compare_out                      sets `out` to $COMPARE_OUT or a fresh temporary folder
#   run_engine NAME LABEL CMD...     runs CMD, its output teed to $out/NAME.log; a failure is recorded
#   finish KIND ARGS...              bench/summarize.py KIND $out ARGS..., then the exit status

bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench_root="$(cd "$bench_dir/.." && pwd)"
python=/usr/bin/python3
failed=()

compare_help() {
    sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
}

positive_count() {
    if ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
        echo "$me: $2 must be a positive integer, got '$1'" >&2
        exit 2
    fi
}

dataset_dir() {
    local name="$1" dir="${2:-}" fetched label
    case "$name" in mnist) label=MNIST ;; cifar10) label=CIFAR-10 ;; *) label="$name" ;; esac
    if [ -z "$dir" ]; then
        if ! fetched="$("$bench_root/scripts/fetch-datasets.sh" "$name")"; then
            echo "$me: scripts/fetch-datasets.sh $name failed" >&2
            exit 1
        fi
        dir="$(printf '%s\n' "$fetched" | tail -n 1)"
    fi
    if [ ! -d "$dir" ]; then
        echo "$me: $label directory '$dir' does not exist" >&2
        exit 1
    fi
    if [ ! -x "$python" ]; then
        echo "$me: $python not found (it needs PyTorch)" >&2
        exit 1
    fi
    printf '%s\n' "$dir"
}

compare_out() {
    out="${COMPARE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX")}"
    mkdir -p "$out"
}

# Peak RSS as seen by /usr/bin/time goes to $out/NAME.time, a fallback for a missing peak_rss_mb line.
run_engine() {
    local name="$1" label="$2" status; shift 2
    echo "=== $name: $*"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$out/$name.time" "$@" 2>&1 | tee "$out/$name.log"
    else
        "$@" 2>&1 | tee "$out/$name.log"
    fi
    status="${PIPESTATUS[0]}"
    echo "$status" >"$out/$name.status"
    if [ "$status" -ne 0 ]; then
        failed+=("$name ($label, exit $status)")
    fi
}

finish() {
    local kind="$1" summary_status f; shift
    echo
    "$python" "$bench_dir/summarize.py" "$kind" "$out" "$@"
    summary_status=$?
    if [ "${#failed[@]}" -gt 0 ]; then
        for f in "${failed[@]}"; do echo "$me: run failed: $f" >&2; done
        exit 1
    fi
    if [ "$summary_status" -ne 0 ]; then
        echo "$me: output incomplete (see above); logs in $out" >&2
        exit 1
    fi
    exit 0
}
