#!/usr/bin/env bash
# Entry point of the postgres:15 stand-in (scripts/container-bases.sh), written to the contract the
# official image documents, not copied from it:
# - POSTGRES_PASSWORD is required (unless POSTGRES_HOST_AUTH_METHOD=trust); POSTGRES_USER (default
#   postgres) is the superuser it is set for; POSTGRES_DB (default: the user's name) is created;
#   POSTGRES_INITDB_ARGS go to initdb;
# - the data folder ($PGDATA) is initialised on the first start only, when it holds no PG_VERSION;
#   *.sh and *.sql in /docker-entrypoint-initdb.d run then, against a server that listens on its
#   Unix socket only (so, as with the official image, pg_isready may answer during that phase);
# - the server then listens on every address, port 5432, password (scram-sha-256) for TCP clients;
# - started as root, it fixes the data folder's owner and runs the server as "postgres".
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    chmod 3777 /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

initialise() {
    local user="${POSTGRES_USER:-postgres}"
    local db="${POSTGRES_DB:-$user}"
    local method="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$method" != trust ]; then
        echo "error: the database is uninitialised and POSTGRES_PASSWORD is not set; set it (or POSTGRES_HOST_AUTH_METHOD=trust)." >&2
        exit 1
    fi

    local pwfile
    pwfile="$(mktemp)"
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    # shellcheck disable=SC2086 # the arguments are a list, as with the official image
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host="$method" \
        --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" ${POSTGRES_INITDB_ARGS:-}
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "$method" >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

    # A server for the set-up only: no TCP, so clients outside wait for the real start.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
    if [ "$db" != postgres ]; then
        psql -v ON_ERROR_STOP=1 --username "$user" --no-password --dbname postgres --set db="$db" <<<'CREATE DATABASE :"db";'
    fi
    local f
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh) echo "running $f"; . "$f" ;;
            *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --username "$user" --no-password --dbname "$db" -f "$f" ;;
            *) if [ -e "$f" ]; then echo "ignoring $f"; fi ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
    echo "PostgreSQL initialised in $PGDATA; starting it"
}

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    initialise
fi

exec "$@"
