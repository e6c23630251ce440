#!/usr/bin/env bash
# Installs the Debian packages the service and its tests use, when they are missing and we are
# root; otherwise says what is missing and how to get it. Usage: scripts/ensure-deps.sh PACKAGE...
set -euo pipefail

missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/vae-apt.log 2>&1; then
    echo "Could not install ${missing[*]} (log: /tmp/vae-apt.log). Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
else
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
