#!/usr/bin/env bash
# citus-cluster.sh: a throwaway Citus cluster on loopback for tests and benchmarks: a coordinator and
# two workers, each a PostgreSQL 15 owned by the postgres OS user, with pg_inventory's tables
# distributed by product exactly as docs/operations.md ("Sharding by product on Citus") says.
# Citus is not a Debian package: this script uses the Citus already installed in the PostgreSQL of
# the pg_config first on PATH, and never installs it.
#   citus-cluster.sh available              exit 0 when Citus is installed in that PostgreSQL
#   citus-cluster.sh start DIR DATABASE     initdb when needed, start the three nodes, then make
#                                           DATABASE (the pg_cron database) as below
#   citus-cluster.sh database DIR DATABASE  make another database on the running cluster, afresh:
#                                           Citus on every node, the workers registered,
#                                           pg_inventory created and distributed (no pg_cron: one
#                                           database has it)
#   citus-cluster.sh drop-database DIR DATABASE  drop a database on every node
#   citus-cluster.sh stop DIR               fast shutdown of the three nodes
#   citus-cluster.sh ports                  prints the coordinator's and the workers' ports
# Ports: CITUS_COORDINATOR_PORT (default 25700), CITUS_WORKER1_PORT (25701), CITUS_WORKER2_PORT
# (25702). Extra postgresql.conf lines for every node: CITUS_EXTRA_CONF.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=$(pg_config --bindir)
coordinator_port=${CITUS_COORDINATOR_PORT:-25700}
worker_ports=("${CITUS_WORKER1_PORT:-25701}" "${CITUS_WORKER2_PORT:-25702}")
usage="usage: citus-cluster.sh available | start DIR DATABASE | database DIR DATABASE | drop-database DIR DATABASE | stop DIR | ports"
action=${1:?$usage}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
psql_node() {  # psql_node PORT DATABASE ARGS...
    local port=$1 database=$2
    shift 2
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$database" "$@"
}
citus_installed() { [ -f "$(pg_config --pkglibdir)/citus.so" ] && [ -f "$(pg_config --sharedir)/extension/citus.control" ]; }

# The settings every node needs: Citus first in shared_preload_libraries (pg_cron on the
# coordinator only), prepared transactions for writes that span nodes, and the same inventory.*
# values everywhere, because a call routed to a worker runs with the worker's settings.
node_conf() {  # node_conf PORT DIR ROLE CRON_DATABASE
    local libraries="'citus'"
    [ "$3" = coordinator ] && libraries="'citus,pg_cron'"
    cat <<CONF
port = $1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$2'
max_connections = 300
shared_preload_libraries = $libraries
max_prepared_transactions = 300
max_worker_processes = 32
wal_level = logical
citus.enable_statistics_collection = off
citus.enable_binary_protocol = off
inventory.reservation_ttl = '15min'
inventory.updated_topic = 'inventory.updated'
inventory.alerts_topic = 'inventory.alerts'
inventory.notify_channel = ''
fsync = ${PG_FSYNC:-on}
${CITUS_EXTRA_CONF:-}
CONF
    if [ "$3" = coordinator ]; then
        echo "cron.database_name = '$4'"
        echo "cron.use_background_workers = on"
    fi
}

start_node() {  # start_node DIR PORT ROLE CRON_DATABASE
    local dir=$1 port=$2
    if [ ! -s "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir/data"
        chown -R postgres:postgres "$dir"
        (cd / && as_postgres "$PGBIN/initdb" -D "$dir/data" --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log")
    fi
    # Our settings in a file of their own: postgresql.auto.conf keeps what CREATE EXTENSION citus
    # set with ALTER SYSTEM (ssl and its certificate: Citus connects to the nodes with sslmode=require).
    node_conf "$port" "$dir" "$3" "$4" >"$dir/data/citus-cluster.conf"
    grep -qx "include 'citus-cluster.conf'" "$dir/data/postgresql.conf" ||
        echo "include 'citus-cluster.conf'" >>"$dir/data/postgresql.conf"
    chown postgres:postgres "$dir/data/citus-cluster.conf" "$dir/data/postgresql.conf"
    if ! as_postgres "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        (cd / && as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null)
    fi
}

# make_database DATABASE WITH_CRON: the database on every node with Citus, the workers registered
# with the coordinator, pg_cron (created without propagation) when asked, then pg_inventory created
# on the coordinator (Citus creates it on the workers) and distributed by the statements of
# docs/operations.md.
make_database() {
    local database=$1 with_cron=$2 port
    for port in "$coordinator_port" "${worker_ports[@]}"; do
        if ! psql_node "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
            psql_node "$port" postgres -c "CREATE DATABASE \"$database\""
        fi
        psql_node "$port" "$database" -c "CREATE EXTENSION IF NOT EXISTS citus"
    done
    psql_node "$coordinator_port" "$database" -c "SELECT citus_set_coordinator_host('127.0.0.1', $coordinator_port)" >/dev/null
    for port in "${worker_ports[@]}"; do
        psql_node "$coordinator_port" "$database" -c "SELECT citus_add_node('127.0.0.1', $port)" >/dev/null
    done
    if [ "$with_cron" = yes ]; then
        psql_node "$coordinator_port" "$database" -c "SET citus.enable_ddl_propagation = off" \
            -c "CREATE EXTENSION IF NOT EXISTS pg_cron"
    fi
    if ! psql_node "$coordinator_port" "$database" -tAc "SELECT 1 FROM pg_extension WHERE extname = 'pg_inventory'" | grep -q 1; then
        psql_node "$coordinator_port" "$database" -c "CREATE EXTENSION pg_inventory"
        distribution_statements | psql_node "$coordinator_port" "$database" >/dev/null
    fi
}

# drop_database DATABASE drops it on the workers, then on the coordinator.
drop_database() {
    local port
    for port in "${worker_ports[@]}" "$coordinator_port"; do
        psql_node "$port" postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
    done
}

# distribution_statements prints the SQL block of docs/operations.md that distributes the tables and
# routes the functions, so the cluster runs exactly what the documentation says.
distribution_statements() {
    awk '/<!-- citus-distribution -->/ { found = 1; next }
         found && /^```sql/ { inside = 1; next }
         inside && /^```/ { exit }
         inside' "$root/docs/operations.md"
}

case "$action" in
available)
    citus_installed
    ;;
start)
    dir=$(realpath -m "${2:?directory required}")
    database=${3:?database required}
    citus_installed || { echo "citus-cluster.sh: Citus is not installed in $(pg_config --bindir)/.." >&2; exit 1; }
    mkdir -p "$dir"
    chmod 755 "$dir"
    start_node "$dir/coordinator" "$coordinator_port" coordinator "$database"
    start_node "$dir/worker1" "${worker_ports[0]}" worker "$database"
    start_node "$dir/worker2" "${worker_ports[1]}" worker "$database"
    make_database "$database" yes
    ;;
database)
    drop_database "${3:?database required}"
    make_database "$3" no
    ;;
drop-database)
    drop_database "${3:?database required}"
    ;;
stop)
    dir=$(realpath -m "${2:?directory required}")
    for node in coordinator worker1 worker2; do
        if [ -s "$dir/$node/data/PG_VERSION" ]; then
            (cd / && as_postgres "$PGBIN/pg_ctl" -D "$dir/$node/data" -m fast -w stop >/dev/null 2>&1) || true
        fi
    done
    ;;
ports)
    echo "$coordinator_port ${worker_ports[*]}"
    ;;
*)
    echo "$usage" >&2
    exit 2
    ;;
esac
