#!/usr/bin/env bash
# Checks what can be checked of docker-compose.yml without a Docker engine: that docker-compose
# accepts the file, and that the published service starts with the environment the file gives a
# node, against a throwaway PostgreSQL (scripts/postgres-dev.sh) standing in for the "postgres"
# service. Prints what it checked; exits non-zero on the first failure.
# usage: scripts/check-compose.sh [SERVICE]   (default vae-1)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
service="${1:-vae-1}"
cd "$root"

command -v docker-compose >/dev/null || scripts/ensure-deps.sh docker-compose >/dev/null 2>&1 || true
command -v docker-compose >/dev/null || { echo "docker-compose is not installed (apt-get install docker-compose); nothing checked" >&2; exit 2; }
config="$(docker-compose -f docker-compose.yml config)"
echo "ok: docker-compose config accepts docker-compose.yml"

work="$(mktemp -d)"
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The node's environment as compose resolves it, with the database address swapped for the local one.
url="$(scripts/postgres-dev.sh start | tail -1)"
python3 - "$service" "$url" >"$work/env" <<PY
import shlex, sys, yaml
config = yaml.safe_load('''$config''')
env = config["services"][sys.argv[1]]["environment"]
env = env if isinstance(env, dict) else dict(e.split("=", 1) for e in env)
assert env.get("Storage__Provider") == "postgres", "the node does not use PostgreSQL"
env["Storage__ConnectionString"] = sys.argv[2]
for key, value in env.items():
    print(f"{key}={shlex.quote(str(value))}")
PY
node="$(sed -n "s/^Cluster__NodeId=//p" "$work/env" | tr -d "'")"

dotnet publish src/Vae.Api/Vae.Api.csproj -c Release -o "$work/app" --nologo -v q >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
  set -a
  # shellcheck disable=SC1091
  . "$work/env"
  set +a
  export ASPNETCORE_URLS="http://127.0.0.1:$port" Storage__Directory="$work/state" Jobs__SeedDefaultJob=false
  exec dotnet "$work/app/Vae.Api.dll"
) >"$work/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >"$work/health" 2>/dev/null && break; sleep 0.3; done
[ -s "$work/health" ] || { echo "the published service did not become healthy:"; grep -Ev '^ +at ' "$work/service.log" | tail -15; exit 1; }
grep -q "\"node\":\"$node\"" "$work/health" || { echo "health does not name node $node: $(cat "$work/health")"; exit 1; }
echo "ok: the published service starts with $service's environment on PostgreSQL: $(cat "$work/health")"
