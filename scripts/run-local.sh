#!/usr/bin/env bash
# run-local.sh (make run, after `make install` has installed the packages, built the service and
# installed the extension): starts a project-local PostgreSQL in .run/pg (with pg_cron and
# pg_inventory), starts inventory-svc, loads sample/stock.csv on the first run, and prints curl
# commands to try.
# Ctrl-C stops the service and PostgreSQL; running it again reuses the data in .run/pg. When the
# postgres user cannot reach the checkout (a clone under /root, say), the data lives in
# /var/tmp/pg-inventory-run-<checkout hash> instead, and the script says so.
#   env: RUN_PG_PORT (5433, or the next free port when taken), RUN_HTTP_PORT (8080, or any free port)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
run_dir=$repo/.run
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$repo"; then
    run_dir=/var/tmp/pg-inventory-run-$(printf '%s' "$repo" | md5sum | cut -c1-12)
    mkdir -p "$run_dir" && chmod 755 "$run_dir"
fi
pg_port=${RUN_PG_PORT:-5433}
http_port=${RUN_HTTP_PORT:-8080}
database=inventory
service_pid=""
kafka_pid=""

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
stop_all() {
    trap - INT TERM EXIT
    echo
    if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
        say "stopping inventory-svc"
        kill -TERM "$service_pid" 2>/dev/null || true
        wait "$service_pid" 2>/dev/null || true
    fi
    if [ -n "$kafka_pid" ] && kill -0 "$kafka_pid" 2>/dev/null; then
        say "stopping kafka-mock"
        kill -TERM "$kafka_pid" 2>/dev/null || true
        wait "$kafka_pid" 2>/dev/null || true
    fi
    say "stopping PostgreSQL (data kept in $run_dir/pg)"
    "$repo/scripts/pg-cluster.sh" stop "$run_dir/pg" || true
    exit 0
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

trap stop_all INT TERM EXIT
if ! "$(pg_config --bindir)/pg_ctl" -D "$run_dir/pg/data" status >/dev/null 2>&1; then
    for _ in $(seq 20); do port_taken "$pg_port" && pg_port=$((pg_port + 1)) || break; done
fi
say "starting PostgreSQL on 127.0.0.1:$pg_port (data in $run_dir/pg)"
mkdir -p "$run_dir/pg"
"$repo/scripts/pg-cluster.sh" start "$run_dir/pg" "$pg_port" "$database" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" \
    -c "ALTER EXTENSION pg_inventory UPDATE" >/dev/null

if port_taken "$http_port"; then
    http_port=0
fi
log=$run_dir/service.log
: >"$log"
# Kafka: the loopback peer (tools/kafka-mock), unless KAFKA_BOOTSTRAP_SERVERS points at a real cluster.
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ]; then
    say "starting kafka-mock (loopback Kafka peer)"
    rm -f "$run_dir/kafka-bootstrap"
    "$repo/tools/kafka-mock/kafka-mock" --bootstrap-file "$run_dir/kafka-bootstrap" --max-seconds 86400 \
        --topic order.created:4 --topic order.confirmed:4 --topic order.paid:4 --topic order.cancelled:4 \
        --topic order.shipped:4 --topic inventory.updated:4 --topic inventory.alerts:4 \
        --topic inventory.dead-letter:1 >"$run_dir/kafka-mock.log" 2>&1 &
    kafka_pid=$!
    for _ in $(seq 100); do [ -s "$run_dir/kafka-bootstrap" ] && break; sleep 0.1; done
    KAFKA_BOOTSTRAP_SERVERS=$(cat "$run_dir/kafka-bootstrap")
fi
AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 \
    HTTP_PORT=$http_port KAFKA_BOOTSTRAP_SERVERS="$KAFKA_BOOTSTRAP_SERVERS" \
    "$repo/build/frontend/inventory-svc" >>"$log" 2>&1 &
service_pid=$!
port=""
for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    kill -0 "$service_pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
base=http://127.0.0.1:$port

if [ "$(curl -s "$base/v1/stock?limit=1" | jq '.items | length')" = 0 ]; then
    say "loading sample/stock.csv"
    curl -s -H 'Content-Type: text/csv' --data-binary @"$repo/sample/stock.csv" "$base/v1/stock/import"
    echo
else
    say "reusing the stock already in $run_dir/pg"
fi

cat <<EOF

inventory-svc is listening on $base (logs: $log, API: $base/openapi.json)
Try:

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

Press Ctrl-C to stop.
EOF
wait "$service_pid"
