#!/usr/bin/env bash
# Makes STAND-INS for the three base images the Dockerfile and docker-compose.yml name, from what a
# machine without a container registry has: a Debian 12 root filesystem (debootstrap, from the Debian
# archive), this machine's .NET SDK and runtimes, and Debian's PostgreSQL 15. They are tagged with the
# real images' names so the project's files build and run unchanged:
#   mcr.microsoft.com/dotnet/sdk:10.0     Debian 12 + the local .NET SDK in /usr/share/dotnet, dotnet on PATH
#   mcr.microsoft.com/dotnet/aspnet:10.0  Debian 12 + the local .NET and ASP.NET Core runtimes only
#   postgres:15                           Debian 12 + Debian's PostgreSQL 15 + an entry point written to
#                                         the official image's contract (scripts/container-bases/)
# They are NOT those images: the real .NET 10 images are Ubuntu 24.04, the real postgres image has
# the PostgreSQL project's packages and its own entry point. The Dockerfile and the compose file stay
# written for the real images; these only let them be built and run where the real ones cannot be
# pulled. The machine's own extra certificate authorities (those it added beside Debian's, e.g. for
# an egress proxy) are trusted inside, so builds reach what the machine reaches.
#
# Built once and cached: an image carrying this script's stamp (a hash of its inputs) is kept; an
# image of the same name without a stamp (a real one, pulled) is left alone and used.
# Needs root and podman (installed from Debian when missing). Prints one line per image.
# usage: scripts/container-bases.sh [--rebuild]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/scripts/container-bases"
cache="${VAE_CONTAINER_CACHE:-/var/cache/vae-container-bases}"
mirror="${VAE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/scripts/containers.conf}"
rebuild=false
[ "${1:-}" = --rebuild ] && rebuild=true

[ "$(id -u)" -eq 0 ] || { echo "container-bases: needs root (debootstrap and podman's root storage)" >&2; exit 2; }
"$root/scripts/ensure-deps.sh" podman runc debootstrap netavark aardvark-dns iptables catatonit >&2
[ -x /usr/share/dotnet/dotnet ] || { echo "container-bases: no .NET in /usr/share/dotnet to copy into the stand-ins" >&2; exit 2; }

base=localhost/vae-stand-in/bookworm:12
# What the stand-ins are made of; a change to any of it makes them again.
packages=ca-certificates,libicu72,libssl3,zlib1g,tzdata,libstdc++6,libgcc-s1
# Certificate authorities added to this machine beside Debian's (where update-ca-certificates takes them from).
extra_cas() { find /usr/local/share/ca-certificates -type f -name '*.crt' 2>/dev/null | sort; }
debootstrap_stamp="$(echo "bookworm minbase $packages $mirror" | sha256sum | cut -c1-16)"
base_stamp="$( { echo "$debootstrap_stamp"; sed -n '/^make_base()/,/^}/p' "$0"; extra_cas | xargs -r cat; } | sha256sum | cut -c1-16)"
stamp="$( { echo "$base_stamp"; cat "$here"/*; /usr/share/dotnet/dotnet --list-sdks; /usr/share/dotnet/dotnet --list-runtimes
            echo "${NUGET_CERT_REVOCATION_MODE:-}"; } | sha256sum | cut -c1-16)"
label=org.vae.stand-in

stamp_of() { podman image inspect --format "{{ index .Labels \"$label\" }}" "$1" 2>/dev/null || true; }

# 0: make it; 1: keep it (ours and current, or a real image).
needs_build() {
    local name="$1" current
    podman image exists "$name" || return 0
    current="$(stamp_of "$name")"
    if [ -z "$current" ] || [ "$current" = "<no value>" ]; then
        echo "$name: an image not made here (a real one?) is present; using it" >&2
        return 1
    fi
    [ "$current" = "$stamp" ] && ! $rebuild && { echo "$name: stand-in cached ($stamp)"; return 1; }
    return 0
}

work="$(mktemp -d /var/tmp/vae-bases.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# Debian 12 from debootstrap (kept as a tarball: it takes minutes), then set up as Debian's own images
# are, with this machine's extra certificate authorities; imported as $base.
make_base() {
    mkdir -p "$cache"
    local tarball="$cache/bookworm-minbase-$debootstrap_stamp.tar" fs="$work/rootfs"
    if [ ! -s "$tarball" ]; then
        rm -f "$cache"/bookworm-minbase-*.tar
        debootstrap --variant=minbase --include="$packages" bookworm "$fs" "$mirror" >"$work/debootstrap.log" 2>&1 \
            || { tail -20 "$work/debootstrap.log" >&2; echo "container-bases: debootstrap failed" >&2; exit 1; }
        tar -C "$fs" --numeric-owner -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
        rm -rf "$fs"
    fi
    mkdir "$fs"
    tar -C "$fs" --numeric-owner -xf "$tarball"
    # Every path below is inside the new root file system, never the machine's own.
    [ -x "$fs/usr/bin/apt-get" ] || { echo "container-bases: $tarball is not a Debian root file system" >&2; exit 1; }
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
        "$mirror" "$mirror" "${mirror%/debian}/debian-security" >"$fs/etc/apt/sources.list"
    # As in Debian's and Ubuntu's images: packages downloaded by a build step are not kept in its layer.
    printf '%s\n' \
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };' \
        'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' >"$fs/etc/apt/apt.conf.d/docker-clean"
    mkdir -p "$fs/usr/local/share/ca-certificates/machine"
    extra_cas | while read -r crt; do cp "$crt" "$fs/usr/local/share/ca-certificates/machine/"; done
    chroot "$fs" update-ca-certificates >/dev/null 2>&1 || { echo "container-bases: update-ca-certificates failed in the new root" >&2; exit 1; }
    rm -rf "$fs"/var/lib/apt/lists/* "$fs"/var/cache/apt/*.bin "$fs"/var/cache/apt/archives/*.deb
    : >"$fs/etc/resolv.conf"
    tar -C "$fs" --numeric-owner -c . | podman import --quiet --change 'CMD ["bash"]' --change "LABEL $label=$base_stamp" - "$base" >/dev/null
    rm -rf "$fs"
}

build() {
    local name="$1" file="$2" context="$3" old
    shift 3
    old="$(podman image inspect --format '{{.Id}}' "$name" 2>/dev/null || true)"
    podman build --pull=never --label "$label=$stamp" -f "$file" -t "$name" "$@" "$context" >"$work/build.log" 2>&1 \
        || { tail -30 "$work/build.log" >&2; echo "container-bases: $name failed to build" >&2; exit 1; }
    # The stand-in it replaces, unless an image built on it still needs it.
    [ -n "$old" ] && podman rmi "$old" >/dev/null 2>&1
    echo "$name: stand-in made ($stamp)"
}

# The .NET files, hard-linked into a build context (same file system) rather than copied; only the
# runtimes for the aspnet stand-in.
dotnet_context() {
    local dir="$work/$1"
    mkdir -p "$dir"
    if [ "$1" = sdk ]; then
        cp -al /usr/share/dotnet "$dir/dotnet" 2>/dev/null || cp -a /usr/share/dotnet "$dir/dotnet"
    else
        mkdir -p "$dir/dotnet/shared"
        for part in dotnet host LICENSE.txt ThirdPartyNotices.txt shared/Microsoft.NETCore.App shared/Microsoft.AspNetCore.App; do
            [ -e "/usr/share/dotnet/$part" ] || continue
            cp -al "/usr/share/dotnet/$part" "$dir/dotnet/$part" 2>/dev/null || cp -a "/usr/share/dotnet/$part" "$dir/dotnet/$part"
        done
    fi
    echo "$dir"
}

sdk=mcr.microsoft.com/dotnet/sdk:10.0
aspnet=mcr.microsoft.com/dotnet/aspnet:10.0
postgres=docker.io/library/postgres:15
want_sdk=false want_aspnet=false want_postgres=false
needs_build "$sdk" && want_sdk=true
needs_build "$aspnet" && want_aspnet=true
needs_build "$postgres" && want_postgres=true
if $want_sdk || $want_aspnet || $want_postgres; then
    if $rebuild || [ "$(stamp_of "$base")" != "$base_stamp" ]; then make_base; fi
fi
if $want_sdk; then
    # The machine's NuGet certificate check setting (offline where revocation servers are out of reach).
    build "$sdk" "$here/sdk.Containerfile" "$(dotnet_context sdk)" --build-arg "NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-online}"
fi
if $want_aspnet; then
    build "$aspnet" "$here/aspnet.Containerfile" "$(dotnet_context aspnet)"
fi
if $want_postgres; then
    # Under Docker Hub's full name, which is what podman finds for the compose file's "postgres:15".
    build "$postgres" "$here/postgres.Containerfile" "$here"
fi
echo "stand-ins for $sdk, $aspnet and postgres:15 are ready (NOT the real images; see scripts/container-bases.sh)"
