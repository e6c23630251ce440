#!/usr/bin/env bash
# Starts the service on http://127.0.0.1:5080 (override with ASPNETCORE_URLS or --urls) with its
# embedded defaults. Installs OpenBLAS when missing and root; datasets are fetched on first use.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-deps.sh libopenblas0-pthread || echo "Running without OpenBLAS: the managed matrix kernels will be used." >&2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Vae.Api -c Release -v q --nologo >/tmp/vae-build.log 2>&1 || { cat /tmp/vae-build.log; exit 1; }
exec dotnet src/Vae.Api/bin/Release/net10.0/Vae.Api.dll "$@"
