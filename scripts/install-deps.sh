#!/usr/bin/env bash
# install-deps.sh: installs every Debian 12 package the project builds, tests, runs and benchmarks
# with. Idempotent: does nothing when all are present. apt-get as root, through sudo otherwise.
set -euo pipefail

packages=(
    build-essential cmake pkg-config curl jq ca-certificates
    postgresql-15 postgresql-client-15 postgresql-server-dev-15
    postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
    libpqxx-dev libpistache-dev librdkafka-dev nlohmann-json3-dev libgtest-dev libgmock-dev
    kcat wrk
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
# The postgresql package starts a default cluster on 5432; the project never uses it.
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
