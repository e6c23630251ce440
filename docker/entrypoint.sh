#!/bin/sh
# Container entry point: the service on $ASPNETCORE_URLS, its state in $Storage__Directory.
# A state folder the service's user cannot write (a host folder mounted there, owned by someone
# else) is reported here, with the fix, rather than as a failure deep inside the first write.
set -e
state="${Storage__Directory:-/var/lib/vae}"
if ! mkdir -p "$state" 2>/dev/null || ! [ -w "$state" ]; then
    echo "error: the state folder $state is not writable by user $(id -un) (uid $(id -u)). Use a named volume," \
         "or make the mounted host folder that user's: chown -R $(id -u):$(id -g) HOST_FOLDER" >&2
    exit 1
fi
exec dotnet /app/Vae.Api.dll "$@"
