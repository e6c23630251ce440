#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for development and tests, from Debian's binaries, on a free loopback
# port, run by an unprivileged user (postgres, through runuser, when called as root; the caller
# otherwise). Its data lives under $VAE_PG_DIR (default: $TMPDIR/vae-postgres-<user>).
#   scripts/postgres-dev.sh start   starts it (creating the cluster and the database "vae" the first
#                                   time) and prints the Npgsql connection string; when it already
#                                   runs, only prints the connection string
#   scripts/postgres-dev.sh url     prints the connection string; fails when it is not running
#   scripts/postgres-dev.sh halt    stops it and keeps its data: start brings it back on the same
#                                   port (for trying out how clients live through a database outage)
#   scripts/postgres-dev.sh stop    stops it and removes its data
# Installs Debian's postgresql package when it is missing and we are root; says so and fails otherwise.
# Use the printed string as Storage__ConnectionString with Storage__Provider=postgres.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
base="${VAE_PG_DIR:-${TMPDIR:-/tmp}/vae-postgres-$(id -un)}"
data="$base/data"
database=vae
role=vae

usage() {
  echo "usage: $0 start|halt|stop|url" >&2
  exit 2
}

# initdb and the server refuse to run as root: as root, they run as the postgres account.
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  as_owner() { runuser -u "$owner" -- "$@"; }
else
  owner="$(id -un)"
  as_owner() { "$@"; }
fi

ensure_binaries() {
  [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    "$here/ensure-deps.sh" postgresql >&2 || true
  fi
  if [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "PostgreSQL 15 is not installed ($bin/initdb is missing). Install it with: sudo apt-get install postgresql (or set PG_BIN to the folder holding initdb and pg_ctl)." >&2
    exit 1
  fi
  if ! id "$owner" >/dev/null 2>&1; then
    echo "There is no '$owner' account to run PostgreSQL as (Debian's postgresql package creates it). Install it with: sudo apt-get install postgresql" >&2
    exit 1
  fi
}

running() {
  [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

url() {
  printf 'Host=127.0.0.1;Port=%s;Database=%s;Username=%s;Password=%s\n' "$(cat "$base/port")" "$database" "$role" "$(cat "$base/password")"
}

# The first port from 55432 on that nothing listens on. A port taken between this check and the
# server's start makes the start fail, and the next try picks another.
free_port() {
  local port
  for port in $(seq 55432 55531); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "No free port between 55432 and 55531 on 127.0.0.1." >&2
  return 1
}

create_cluster() {
  # The base folder belongs to the caller (it holds the password); the data folder to the server's account.
  mkdir -p "$base"
  chmod 711 "$base"
  umask 077
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$base/password"
  mkdir -p "$data"
  chown "$owner" "$data"
  chmod 700 "$data"
  # The password reaches initdb through a file the server's account can read only for this moment.
  local pwfile="$base/initdb-password"
  cp "$base/password" "$pwfile"
  chown "$owner" "$pwfile"
  if ! as_owner "$bin/initdb" -D "$data" -U "$role" --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1; then
    rm -rf "$pwfile" "$data"
    echo "initdb failed (log: $base/initdb.log):" >&2
    tail -n 5 "$base/initdb.log" >&2
    exit 1
  fi
  rm -f "$pwfile"
}

start() {
  ensure_binaries
  if running; then
    url
    return 0
  fi
  [ -f "$data/PG_VERSION" ] || create_cluster
  local attempt port
  for attempt in 1 2 3; do
    # After a halt, the port it had (clients hold connection strings naming it), unless something took it.
    if [ "$attempt" -eq 1 ] && [ -f "$base/port" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$base/port")") 2>/dev/null; then
      port="$(cat "$base/port")"
    else
      port="$(free_port)"
    fi
    # Loopback only, the socket inside the data folder (not /run/postgresql, which may not be ours), a small footprint.
    if as_owner "$bin/pg_ctl" start -D "$data" -w -t 60 -l "$data/server.log" \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$data' -c max_connections=200 -c shared_buffers=32MB -c fsync=off -c synchronous_commit=off" \
        >/dev/null 2>&1; then
      echo "$port" >"$base/port"
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    echo "PostgreSQL did not start (log: $data/server.log):" >&2
    tail -n 5 "$data/server.log" >&2 2>/dev/null || true
    exit 1
  fi
  if ! PGPASSWORD="$(cat "$base/password")" "$bin/psql" -h 127.0.0.1 -p "$port" -U "$role" -d postgres -tAq \
      -c "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    PGPASSWORD="$(cat "$base/password")" "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$role" "$database"
  fi
  url
}

halt() {
  if running; then
    as_owner "$bin/pg_ctl" stop -D "$data" -m fast -w >/dev/null
  fi
}

stop() {
  if [ -f "$data/PG_VERSION" ] && [ -x "$bin/pg_ctl" ]; then
    as_owner "$bin/pg_ctl" stop -D "$data" -m fast -w >/dev/null 2>&1 || true
  fi
  rm -rf "$base"
}

case "${1:-}" in
  start) start ;;
  halt) halt ;;
  stop) stop ;;
  url)
    if ! running; then
      echo "The development PostgreSQL is not running; start it with: $0 start" >&2
      exit 1
    fi
    url
    ;;
  *) usage ;;
esac
