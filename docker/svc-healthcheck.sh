#!/usr/bin/env bash
# svc-healthcheck.sh: the HEALTHCHECK of the Dockerfile.svc image (installed as
# inventory-svc-healthcheck). Asks the service's own GET /health over loopback with bash's /dev/tcp,
# so the runtime image needs no curl; exits 0 only on an HTTP 200. /health means "process alive";
# readiness (/ready, database reachable) is the orchestrator's business, not the container's.
# With TLS_CERT_FILE set the listener speaks HTTPS, which this check cannot: rely on the
# orchestrator's probes (scheme HTTPS) there, or run the container with --no-healthcheck.
set -euo pipefail

host=${HTTP_HOST:-127.0.0.1}
[ "$host" = 0.0.0.0 ] && host=127.0.0.1
port=${HTTP_PORT:-8080}

exec 3<>"/dev/tcp/$host/$port"
printf 'GET /health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
IFS= read -r -t 2 status_line <&3
exec 3<&-
[[ $status_line =~ ^HTTP/1\.[01]\ 200\  ]]
