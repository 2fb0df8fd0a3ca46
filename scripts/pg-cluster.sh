#!/usr/bin/env bash
# pg-cluster.sh: starts and stops a throwaway or project-local PostgreSQL 15 cluster with pg_cron,
# owned by the postgres OS user, listening on 127.0.0.1 and a socket inside its directory.
#   pg-cluster.sh start DIR PORT DATABASE   initdb when needed, start, create DATABASE with
#                                           pg_cron and pg_inventory (idempotent)
#   pg-cluster.sh stop DIR                  fast shutdown
#   pg-cluster.sh port DIR                  prints the port of the server running on DIR (from its
#                                           postmaster.pid); fails when none runs there
# Extra postgresql.conf lines can be passed in PG_EXTRA_CONF.
set -euo pipefail

# The server binaries of the pg_config first on PATH (Debian: /usr/lib/postgresql/15/bin).
PGBIN=$(pg_config --bindir)
action=${1:?usage: pg-cluster.sh start DIR PORT DATABASE | stop DIR | port DIR}
dir=$(realpath -m "${2:?directory required}")

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

case "$action" in
start)
    port=${3:?port required}
    database=${4:?database required}
    if [ ! -s "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir/data"
        chown -R postgres:postgres "$dir" 2>/dev/null || sudo chown -R postgres:postgres "$dir"
        if ! as_postgres test -w "$dir/data"; then
            echo "pg-cluster.sh: PostgreSQL runs as the postgres user, which cannot reach $dir:" \
                "a parent directory is not searchable (for instance /root or a mktemp directory)." \
                "Put the project under a searchable directory, or chmod o+x its parents." >&2
            exit 1
        fi
        (cd / && as_postgres "$PGBIN/initdb" -D "$dir/data" --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log")
    fi
    cat >"$dir/data/postgresql.auto.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
shared_preload_libraries = 'pg_cron'
cron.database_name = '$database'
cron.use_background_workers = on
max_worker_processes = 16
fsync = ${PG_FSYNC:-on}
${PG_EXTRA_CONF:-}
CONF
    chown postgres:postgres "$dir/data/postgresql.auto.conf" 2>/dev/null || true
    if ! as_postgres "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        (cd / && as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null)
    fi
    psql_local() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
    if ! psql_local -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
        psql_local -d postgres -c "CREATE DATABASE \"$database\""
    fi
    psql_local -d "$database" -c "CREATE EXTENSION IF NOT EXISTS pg_cron" \
        -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS pg_inventory"
    ;;
stop)
    if [ -s "$dir/data/PG_VERSION" ]; then
        (cd / && as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1) || true
    fi
    ;;
port)
    (cd / && as_postgres "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1) || exit 1
    running_port=$(cd / && as_postgres sed -n 4p "$dir/data/postmaster.pid")
    [[ $running_port =~ ^[0-9]+$ ]] || exit 1
    echo "$running_port"
    ;;
*)
    echo "usage: pg-cluster.sh start DIR PORT DATABASE | stop DIR | port DIR" >&2
    exit 2
    ;;
esac
