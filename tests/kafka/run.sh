#!/usr/bin/env bash
# tests/kafka/run.sh: end-to-end tests of the Kafka side of inventory-svc on loopback: a throwaway
# PostgreSQL 15 (port 55480, .test/kafka), the kafka-mock peer (librdkafka's mock cluster), the real
# service binary and kcat as the outside producer and consumer. Covers: order.created -> reservation
# -> inventory.updated (field by field); confirm (order.paid), ship, cancel; duplicates (the same
# order produced twice, and the same offsets delivered again); malformed and refused messages ->
# dead-letter topic and table while later messages still apply; kill -9 of the leading relay in a
# stream of thousands of events (nothing lost, per-product order, duplicates share the eventId);
# two relays never publish at the same time; PostgreSQL stopped under the running consumer.
# Ends with one line "N passed, M failed"; exits non-zero on any failure; bounded by a watchdog.
#   env: INVENTORY_SVC_BIN (default build/frontend/inventory-svc), KAFKA_TEST_PG_PORT (55480),
#        KAFKA_TEST_EVENTS (3000), KAFKA_TEST_TIMEOUT_S (600)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
pg_port=${KAFKA_TEST_PG_PORT:-55480}
stream_events=${KAFKA_TEST_EVENTS:-3000}
work=${TEST_SCRATCH_DIR:-$repo/.test}/kafka
pg_dir=$work/pg
database=kafkadb
group=kafka-test-$$
passed=0
failed=0
pids=()

for tool in curl jq psql kcat python3; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$binary" ] || { echo "run.sh: no service binary at $binary (build it first)" >&2; echo "0 passed, 1 failed"; exit 1; }
[ -x "$repo/tools/kafka-mock/kafka-mock" ] || make -s -C "$repo/tools/kafka-mock" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 10 s
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
}
cleanup() {
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
}
trap cleanup EXIT
# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
start_watchdog "${KAFKA_TEST_TIMEOUT_S:-600}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM

sql() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "$1" 2>/dev/null; }
sql_is() { [ "$(sql "$1")" = "$2" ]; }
produce() {  # produce TOPIC KEY PAYLOAD
    printf '%s\t%s\n' "$2" "$3" | kcat -P -b "$bootstrap" -t "$1" -K $'\t' 2>>"$work/kcat.log"
}
consume() {  # consume TOPIC: every message so far as JSON lines {key, headers, payload}
    kcat -C -b "$bootstrap" -t "$1" -o beginning -e -q -u \
        -f '{"partition":%p,"offset":%o,"key":"%k","headers":"%h","payload":%s}\n' 2>>"$work/kcat.log"
}
outbox_empty() { sql_is "SELECT count(*) FROM inventory.outbox" 0; }

# start_service NAME [VAR=VALUE...]: starts the binary with its log in $work/NAME.log; sets $last_pid
# and, when it serves HTTP, $base.
start_service() {
    local name=$1; shift
    local log=$work/$name.log
    : >"$log"
    env AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 \
        HTTP_PORT=0 KAFKA_BOOTSTRAP_SERVERS="$bootstrap" KAFKA_GROUP_ID="$group" KAFKA_SESSION_TIMEOUT_MS=6000 \
        RELAY_POLL_INTERVAL_MS=200 "$@" "$binary" >>"$log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
    local port=""
    for _ in $(seq 100); do
        port=$(grep -o '"port":[0-9]*' "$log" | head -1 | cut -d: -f2)
        [ -n "$port" ] && break
        kill -0 "$last_pid" 2>/dev/null || break
        sleep 0.1
    done
    base=http://127.0.0.1:$port
    [ -n "$port" ]
}

# --- setup ----------------------------------------------------------------------------------------
mkdir -p "$work"
rm -f "$work"/*.log
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
rm -rf "$pg_dir"
mkdir -p "$pg_dir"
if ! PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg-start.log" 2>&1; then
    cat "$work/pg-start.log"; echo "0 passed, 1 failed"; exit 1
fi
rm -f "$work/bootstrap"
"$repo/tools/kafka-mock/kafka-mock" --max-seconds "${KAFKA_TEST_TIMEOUT_S:-600}" --bootstrap-file "$work/bootstrap" \
    --topic order.created:4 --topic order.confirmed:2 --topic order.paid:2 --topic order.cancelled:2 \
    --topic order.shipped:2 --topic inventory.updated:4 --topic inventory.alerts:2 \
    --topic inventory.dead-letter:1 >"$work/kafka-mock.log" 2>&1 &
pids+=("$!")
wait_until 10 test -s "$work/bootstrap" || { cat "$work/kafka-mock.log"; echo "0 passed, 1 failed"; exit 1; }
bootstrap=$(cat "$work/bootstrap")
echo "# kafka-mock at $bootstrap, PostgreSQL on $pg_port"

# --- configuration --------------------------------------------------------------------------------
out=$(env -u KAFKA_BOOTSTRAP_SERVERS AUTH_MODE=off DATABASE_URL=x SERVICE_ROLES=consumer "$binary" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q KAFKA_BOOTSTRAP_SERVERS <<<"$out"; then pass "consumer role without Kafka refused"; else fail "consumer role without Kafka refused" "$rc $out"; fi
out=$(AUTH_MODE=off DATABASE_URL=x KAFKA_BOOTSTRAP_SERVERS=x SERVICE_ROLES=rest,batch "$binary" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q SERVICE_ROLES <<<"$out"; then pass "bad SERVICE_ROLES names the variable"; else fail "bad SERVICE_ROLES names the variable" "$rc $out"; fi

sql "SELECT count(*) FROM inventory_set_stock('kp-1', 10, 'main', 'Kafka mug')" >/dev/null
sql "SELECT count(*) FROM inventory_set_stock('kp-2', 10)" >/dev/null
sql "SELECT count(*) FROM inventory_set_stock('kp-3', 10)" >/dev/null

if start_service service; then pass "service started with all roles"; else fail "service started" "$(tail -5 "$work/service.log")"; echo "$passed passed, $failed failed"; exit 1; fi
service_pid=$last_pid
if wait_until 20 outbox_empty; then pass "relay drained the initial outbox"; else fail "relay drained the initial outbox" "$(sql 'SELECT count(*) FROM inventory.outbox')"; fi
if wait_until 20 grep -q 'relay leadership acquired' "$work/service.log"; then pass "relay took the lock"; else fail "relay took the lock"; fi

# --- order.created -> reservation -> inventory.updated ----------------------------------------------
produce order.created order-k1 '{"orderId":"order-k1","eventId":"evt-k1","items":[{"productId":"kp-1","quantity":3}]}'
if wait_until 30 sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id = 'order-k1' AND status = 'active'" 1; then
    pass "order.created made a reservation"
else
    fail "order.created made a reservation" "$(tail -3 "$work/service.log")"
fi
wait_until 10 outbox_empty
reservation_id=$(sql "SELECT id FROM inventory.reservations WHERE order_id = 'order-k1'")
version=$(sql "SELECT version FROM inventory.stock WHERE product_id = 'kp-1'")
event=$(consume inventory.updated | jq -c 'select(.payload.orderId == "order-k1")' | head -1)
check_equal "inventory.updated key is the product" "$(jq -r .key <<<"$event")" "kp-1"
check_equal "inventory.updated eventId header equals the payload's" \
    "$(jq -r '.headers | split(",") | map(select(startswith("eventId="))) | .[0] | ltrimstr("eventId=")' <<<"$event")" \
    "$(jq -r .payload.eventId <<<"$event")"
check_equal "inventory.updated payload fields" \
    "$(jq -c '.payload | [.type, .productId, .warehouse, .version, .reason, .previousQuantity, .newQuantity, .onHand, .reserved, .available, .orderId, .reservationId]' <<<"$event")" \
    "[\"inventory.updated\",\"kp-1\",\"main\",$version,\"reserve\",10,7,10,3,7,\"order-k1\",\"$reservation_id\"]"
if jq -e '.payload.timestamp | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|\\+00:00)$")' <<<"$event" >/dev/null; then
    pass "timestamp is ISO-8601 UTC"; else fail "timestamp is ISO-8601 UTC" "$(jq -r .payload.timestamp <<<"$event")"; fi
if jq -e '.payload.eventId | test("^[0-9a-f-]{36}$")' <<<"$event" >/dev/null; then pass "eventId is a uuid"; else fail "eventId is a uuid" "$event"; fi

# --- duplicate: the same order produced again changes nothing -------------------------------------
before=$(sql "SELECT on_hand, reserved, version FROM inventory.stock WHERE product_id = 'kp-1'")
produce order.created order-k1 '{"orderId":"order-k1","eventId":"evt-k1","items":[{"productId":"kp-1","quantity":3}]}'
produce order.created order-k1b '{"orderId":"order-k1b","items":[{"productId":"kp-3","quantity":1}]}'
wait_until 30 sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id = 'order-k1b'" 1
check_equal "the ledger names the Kafka topic as the actor of the reservation" \
    "$(sql "SELECT actor FROM inventory.ledger WHERE order_id = 'order-k1' AND reason = 'reserve'")" "kafka:order.created"
check_equal "a duplicate order.created changes nothing" "$(sql "SELECT on_hand, reserved, version FROM inventory.stock WHERE product_id = 'kp-1'")" "$before"
check_equal "a duplicate order.created is no dead letter" "$(sql "SELECT count(*) FROM inventory.dead_letters WHERE payload LIKE '%order-k1\"%'")" 0

# --- malformed and refused messages go to the dead-letter topic and table ----------------------
produce order.created bad-1 'this is not json'
produce order.created bad-2 '{"orderId":"order-bad-2","items":[{"productId":"no-such-product","quantity":1}]}'
produce order.created order-k2 '{"orderId":"order-k2","items":[{"bookId":"kp-2","quantity":2}]}'
if wait_until 30 sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id = 'order-k2'" 1; then
    pass "later messages are processed after bad ones (bookId alias)"
else
    fail "later messages are processed after bad ones" "$(tail -3 "$work/service.log")"
fi
check_equal "malformed message in the dead-letter table" \
    "$(sql "SELECT topic, message_key, payload, error_code, reason LIKE 'payload is not JSON%' FROM inventory.dead_letters WHERE message_key = 'bad-1'")" \
    "order.created|bad-1|this is not json|malformed|t"
check_equal "unknown product in the dead-letter table with its SQLSTATE" \
    "$(sql "SELECT error_code FROM inventory.dead_letters WHERE message_key = 'bad-2'")" "IN002"
dead=$(kcat -C -b "$bootstrap" -t inventory.dead-letter -o beginning -e -q -u -f '%k\t%h\t%s\n' 2>>"$work/kcat.log")
if grep -P '^bad-1\t.*dlq.reason=payload is not JSON.*\tthis is not json$' <<<"$dead" | grep -q 'dlq.topic=order.created'; then
    pass "malformed message on the dead-letter topic, payload as sent"; else fail "malformed message on the dead-letter topic" "$dead"; fi
if grep -P '^bad-2\t' <<<"$dead" | grep -q 'dlq.errorCode=IN002'; then pass "refused message on the dead-letter topic"; else fail "refused message on the dead-letter topic" "$dead"; fi

# --- confirm (order.paid), ship, cancel -----------------------------------------------------------
produce order.paid order-k1 '{"orderId":"order-k1"}'
if wait_until 30 sql_is "SELECT status FROM inventory.reservations WHERE order_id = 'order-k1'" confirmed; then pass "order.paid confirms"; else fail "order.paid confirms"; fi
produce order.shipped order-k1 '{"orderId":"order-k1"}'
if wait_until 30 sql_is "SELECT status FROM inventory.reservations WHERE order_id = 'order-k1'" shipped; then pass "order.shipped ships"; else fail "order.shipped ships"; fi
check_equal "shipping took the stock" "$(sql "SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'kp-1'")" "7|0"
produce order.cancelled order-k2 '{"orderId":"order-k2"}'
if wait_until 30 sql_is "SELECT status FROM inventory.reservations WHERE order_id = 'order-k2'" released; then pass "order.cancelled releases"; else fail "order.cancelled releases"; fi
check_equal "release gave the stock back" "$(sql "SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'kp-2'")" "10|0"
produce order.created order-k3 '{"orderId":"order-k3","items":[{"product_id":"kp-3","quantity":1}]}'
# Topics are not ordered among themselves: a confirmation must follow the reservation it confirms.
wait_until 30 sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id = 'order-k3'" 1
produce order.confirmed order-k3 '{"orderId":"order-k3"}'
if wait_until 30 sql_is "SELECT status FROM inventory.reservations WHERE order_id = 'order-k3'" confirmed; then pass "order.confirmed confirms"; else fail "order.confirmed confirms"; fi
# Reserve -> ship without a payment step: order.shipped ships an active reservation.
produce order.created order-k4 '{"orderId":"order-k4","items":[{"product_id":"kp-3","quantity":1}]}'
wait_until 30 sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id = 'order-k4'" 1
produce order.shipped order-k4 '{"orderId":"order-k4"}'
if wait_until 30 sql_is "SELECT status FROM inventory.reservations WHERE order_id = 'order-k4'" shipped; then pass "order.shipped ships an active reservation without a confirm"; else fail "order.shipped ships an active reservation without a confirm" "$(sql "SELECT status FROM inventory.reservations WHERE order_id = 'order-k4'")"; fi
wait_until 10 outbox_empty
check_equal "inventory.updated carries each step of order-k1" \
    "$(consume inventory.updated | jq -r 'select(.payload.orderId == "order-k1") | .payload.reason' | sort -u | tr '\n' ' ')" "confirm reserve ship "
check_equal "inventory.updated carries the release of order-k2" \
    "$(consume inventory.updated | jq -r 'select(.payload.orderId == "order-k2") | .payload.reason' | sort -u | tr '\n' ' ')" "release reserve "

# --- redelivery of the same offsets: claims refuse every one --------------------------------------
snapshot() { sql "SELECT string_agg(product_id || ':' || on_hand || ':' || reserved || ':' || version, ',' ORDER BY product_id) FROM inventory.stock"; }
stock_before=$(snapshot)
stop_pid "$service_pid"
# A new group has no Kafka offsets: it is delivered everything again, at the same offsets, and only
# the database's claims (copied from the first group) stand between the messages and a second effect.
sql "INSERT INTO inventory.consumer_offsets (consumer_group, topic, kafka_partition, next_offset)
     SELECT '$group-again', topic, kafka_partition, next_offset FROM inventory.consumer_offsets WHERE consumer_group = '$group'" >/dev/null
start_service again KAFKA_GROUP_ID="$group-again" SERVICE_ROLES=rest,consumer
again_pid=$last_pid
duplicates() { curl -s "$base/metrics" | awk '/^inventory_consumer_messages_total\{outcome="duplicate"\}/ {print $2}'; }
messages=$(sql "SELECT sum(next_offset) FROM inventory.consumer_offsets WHERE consumer_group = '$group'")
duplicates_are() { [ "$(duplicates)" = "$1" ]; }
if wait_until 40 duplicates_are "$messages"; then pass "all $messages redelivered messages were refused by their claims"; else fail "redelivered messages refused" "duplicates=$(duplicates) expected $messages"; fi
check_equal "redelivery changed no stock" "$(snapshot)" "$stock_before"
check_equal "redelivery added no dead letter" "$(sql "SELECT count(*) FROM inventory.dead_letters WHERE consumer_group = '$group-again'")" 0
stop_pid "$again_pid"

# --- kill -9 of the leading relay in a stream; a second relay takes over ------------------------
start_service service2 SERVICE_ROLES=rest,consumer
service_pid=$last_pid
start_service relay-a SERVICE_ROLES=relay LOG_LEVEL=debug RELAY_BATCH_SIZE=200
relay_a=$last_pid
wait_until 10 grep -q 'relay leadership acquired' "$work/relay-a.log"
start_service relay-b SERVICE_ROLES=relay LOG_LEVEL=debug RELAY_BATCH_SIZE=200
relay_b=$last_pid
sql "SELECT count(*) FROM generate_series(1, 40) AS g(i), LATERAL inventory_set_stock('ks-' || g.i, 1000000)" >/dev/null
( psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "
    DO \$\$ BEGIN
      FOR i IN 1..$stream_events LOOP
        PERFORM inventory_restock('ks-' || (1 + i % 40), 1);
        COMMIT;
      END LOOP;
    END \$\$" >"$work/stream.log" 2>&1 ) &
stream_pid=$!
pids+=("$stream_pid")
wait_until 30 grep -q 'relay published batch' "$work/relay-a.log"
sleep 0.5
kill -KILL "$relay_a"
wait "$relay_a" 2>/dev/null
wait "$stream_pid"
if wait_until 60 outbox_empty; then pass "second relay drained the outbox after kill -9 of the leader"; else fail "second relay drained the outbox" "$(sql 'SELECT count(*) FROM inventory.outbox')"; fi
if grep -q 'relay leadership acquired' "$work/relay-b.log"; then pass "standby relay took over"; else fail "standby relay took over"; fi
sql "SELECT product_id, version FROM inventory.ledger WHERE product_id LIKE 'ks-%'" >"$work/ledger.txt"
consume inventory.updated | jq -c 'select(.key | startswith("ks-")) | [.key, .payload.version, .payload.eventId, .partition, .offset]' >"$work/stream.jsonl"
verdict=$(python3 - "$work/ledger.txt" "$work/stream.jsonl" <<'PY'
import json, sys
expected = set()
for line in open(sys.argv[1]):
    product, version = line.strip().split("|")
    expected.add((product, int(version)))
seen, ids, order_ok, dup = {}, {}, True, 0
rows = [json.loads(l) for l in open(sys.argv[2])]
rows.sort(key=lambda r: (r[3], r[4]))  # per partition, in offset order
last = {}
for key, version, event_id, partition, offset in rows:
    k = (key, version)
    if k in ids:
        dup += 1
        if ids[k] != event_id:
            print("duplicate with another eventId", k); sys.exit(0)
        continue
    ids[k] = event_id
    if version <= last.get(key, 0):
        order_ok = False
    last[key] = version
missing = expected - set(ids)
print("ok" if not missing and order_ok else "missing=%d order_ok=%s" % (len(missing), order_ok), len(ids), dup)
PY
)
check_equal "every event arrived, in per-product order, duplicates share the eventId" "$(cut -d' ' -f1 <<<"$verdict")" ok
echo "#   events: $(cut -d' ' -f2 <<<"$verdict") distinct, $(cut -d' ' -f3 <<<"$verdict") duplicates"
# The relays' batch logs: B published nothing before A was killed.
first_b=$(grep 'relay published batch' "$work/relay-b.log" | head -1 | jq -r .time)
last_a=$(grep 'relay published batch' "$work/relay-a.log" | tail -1 | jq -r .time)
if [ -n "$first_b" ] && [ -n "$last_a" ] && [[ "$first_b" > "$last_a" ]]; then
    pass "two relays never published concurrently (A last $last_a, B first $first_b)"
else
    fail "two relays never published concurrently" "A last $last_a, B first $first_b"
fi
# With both alive, only one holds the lock: a third relay stays standby while B leads.
start_service relay-c SERVICE_ROLES=relay LOG_LEVEL=debug
relay_c=$last_pid
sql "SELECT count(*) FROM inventory_restock('ks-1', 1)" >/dev/null
sleep 2
if ! grep -q 'relay leadership acquired' "$work/relay-c.log" && ! grep -q 'relay published batch' "$work/relay-c.log"; then
    pass "a third relay stays standby while one leads"
else
    fail "a third relay stays standby while one leads"
fi
check_equal "the lock is held by exactly one session" "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" 1
stop_pid "$relay_b"; stop_pid "$relay_c"

# --- PostgreSQL stops while the consumer runs: no message lost ------------------------------------
sql "SELECT count(*) FROM inventory_set_stock('kpg', 1000)" >/dev/null
orders=150
( for i in $(seq $orders); do
      printf 'pg-%s\t{"orderId":"pg-%s","items":[{"productId":"kpg","quantity":1}]}\n' "$i" "$i"
      sleep 0.03
  done | kcat -P -b "$bootstrap" -t order.created -K $'\t' 2>>"$work/kcat.log" ) &
producer_pid=$!
pids+=("$producer_pid")
wait_until 20 sql_is "SELECT count(*) > 0 FROM inventory.reservations WHERE order_id LIKE 'pg-%'" t
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
sleep 3
PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >/dev/null 2>&1
wait "$producer_pid"
if wait_until 60 sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'pg-%'" "$orders"; then
    pass "all $orders orders applied across a PostgreSQL restart"
else
    fail "all orders applied across a PostgreSQL restart" "$(sql "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'pg-%'")"
fi
check_equal "each exactly once" "$(sql "SELECT reserved FROM inventory.stock WHERE product_id = 'kpg'")" "$orders"
check_equal "none dead-lettered" "$(sql "SELECT count(*) FROM inventory.dead_letters WHERE payload LIKE '%\"pg-%'")" 0
if grep -q 'retrying' "$work/service2.log"; then pass "the consumer retried while PostgreSQL was down"; else fail "the consumer retried while PostgreSQL was down"; fi

# --- graceful shutdown --------------------------------------------------------------------------
kill -TERM "$service_pid"
for _ in $(seq 100); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$service_pid" 2>/dev/null && grep -q '"stopped"' "$work/service2.log"; then pass "SIGTERM stops the service cleanly"; else fail "SIGTERM stops the service cleanly"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
