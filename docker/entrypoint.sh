#!/bin/sh
# Container entry point: the service on its configured address, state under /var/lib/vae.
set -e
exec dotnet /app/Vae.Api.dll "$@"
