#!/usr/bin/env bash
# db-entrypoint.sh: entrypoint of the Dockerfile.db image (installed as inventory-db-entrypoint).
# Runs as the postgres user (uid 999), never as root. On the first start it initialises $PGDATA,
# opens host connections with password authentication, starts a socket-only temporary server,
# creates the database, pg_cron and pg_inventory (migrate-extension.sql) and the login roles
# (create-login-roles.sql), and stops it again. On every start it rewrites pg_inventory.conf
# (pg_cron preloaded, cron.database_name = the database) and then becomes the postgres server.
# Environment (defaults in docs/configuration.md):
#   POSTGRES_PASSWORD          superuser password; required on the first start unless
#                              POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_HOST_AUTH_METHOD  pg_hba method for host connections (scram-sha-256)
#   POSTGRES_DB                the database that holds the extensions (inventory); must not change
#                              after the first start, as pg_cron's database is set from it
#   POSTGRES_LISTEN_ADDRESSES  listen_addresses ('*')
#   POSTGRES_SOCKET_DIR        unix_socket_directories (/var/run/postgresql)
#   INVENTORY_SVC_PASSWORD     when set, login role inventory_svc (member of inventory_admin)
#   INVENTORY_WORKER_PASSWORD  when set, login role inventory_worker_svc (consumer+relay: member of
#                              inventory_admin and inventory_relay)
#   PGDATA, PGPORT             as for PostgreSQL itself
# Any command other than "postgres" runs as given (for instance psql for the migration Job).
set -Eeuo pipefail

share_dir=${INVENTORY_SHARE_DIR:-/usr/local/share/pg-inventory}

fail() {
    echo "inventory-db-entrypoint: $*" >&2
    exit 1
}

if [ "${1:-postgres}" != postgres ]; then
    exec "$@"
fi
[ $# -gt 0 ] && shift

[ "$(id -u)" != 0 ] || fail "run as the postgres user (uid 999), not as root"
: "${PGDATA:?PGDATA must name the data directory}"
database=${POSTGRES_DB:-inventory}
socket_dir=${POSTGRES_SOCKET_DIR:-/var/run/postgresql}
host_auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
[[ $database =~ ^[a-z_][a-z0-9_]{0,62}$ ]] || fail "POSTGRES_DB must be a lower-case SQL identifier, got '$database'"
[[ $host_auth =~ ^(scram-sha-256|md5|trust)$ ]] \
    || fail "POSTGRES_HOST_AUTH_METHOD must be scram-sha-256, md5 or trust, got '$host_auth'"

# write_settings rewrites the settings this image owns; postgresql.conf includes the file, and
# ALTER SYSTEM (postgresql.auto.conf) still overrides any of them.
write_settings() {
    cat >"$PGDATA/pg_inventory.conf" <<CONF
# Written by inventory-db-entrypoint at every start; change the environment, not this file.
listen_addresses = '${POSTGRES_LISTEN_ADDRESSES:-*}'
unix_socket_directories = '$socket_dir'
shared_preload_libraries = 'pg_cron'
cron.database_name = '$database'
cron.use_background_workers = on
max_worker_processes = 16
CONF
}

# as_superuser runs psql over the socket as postgres (peer authentication).
as_superuser() {
    psql -X -q -v ON_ERROR_STOP=1 --host="$socket_dir" --username=postgres "$@"
}

initialise() {
    if [ "$host_auth" != trust ] && [ -z "${POSTGRES_PASSWORD:-}" ]; then
        fail "POSTGRES_PASSWORD is required to initialise $PGDATA (or set POSTGRES_HOST_AUTH_METHOD=trust for a throwaway cluster)"
    fi
    mkdir -p "$PGDATA"
    chmod 0700 "$PGDATA"
    local initdb_options=(--pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8
                          --auth-local=peer --auth-host="$host_auth")
    if [ -n "${POSTGRES_PASSWORD:-}" ]; then
        initdb "${initdb_options[@]}" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") >/dev/null
    else
        initdb "${initdb_options[@]}" >/dev/null
    fi
    echo "include_if_exists = 'pg_inventory.conf'" >>"$PGDATA/postgresql.conf"
    printf 'host all all 0.0.0.0/0 %s\nhost all all ::/0 %s\n' "$host_auth" "$host_auth" >>"$PGDATA/pg_hba.conf"
    write_settings

    pg_ctl --pgdata="$PGDATA" --wait --timeout=60 --silent \
        --options="-c listen_addresses='' -c unix_socket_directories='$socket_dir'" start >/dev/null
    if [ "$database" != postgres ]; then
        as_superuser --dbname=postgres -c "CREATE DATABASE $database"
    fi
    as_superuser --dbname="$database" -f "$share_dir/migrate-extension.sql" >/dev/null
    as_superuser --dbname="$database" \
        -v create_svc_role="$([ -n "${INVENTORY_SVC_PASSWORD:-}" ] && echo true || echo false)" \
        -v svc_password="${INVENTORY_SVC_PASSWORD:-}" \
        -v create_worker_role="$([ -n "${INVENTORY_WORKER_PASSWORD:-}" ] && echo true || echo false)" \
        -v worker_password="${INVENTORY_WORKER_PASSWORD:-}" \
        -f "$share_dir/create-login-roles.sql"
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait --silent stop >/dev/null
    echo "inventory-db-entrypoint: initialised $PGDATA with database $database, pg_cron and pg_inventory" >&2
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initialise
fi
write_settings
exec postgres -D "$PGDATA" "$@"
