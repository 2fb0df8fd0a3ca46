#!/usr/bin/env bash
# install-deps.sh: installs every Debian 12 package the project builds, tests, runs and benchmarks
# with. Idempotent: does nothing when all are present. apt-get as root, through sudo otherwise.
set -euo pipefail

packages=(
    build-essential cmake pkg-config curl jq bc python3 openssl ca-certificates clang-14 libclang-rt-14-dev
    postgresql-15 postgresql-client-15 postgresql-server-dev-15
    postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
    libpqxx-dev libpistache-dev librdkafka-dev nlohmann-json3-dev libgtest-dev libgmock-dev
    libjwt-dev libcurl4-openssl-dev libssl-dev
    kcat wrk chromium valgrind
)
# npm installs the /docs page's Swagger UI at build time (frontend/api-docs, so the image build
# stage needs it too) and the tools of the delivery checks and the browser test. The machine image
# usually ships Node.js and npm; Debian's packages otherwise.
if ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    # The postgresql package starts a default cluster on 5432; the project never uses it.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The npm tools of the delivery checks and of the browser test of /docs, each pinned by its
# package-lock.json (absent from the image build stages, which copy no tests).
for tools in "$(dirname "$0")"/../tests/delivery "$(dirname "$0")"/../tests/docs; do
    if [ -f "$tools/package.json" ] && [ ! -d "$tools/node_modules" ]; then
        npm ci --prefix "$tools" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    fi
done
