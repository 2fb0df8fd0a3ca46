#!/usr/bin/env bash
# run.sh: delivery checks for pg_inventory (issue 6), with no container engine. The static half
# (checks.mjs) lints Dockerfile.svc and Dockerfile.db, proves their build steps are commands that
# `make test` runs, validates every manifest under k8s/ against the Kubernetes schemas and compares
# probes, ports, variables and metric names with the service's source. The running half executes
# what the images would execute: docker/db-entrypoint.sh initialises and restarts a real cluster as
# the postgres user, the migration Job's SQL runs twice, and the built inventory-svc starts with
# each Deployment's environment against that cluster: the REST role answers the image's health
# check and /ready, serves the metrics the alerts use and the API page /docs from the binary alone;
# the consumer+relay role, against the loopback Kafka peer of tools/kafka-mock, takes the relay lock
# and publishes the outbox; both stop cleanly on SIGTERM.
# Prints one line per check and ends with "N passed, N failed"; exits non-zero on any failure.
# Needs `make install` first (extension installed, service built). The only network use is
# `npm ci` against the npm registry, and only when node_modules is missing or older than the lock.
# Environment: INVENTORY_SVC_BINARY (default build/frontend/inventory-svc), DELIVERY_PG_PORT (25611).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/pg-inventory-delivery.XXXXXX)
chmod 755 "$work"
port=${DELIVERY_PG_PORT:-25611}
binary=${INVENTORY_SVC_BINARY:-$root/build/frontend/inventory-svc}
pgbin=$(pg_config --bindir)
passed=0
failed=0
db_pid=""
svc_pid=""
mock_pid=""

# pass NAME [NOTE] / failure NAME REASON print one check line and count it.
pass() {
    echo "ok: $1${2:+ ($2)}"
    passed=$((passed + 1))
}
failure() {
    echo "FAIL: $1 -- $2"
    failed=$((failed + 1))
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}

cleanup() {
    if [ -n "$svc_pid" ] && kill -0 "$svc_pid" 2>/dev/null; then kill -TERM "$svc_pid"; wait "$svc_pid" 2>/dev/null; fi
    if [ -n "$mock_pid" ] && kill -0 "$mock_pid" 2>/dev/null; then kill -TERM "$mock_pid"; wait "$mock_pid" 2>/dev/null; fi
    if [ -s "$work/db/data/pgdata/PG_VERSION" ]; then
        (cd / && as_postgres "$pgbin/pg_ctl" -D "$work/db/data/pgdata" -m immediate -w stop >/dev/null 2>&1)
    fi
    if [ -n "$db_pid" ]; then wait "$db_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT

# --- npm packages (the linters and schema validators) -------------------------------------------
if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    if (cd "$here" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1; then
        pass "npm ci installed the delivery tools"
    else
        failure "npm ci installed the delivery tools" "$(tail -n 3 "$work/npm.log" | tr '\n' ' ')"
        finish
    fi
fi

# --- static checks ------------------------------------------------------------------------------
timeout 120 node "$here/checks.mjs" "$work/static-totals"
if read -r static_passed static_failed <"$work/static-totals" 2>/dev/null; then
    passed=$((passed + static_passed))
    failed=$((failed + static_failed))
else
    failure "static checks (checks.mjs)" "did not finish"
fi

# --- the database image's entrypoint, run as the image runs it -----------------------------------
# The postgres user runs it, from a copy in the scratch directory: the checkout's path may not be
# searchable by postgres (a clone under /root or a mktemp directory).
cp -r "$root/docker" "$work/docker"
chmod -R a+rX "$work/docker"
db_env=(PATH="$pgbin:/usr/bin:/bin" PGDATA="$work/db/data/pgdata" PGPORT="$port" POSTGRES_DB=inventory
        POSTGRES_PASSWORD=example-superuser-password INVENTORY_SVC_PASSWORD=example-svc-password
        INVENTORY_WORKER_PASSWORD=example-worker-password
        POSTGRES_SOCKET_DIR="$work/db/run" POSTGRES_LISTEN_ADDRESSES=127.0.0.1
        INVENTORY_SHARE_DIR="$work/docker")

# start_database LOG starts the entrypoint in the background and waits until it accepts connections.
start_database() {
    (cd / && as_postgres env -i "${db_env[@]}" timeout 600 "$work/docker/db-entrypoint.sh" postgres) >"$1" 2>&1 &
    db_pid=$!
    for _ in $(seq 1 120); do
        if PGCONNECT_TIMEOUT=2 "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" -d inventory; then return 0; fi
        kill -0 "$db_pid" 2>/dev/null || return 1
        sleep 0.5
    done
    return 1
}
stop_database() {
    (cd / && as_postgres "$pgbin/pg_ctl" -D "$work/db/data/pgdata" -m fast -w -t 60 stop >/dev/null 2>&1)
    wait "$db_pid" 2>/dev/null
    db_pid=""
}
superuser_sql() {
    PGPASSWORD=example-superuser-password psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d inventory "$@"
}
service_sql() {
    PGPASSWORD=example-svc-password psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U inventory_svc -d inventory "$@"
}

mkdir -p "$work/db/data" "$work/db/run"
chown -R postgres:postgres "$work/db" 2>/dev/null || sudo -n chown -R postgres:postgres "$work/db" 2>/dev/null
database_up=false
if [ ! -x "$pgbin/postgres" ] || ! ls /usr/share/postgresql/15/extension/pg_inventory.control >/dev/null 2>&1; then
    failure "db entrypoint initialises a cluster" "PostgreSQL 15 or the extension is not installed (make install)"
elif start_database "$work/db/first-start.log"; then
    database_up=true
    settings=$(superuser_sql -c "SELECT current_setting('shared_preload_libraries') || ' ' || current_setting('cron.database_name')" 2>&1)
    extensions=$(superuser_sql -c "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension" 2>&1)
    if [ "$settings" = "pg_cron inventory" ] && [ "$extensions" = "pg_cron,pg_inventory,plpgsql" ]; then
        pass "db entrypoint initialises a cluster with pg_cron preloaded and both extensions" "$extensions"
    else
        failure "db entrypoint initialises a cluster with pg_cron preloaded and both extensions" "settings '$settings', extensions '$extensions'"
    fi
    reaper=$(superuser_sql -c "SELECT schedule FROM cron.job WHERE jobname = 'inventory-expire-reservations'" 2>&1)
    if [ "$reaper" = "* * * * *" ]; then pass "db entrypoint leaves the reaper scheduled every minute"; else failure "db entrypoint leaves the reaper scheduled every minute" "cron.job says '$reaper'"; fi
    membership=$(service_sql -c "SELECT pg_has_role('inventory_admin', 'MEMBER') AND NOT pg_has_role('inventory_relay', 'MEMBER') AND NOT rolsuper FROM pg_roles WHERE rolname = current_user" 2>&1)
    if [ "$membership" = t ]; then
        pass "login role inventory_svc authenticates with its password over TCP and holds inventory_admin only"
    else
        failure "login role inventory_svc authenticates with its password over TCP and holds inventory_admin only" "$membership"
    fi
    membership=$(PGPASSWORD=example-worker-password psql -X -q -At -h 127.0.0.1 -p "$port" -U inventory_worker_svc -d inventory \
        -c "SELECT pg_has_role('inventory_admin', 'MEMBER') AND pg_has_role('inventory_relay', 'MEMBER') AND NOT rolsuper FROM pg_roles WHERE rolname = current_user" 2>&1)
    if [ "$membership" = t ]; then
        pass "login role inventory_worker_svc authenticates and holds inventory_admin and inventory_relay"
    else
        failure "login role inventory_worker_svc authenticates and holds inventory_admin and inventory_relay" "$membership"
    fi
    # The migration Job runs the same file with libpq variables; twice must be harmless.
    migrate_output=""
    migrate_status=0
    for _ in 1 2; do
        migrate_output=$(PGHOST=127.0.0.1 PGPORT=$port PGDATABASE=inventory PGUSER=postgres PGPASSWORD=example-superuser-password \
            PGCONNECT_TIMEOUT=5 PGAPPNAME=inventory-migrate-extension \
            timeout 60 psql --no-psqlrc --set=ON_ERROR_STOP=1 --file="$root/docker/migrate-extension.sql" 2>&1) || migrate_status=$?
    done
    installed_version=$(superuser_sql -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_inventory'" 2>&1)
    if [ "$migrate_status" -eq 0 ] && grep -q "$installed_version" <<<"$migrate_output"; then
        pass "migration Job SQL runs twice without error" "pg_inventory $installed_version"
    else
        failure "migration Job SQL runs twice without error" "$(tr '\n' ' ' <<<"$migrate_output" | cut -c1-300)"
    fi
    stop_database
    if start_database "$work/db/second-start.log" && ! grep -q initialised "$work/db/second-start.log"; then
        pass "db entrypoint restarts on an initialised data directory without initialising again"
    else
        database_up=false
        failure "db entrypoint restarts on an initialised data directory without initialising again" "$(tail -n 3 "$work/db/second-start.log" | tr '\n' ' ')"
    fi
else
    failure "db entrypoint initialises a cluster" "$(tail -n 5 "$work/db/first-start.log" | tr '\n' ' ')"
fi

# --- the service, started with exactly the environment its Deployment gives it ---------------------
configmap_env=$(cd "$here" && timeout 30 node deployment-env.cjs "$root/k8s" "$root/k8s/base/deployment-rest.yaml" 2>&1)
expected_version=$(sed -n 's/^EXPECTED_EXTENSION_VERSION=//p' <<<"$configmap_env")
control_version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$root/extension/pg_inventory.control")
if [ -z "$expected_version" ]; then
    pass "ConfigMap leaves EXPECTED_EXTENSION_VERSION to the build" "pg_inventory.control says $control_version"
elif [ "$expected_version" = "$control_version" ]; then
    pass "ConfigMap EXPECTED_EXTENSION_VERSION is the version in pg_inventory.control" "$control_version"
else
    failure "ConfigMap EXPECTED_EXTENSION_VERSION is the version in pg_inventory.control" "ConfigMap '$expected_version', control file '$control_version'"
fi

# start_service NAME DEPLOYMENT DATABASE_URL [NAME=VALUE...] starts the built service with the
# Deployment's environment, on loopback and a free port instead of 0.0.0.0:8080 (a test listens
# only where it talks), and waits for its "listening" line. Sets svc_pid and http_port.
start_service() {
    local name=$1 deployment=$2 url=$3
    shift 3
    local environment
    environment=$(cd "$here" && timeout 30 node deployment-env.cjs "$root/k8s" "$deployment" 2>&1) || {
        failure "$name starts with its Deployment's environment" "$environment"
        return 1
    }
    mapfile -t pod_env <<<"$environment"
    env -i "${pod_env[@]}" HTTP_HOST=127.0.0.1 HTTP_PORT=0 DATABASE_URL="$url" "$@" \
        timeout 120 "$binary" >"$work/$name.log" 2>&1 &
    svc_pid=$!
    http_port=""
    for _ in $(seq 1 100); do
        http_port=$(grep -m1 '"listening"' "$work/$name.log" | sed -nE 's/.*"port":([0-9]+).*/\1/p')
        [ -n "$http_port" ] && break
        kill -0 "$svc_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$http_port" ]; then
        failure "$name starts with its Deployment's environment" "$(tail -n 3 "$work/$name.log" | tr '\n' ' ' | cut -c1-300)"
        return 1
    fi
    pass "$name starts with its Deployment's environment" "port $http_port"
}

# wait_ready NAME: /ready must answer 200 against the image's database.
wait_ready() {
    local ready=""
    for _ in $(seq 1 20); do
        ready=$(curl -s --max-time 10 -o "$work/ready.json" -w '%{http_code}' "http://127.0.0.1:$http_port/ready")
        [ "$ready" = 200 ] && break
        sleep 0.5
    done
    if [ "$ready" = 200 ]; then
        pass "$1: readiness probe /ready answers 200 against the image's database" "$(tr -d '\n' <"$work/ready.json")"
    else
        failure "$1: readiness probe /ready answers 200 against the image's database" "HTTP $ready: $(tr -d '\n' <"$work/ready.json" 2>/dev/null)"
    fi
}

# stop_service NAME: SIGTERM must stop it with exit 0 within SHUTDOWN_TIMEOUT_S.
stop_service() {
    local started=$SECONDS status limit
    kill -TERM "$svc_pid"
    wait "$svc_pid"
    status=$?
    svc_pid=""
    limit=$(sed -n 's/^SHUTDOWN_TIMEOUT_S=//p' <<<"$configmap_env")
    if [ "$status" -eq 0 ] && [ $((SECONDS - started)) -le "${limit:-20}" ]; then
        pass "$1: SIGTERM stops it with exit 0 within SHUTDOWN_TIMEOUT_S" "$((SECONDS - started)) s"
    else
        failure "$1: SIGTERM stops it with exit 0 within SHUTDOWN_TIMEOUT_S" "exit $status after $((SECONDS - started)) s"
    fi
}

if [ ! -x "$binary" ]; then
    failure "the service's runtime checks" "$binary is not built (make build)"
elif [ "$database_up" != true ]; then
    failure "the service's runtime checks" "no database to start against"
else
    if start_service "REST role" "$root/k8s/base/deployment-rest.yaml" \
        "postgresql://inventory_svc:example-svc-password@127.0.0.1:$port/inventory"; then
        if HTTP_HOST=0.0.0.0 HTTP_PORT=$http_port timeout 10 "$root/docker/svc-healthcheck.sh"; then
            pass "the svc image's HEALTHCHECK script accepts the running service"
        else
            failure "the svc image's HEALTHCHECK script accepts the running service" "exit $?"
        fi
        wait_ready "REST role"
        reserve=$(curl -s --max-time 10 -o "$work/reserve.json" -w '%{http_code}' -H 'Content-Type: application/json' \
            -d '{"order_id":"delivery-check","lines":[{"product_id":"delivery-check-unknown","quantity":1}]}' \
            "http://127.0.0.1:$http_port/v1/reservations")
        if [ "$reserve" = 404 ] || [ "$reserve" = 409 ]; then
            pass "REST role: inventory_svc's grants suffice for a reservation call" "HTTP $reserve for an unknown product"
        else
            failure "REST role: inventory_svc's grants suffice for a reservation call" "HTTP $reserve: $(tr -d '\n' <"$work/reserve.json" | cut -c1-200)"
        fi
        curl -s --max-time 10 "http://127.0.0.1:$http_port/metrics" >"$work/metrics.txt"
        declared=$(grep -oE '# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* ' "$root/frontend/src/observability/metrics.cpp" | awk '{print $3}' | sort -u)
        served=$(grep -oE '^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* ' "$work/metrics.txt" | awk '{print $3}' | sort -u)
        missing=$(comm -23 <(echo "$declared") <(echo "$served") | tr '\n' ' ')
        if [ -n "$declared" ] && [ -z "$missing" ]; then
            pass "REST role: GET /metrics serves every family the REST alerts and dashboard may use" "$(wc -w <<<"$declared") families"
        else
            failure "REST role: GET /metrics serves every family the REST alerts and dashboard may use" "missing: $missing"
        fi
        # The runtime stage copies the binary alone: the API page and every file it loads must come from it.
        page_status=$(curl -s --max-time 10 -o "$work/docs.html" -w '%{http_code}' "http://127.0.0.1:$http_port/docs")
        page_assets=$(grep -oE '(href|src)="docs/[^"]+"' "$work/docs.html" 2>/dev/null | sed -E 's/^(href|src)="//; s/"$//')
        missing_assets=""
        for asset in $page_assets; do
            asset_status=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/$asset")
            [ "$asset_status" = 200 ] || missing_assets+="$asset ($asset_status) "
        done
        if [ "$page_status" = 200 ] && [ -n "$page_assets" ] && [ -z "$missing_assets" ]; then
            pass "REST role: the API page /docs and the $(wc -w <<<"$page_assets") files it loads come from the binary alone"
        else
            failure "REST role: the API page /docs and the files it loads come from the binary alone" "page HTTP $page_status; $missing_assets"
        fi
        stop_service "REST role"
    fi

    # The consumer+relay role against the loopback Kafka peer the project ships (tools/kafka-mock).
    mock=$root/tools/kafka-mock/kafka-mock
    [ -x "$mock" ] || make -s -C "$root/tools/kafka-mock" >"$work/kafka-mock-build.log" 2>&1
    if [ ! -x "$mock" ]; then
        failure "consumer+relay role: a loopback Kafka peer runs" "tools/kafka-mock could not be built: $(tail -n 2 "$work/kafka-mock-build.log" | tr '\n' ' ')"
    else
        "$mock" --brokers 1 --bootstrap-file "$work/kafka.bootstrap" --max-seconds 120 >"$work/kafka-mock.log" 2>&1 &
        mock_pid=$!
        for _ in $(seq 1 50); do [ -s "$work/kafka.bootstrap" ] && break; sleep 0.1; done
        if [ -s "$work/kafka.bootstrap" ] && start_service "consumer+relay role" "$root/k8s/kafka/deployment-worker.yaml" \
            "postgresql://inventory_worker_svc:example-worker-password@127.0.0.1:$port/inventory" \
            KAFKA_BOOTSTRAP_SERVERS="$(tr -d '\n' <"$work/kafka.bootstrap")"; then
            wait_ready "consumer+relay role"
            superuser_sql -c "SELECT 1 FROM inventory_set_stock('delivery-check', 5)" >/dev/null 2>&1
            relay_state=""
            for _ in $(seq 1 60); do
                curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" >"$work/worker-metrics.txt"
                relay_state=$(grep -E '^inventory_(relay_leader|relay_published_total|outbox_backlog) ' "$work/worker-metrics.txt" | tr '\n' ' ')
                if grep -q '^inventory_relay_leader 1' "$work/worker-metrics.txt" \
                    && grep -qE '^inventory_relay_published_total [1-9]' "$work/worker-metrics.txt" \
                    && grep -q '^inventory_outbox_backlog 0' "$work/worker-metrics.txt"; then
                    break
                fi
                relay_state="not yet: $relay_state"
                sleep 0.5
            done
            if [[ $relay_state != "not yet"* ]] && [ -n "$relay_state" ]; then
                pass "consumer+relay role: leads the relay and publishes the outbox with inventory_worker_svc's grants" "$relay_state"
            else
                failure "consumer+relay role: leads the relay and publishes the outbox with inventory_worker_svc's grants" "${relay_state:-no metrics}; $(grep -i error "$work/consumer+relay role.log" | tail -n 2 | cut -c1-200 | tr '\n' ' ')"
            fi
            stop_service "consumer+relay role"
        fi
        kill -TERM "$mock_pid" 2>/dev/null
        wait "$mock_pid" 2>/dev/null
        mock_pid=""
    fi
fi

finish
