#!/usr/bin/env bash
# Checks an OpenAPI document the way its users' tools read it: Redocly's recommended rules (any
# error fails; warnings are printed), then TypeScript types generated from it with
# openapi-typescript, compiled with a small client that uses the polymorphic training request.
# The tools are installed once, at pinned versions, under ~/.cache/vae/tools/openapi (npm and its
# registry are needed the first time).
# usage: scripts/openapi-check.sh DOCUMENT.json
set -euo pipefail
doc="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
tools="${VAE_TOOLS_DIR:-$HOME/.cache/vae/tools}/openapi"
here="$(cd "$(dirname "$0")" && pwd)"

command -v node >/dev/null && command -v npm >/dev/null || { echo "openapi-check needs node and npm (apt-get install nodejs npm)" >&2; exit 3; }
if [ ! -x "$tools/node_modules/.bin/redocly" ] || [ ! -x "$tools/node_modules/.bin/openapi-typescript" ] || [ ! -x "$tools/node_modules/.bin/tsc" ]; then
  mkdir -p "$tools"
  (cd "$tools" && [ -f package.json ] || echo '{"private":true}' > "$tools/package.json")
  if ! (cd "$tools" && npm install --no-audit --no-fund --loglevel=error @redocly/cli@2.77.0 openapi-typescript@7.13.0 typescript@5.9.3 >/dev/null 2>&1); then
    echo "could not install @redocly/cli, openapi-typescript and typescript with npm (no registry?)" >&2
    exit 3
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "# redocly lint (recommended rules)"
"$tools/node_modules/.bin/redocly" lint "$doc" --format=summary 2>&1 | grep -Ev '^ *(╔|║|╚)' | grep -Ev '^\s*$'
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] || { echo "redocly lint found errors" >&2; exit 1; }

echo "# openapi-typescript + tsc"
"$tools/node_modules/.bin/openapi-typescript" "$doc" -o "$work/api.d.ts" >/dev/null 2>"$work/gen.log" || { cat "$work/gen.log" >&2; exit 1; }
cp "$here/openapi-client-check.ts" "$work/client.ts"
"$tools/node_modules/.bin/tsc" --noEmit --strict --target es2022 --moduleResolution node "$work/client.ts" "$work/api.d.ts" || { echo "the generated types do not compile with the sample client" >&2; exit 1; }
echo "generated types compile"
