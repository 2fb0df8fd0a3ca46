#!/usr/bin/env bash
# run-local.sh (make run, after `make install` has installed the packages, built the service and
# installed the extension): starts a project-local PostgreSQL in .run/pg (with pg_cron and
# pg_inventory), the loopback Kafka peer (tools/kafka-mock) and inventory-svc, loads
# sample/stock.csv on the first run, and prints the API page (/docs) and commands to try.
# Ctrl-C, SIGTERM and SIGHUP stop the service, kafka-mock and PostgreSQL, also when standard output
# is a closed pipe (`make run | head`, or `make run | tee run.log` with tee gone first): a failed
# write never stops the run nor its clean-up. The data in .run/pg is kept for the next run.
# After a bad exit (kill -9, a killed shell) the next run recovers: a PostgreSQL still running on
# .run/pg is reused on its own port, and the kafka-mock and inventory-svc of the previous run are
# found by their pid files and stopped. One run per data directory at a time.
# When the postgres user cannot reach the checkout (a clone under /root, say), the data lives in
# /var/tmp/pg-inventory-run-<checkout hash> instead, and the script says so.
#   env: RUN_PG_PORT (5433, or the next free port when taken), RUN_HTTP_PORT (8080, or any free
#        port), RUN_DIR (data, logs and pid files; default .run or the /var/tmp directory above)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd -P)
run_dir=${RUN_DIR:-$repo/.run}
if [ -z "${RUN_DIR:-}" ] && [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$repo"; then
    run_dir=/var/tmp/pg-inventory-run-$(printf '%s' "$repo" | md5sum | cut -c1-12)
fi
mkdir -p "$run_dir"
chmod 755 "$run_dir"
run_dir=$(cd "$run_dir" && pwd -P)
pg_dir=$run_dir/pg
pg_port=${RUN_PG_PORT:-5433}
http_port=${RUN_HTTP_PORT:-8080}
database=inventory
service_binary=$repo/build/frontend/inventory-svc
mock_binary=$repo/tools/kafka-mock/kafka-mock
service_pid_file=$run_dir/inventory-svc.pid
mock_pid_file=$run_dir/kafka-mock.pid
run_pid_file=$run_dir/run-local.pid
service_pid=""
kafka_pid=""

# Writes to a closed pipe fail with EPIPE instead of killing this shell (the trap replaces the
# default action of SIGPIPE here only; programs started from here get the default back).
trap : PIPE
# show TEXT prints a line on standard output or, when that write fails (`make run | tee` after tee
# has gone), on standard error; a write that fails there too is dropped. say TEXT prints a step.
show() { printf '%s\n' "$*" 2>/dev/null || printf '%s\n' "$*" >&2 2>/dev/null || true; }
say() { show "$(printf '\033[1m==> %s\033[0m' "$*")"; }

# runs_program PID BINARY: PID is a live process executing BINARY (after a rebuild replaced the
# file, the kernel names it "BINARY (deleted)").
runs_program() {
    local executable
    executable=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    [ "$executable" = "$2" ] || [ "$executable" = "$2 (deleted)" ]
}

# stop_program PID BINARY: SIGTERM, up to 15 s to finish, then SIGKILL; only while PID runs BINARY.
stop_program() {
    runs_program "$1" "$2" || return 0
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 150); do
        runs_program "$1" "$2" || return 0
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
}

# stop_leftover NAME PID_FILE BINARY stops the NAME a previous run left behind, if its pid file
# still names a process running that program.
stop_leftover() {
    local pid
    pid=$(cat "$2" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && runs_program "$pid" "$3"; then
        say "stopping the $1 a previous run left running (pid $pid)"
        stop_program "$pid" "$3"
    fi
    rm -f "$2"
}

# stop_all EXIT_STATUS stops what this run started, PostgreSQL included, and exits. It ignores
# further signals (a second Ctrl-C must not cut it short) and every write error.
stop_all() {
    local status=$1
    trap '' INT TERM HUP
    trap - EXIT
    set +e
    show ""
    if [ -n "$service_pid" ] && runs_program "$service_pid" "$service_binary"; then
        say "stopping inventory-svc"
        stop_program "$service_pid" "$service_binary"
    fi
    if [ -n "$kafka_pid" ] && runs_program "$kafka_pid" "$mock_binary"; then
        say "stopping kafka-mock"
        stop_program "$kafka_pid" "$mock_binary"
    fi
    say "stopping PostgreSQL (data kept in $pg_dir)"
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
    rm -f "$service_pid_file" "$mock_pid_file" "$run_pid_file"
    exit "$status"
}

# port_free PORT: a server could listen on 127.0.0.1:PORT now. Binding is the test: on a busy
# machine a port nobody listens on can still be held by another connection's local end.
port_free() {
    python3 -c 'import socket, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

# --- one run at a time; what a previous run left behind ---------------------------------------------
previous_run=$(cat "$run_pid_file" 2>/dev/null || true)
if [[ $previous_run =~ ^[0-9]+$ ]] && [ "$previous_run" != $$ ] &&
    tr '\0' ' ' <"/proc/$previous_run/cmdline" 2>/dev/null | grep -q 'run-local\.sh'; then
    echo "run-local.sh: another make run (pid $previous_run) is using $run_dir; stop it first (Ctrl-C where it runs)" >&2
    exit 1
fi
echo $$ >"$run_pid_file"
trap 'stop_all 0' INT TERM HUP
trap 'stop_all $?' EXIT

stop_leftover inventory-svc "$service_pid_file" "$service_binary"
stop_leftover kafka-mock "$mock_pid_file" "$mock_binary"

# --- PostgreSQL: the one still running on this data directory, on its own port, or a new start ----
if running_port=$("$repo/scripts/pg-cluster.sh" port "$pg_dir" 2>/dev/null); then
    pg_port=$running_port
    say "reusing the PostgreSQL already running on 127.0.0.1:$pg_port (data in $pg_dir)"
else
    for _ in $(seq 20); do port_free "$pg_port" && break || pg_port=$((pg_port + 1)); done
    say "starting PostgreSQL on 127.0.0.1:$pg_port (data in $pg_dir)"
fi
mkdir -p "$pg_dir"
if ! PGOPTIONS="-c client_min_messages=warning" "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >/dev/null; then
    tail -n 5 "$pg_dir/server.log" >&2 || true
    exit 1
fi
PGOPTIONS="-c client_min_messages=warning" psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" \
    -c "ALTER EXTENSION pg_inventory UPDATE" >/dev/null

if ! port_free "$http_port"; then
    http_port=0
fi
log=$run_dir/service.log
: >"$log"
# Kafka: the loopback peer (tools/kafka-mock), unless KAFKA_BOOTSTRAP_SERVERS points at a real cluster.
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    say "starting kafka-mock (loopback Kafka peer)"
    rm -f "$run_dir/kafka-bootstrap"
    "$mock_binary" --bootstrap-file "$run_dir/kafka-bootstrap" --max-seconds 86400 \
        --topic order.created:4 --topic order.confirmed:4 --topic order.paid:4 --topic order.cancelled:4 \
        --topic order.shipped:4 --topic inventory.updated:4 --topic inventory.alerts:4 \
        --topic inventory.dead-letter:1 >"$run_dir/kafka-mock.log" 2>&1 &
    kafka_pid=$!
    echo "$kafka_pid" >"$mock_pid_file"
    for _ in $(seq 100); do [ -s "$run_dir/kafka-bootstrap" ] && break; sleep 0.1; done
    [ -s "$run_dir/kafka-bootstrap" ] || { say "kafka-mock did not start within 10 s (log: $run_dir/kafka-mock.log)"; exit 1; }
    KAFKA_BOOTSTRAP_SERVERS=$(cat "$run_dir/kafka-bootstrap")
fi
AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 \
    HTTP_PORT=$http_port KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP_SERVERS" \
    "$service_binary" >>"$log" 2>&1 &
service_pid=$!
echo "$service_pid" >"$service_pid_file"
port=""
for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    kill -0 "$service_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { say "inventory-svc did not start listening within 10 s (log: $log)"; exit 1; }
base=http://127.0.0.1:$port

if [ "$(curl -s "$base/v1/stock?limit=1" | jq '.items | length')" = 0 ]; then
    say "loading sample/stock.csv"
    show "$(curl -s -H 'Content-Type: text/csv' --data-binary @"$repo/sample/stock.csv" "$base/v1/stock/import")"
else
    say "reusing the stock already in $pg_dir"
fi

show "$(cat <<EOF

inventory-svc is listening on $base (logs: $log)

Open the API page in a browser: every route, with "Try it out":

  $base/docs

Or try from a shell:

  curl -s $base/v1/stock/prod-001 | jq

  curl -s -X POST $base/v1/reservations -H 'Content-Type: application/json' \\
       -d '{"order_id": "order-1", "lines": [{"product_id": "prod-001", "quantity": 2}]}' | jq

  curl -s -X POST $base/v1/orders/order-1/confirm | jq

Kafka at $KAFKA_BOOTSTRAP_SERVERS (order.* in, inventory.updated / inventory.alerts out, docs/events.md):

  printf 'order-2\t{"orderId":"order-2","items":[{"productId":"prod-001","quantity":1}]}\n' | \\
       kcat -P -b $KAFKA_BOOTSTRAP_SERVERS -t order.created -K \$'\\t'
  kcat -C -b $KAFKA_BOOTSTRAP_SERVERS -t inventory.updated -o beginning -e -f '%k %h %s\\n'

Authentication is OFF here (AUTH_MODE=off: logged as a warning and shown on /ready). To require
JWTs, start the service with AUTH_MODE=jwt, AUTH_JWKS_URL (or AUTH_JWKS_FILE), AUTH_ISSUER and
AUTH_AUDIENCE; docs/security.md has the Keycloak set-up, the scopes, TLS and mTLS.

Press Ctrl-C to stop (PostgreSQL too; the data stays in $pg_dir).
EOF
)"
wait "$service_pid"
