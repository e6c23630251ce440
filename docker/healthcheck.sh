#!/bin/bash
# The image's health check: GET /health on the service's own port; healthy on 200 (503 names what is
# down: the database or the job scheduler). Plain bash, since the .NET runtime images have no curl.
url="${ASPNETCORE_URLS%%;*}"
port="${url##*:}"
port="${port%%/*}"
[[ "$port" =~ ^[0-9]+$ ]] || port=5080
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
read -r _ code _ <&3
[ "$code" = 200 ]
