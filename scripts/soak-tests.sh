#!/usr/bin/env bash
# Runs the job, sweep, dataset and cluster tests again and again under three conditions, to show that
# none of them depends on the machine's speed:
#   quiet   - the machine as it is;
#   busy    - every core kept busy by CPU hogs this script starts (and stops, or they stop themselves
#             after SOAK_HOG_LIMIT seconds);
#   pinned  - the tests confined to one core (taskset -c 0).
# Each condition runs SOAK_RUNS times (3). One line per run, then "N passed, N failed".
# Usage: scripts/soak-tests.sh [--conditions quiet,busy,pinned]
set -uo pipefail
cd "$(dirname "$0")/.."

runs=${SOAK_RUNS:-3}
hog_limit=${SOAK_HOG_LIMIT:-1800}
conditions=quiet,busy,pinned
if [[ ${1:-} == --conditions ]]; then conditions=$2; fi
filter=${SOAK_FILTER:-"FullyQualifiedName~Vae.Api.Tests.Jobs|FullyQualifiedName~Vae.Api.Tests.Sweeps|FullyQualifiedName~Vae.Api.Tests.Datasets|FullyQualifiedName~Vae.Api.Tests.Cluster|FullyQualifiedName~DefaultModelNotReady"}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export VAE_DATA_DIR="${VAE_DATA_DIR:-$HOME/.cache/vae/datasets}"
scripts/fetch-datasets.sh mnist --dir "$VAE_DATA_DIR" >/dev/null || echo "MNIST could not be fetched; the job tests will fail." >&2
hogs=()
stop_hogs() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done; hogs=(); }
cleanup() { stop_hogs; [[ ${pg_started:-0} == 1 ]] && scripts/postgres-dev.sh stop >/dev/null 2>&1; }
trap cleanup EXIT
if ! scripts/postgres-dev.sh url >/dev/null 2>&1; then
  if scripts/postgres-dev.sh start >/dev/null; then pg_started=1; else echo "No PostgreSQL: the cluster tests will be skipped." >&2; fi
fi
if [[ $conditions == *pinned* ]] && ! command -v taskset >/dev/null; then
  echo "taskset (util-linux) is missing: the pinned runs cannot be made." >&2; exit 2
fi

echo "building..." >&2
dotnet build Vae.sln -c Release --nologo -v quiet >/dev/null || { echo "The build failed." >&2; exit 1; }

total_passed=0 total_failed=0 total_skipped=0 n=0
log=$(mktemp -d)
for condition in ${conditions//,/ }; do
  for ((i = 1; i <= runs; i++)); do
    n=$((n + 1))
    prefix=()
    case $condition in
      busy)
        for ((c = 0; c < $(nproc); c++)); do
          timeout "$hog_limit" bash -c 'while :; do :; done' &
          hogs+=($!)
        done ;;
      pinned) prefix=(taskset -c 0) ;;
      quiet) ;;
      *) echo "unknown condition $condition (quiet, busy, pinned)" >&2; exit 2 ;;
    esac
    start=$(date +%s)
    "${prefix[@]}" dotnet test tests/Vae.Api.Tests -c Release --no-build --nologo --filter "$filter" >"$log/run-$n.txt" 2>&1
    seconds=$(( $(date +%s) - start ))
    stop_hogs
    read -r passed failed skipped < <(awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } } END { printf "%d %d %d\n", p, f, s }' "$log/run-$n.txt")
    if [[ $passed -eq 0 && $failed -eq 0 ]]; then failed=1; fi # the run itself broke
    echo "run $n ($condition $i/$runs): $passed passed, $failed failed, $skipped skipped in ${seconds} s"
    if [[ $failed -gt 0 ]]; then
      grep -E "^\s+Failed [A-Z]" "$log/run-$n.txt" | sed 's/^/    /'
      cp "$log/run-$n.txt" "/tmp/soak-run-$n.txt" && echo "    full output: /tmp/soak-run-$n.txt"
    fi
    total_passed=$((total_passed + passed)) total_failed=$((total_failed + failed)) total_skipped=$((total_skipped + skipped))
  done
done
rm -rf "$log"
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[[ $total_failed -eq 0 ]]
