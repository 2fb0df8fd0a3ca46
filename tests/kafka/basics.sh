# tests/kafka/basics.sh (sourced by run.sh): the order flow through Kafka on a peer with the
# topics pre-created: configuration checks; order.created -> reservation -> inventory.updated field
# by field; duplicates; malformed and refused messages to the dead-letter table and topic while
# later messages apply; paid, shipped, cancelled, confirmed; a new consumer group that is delivered
# everything again changes nothing.

start_mock basics --topic order.created:4 --topic order.confirmed:2 --topic order.paid:2 --topic order.cancelled:2 \
    --topic order.shipped:2 --topic inventory.updated:4 --topic inventory.alerts:2 --topic inventory.dead-letter:1
group=kafka-test-$$

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
check_equal "the duplicate is counted" "$(metric "$base" 'inventory_consumer_messages_total{outcome="duplicate"}')" 1

# --- malformed and refused messages go to the dead-letter table and topic ----------------------
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
dead_letters_published() { sql_is "SELECT count(*) FROM inventory.dead_letters WHERE message_key IN ('bad-1', 'bad-2') AND published_at IS NOT NULL" 2; }
if wait_until 20 dead_letters_published; then pass "both dead letters are published afterwards"; else fail "both dead letters are published afterwards"; fi
dead=$(consume_raw inventory.dead-letter)
if grep -P '^bad-1\t.*dlq.reason=payload is not JSON.*\tthis is not json$' <<<"$dead" | grep -q 'dlq.topic=order.created'; then
    pass "malformed message on the dead-letter topic, payload as sent"; else fail "malformed message on the dead-letter topic" "$dead"; fi
if grep -P '^bad-2\t' <<<"$dead" | grep -q 'dlq.errorCode=IN002'; then pass "refused message on the dead-letter topic"; else fail "refused message on the dead-letter topic" "$dead"; fi
if grep -P '^bad-2\t' <<<"$dead" | grep -q "dlq.deadLetterId=$(sql "SELECT id FROM inventory.dead_letters WHERE message_key = 'bad-2'")"; then
    pass "the dead-letter message names its dead letter"; else fail "the dead-letter message names its dead letter" "$dead"; fi

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
wait_until 30 sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id = 'order-k3'" 1
produce order.confirmed order-k3 '{"orderId":"order-k3"}'
if wait_until 30 sql_is "SELECT status FROM inventory.reservations WHERE order_id = 'order-k3'" confirmed; then pass "order.confirmed confirms"; else fail "order.confirmed confirms"; fi
wait_until 10 outbox_empty
check_equal "inventory.updated carries each step of order-k1" \
    "$(consume inventory.updated | jq -r 'select(.payload.orderId == "order-k1") | .payload.reason' | sort -u | tr '\n' ' ')" "confirm reserve ship "
check_equal "inventory.updated carries the release of order-k2" \
    "$(consume inventory.updated | jq -r 'select(.payload.orderId == "order-k2") | .payload.reason' | sort -u | tr '\n' ' ')" "release reserve "

# --- redelivery to a new consumer group: identities refuse every message --------------------------
snapshot() { sql "SELECT string_agg(product_id || ':' || on_hand || ':' || reserved || ':' || version, ',' ORDER BY product_id) FROM inventory.stock"; }
stock_before=$(snapshot)
messages=$(sql "SELECT sum(next_offset) FROM inventory.consumer_offsets WHERE consumer_group = '$group'")
dead_before=$(sql "SELECT count(*) FROM inventory.dead_letters")
stop_pid "$service_pid"
# A new group has no Kafka offsets: it is delivered everything again, at the same offsets, and only
# the identities recorded by the first group stand between the messages and a second effect.
start_service again KAFKA_GROUP_ID="$group-again" SERVICE_ROLES=rest,consumer
again_pid=$last_pid
duplicates_are() { [ "$(metric "$base" 'inventory_consumer_messages_total{outcome="duplicate"}')" = "$1" ]; }
if wait_until 40 duplicates_are "$messages"; then pass "all $messages redelivered messages were recognised by their identity"; else fail "redelivered messages recognised" "duplicates=$(metric "$base" 'inventory_consumer_messages_total{outcome="duplicate"}') expected $messages"; fi
check_equal "redelivery changed no stock" "$(snapshot)" "$stock_before"
check_equal "redelivery added no dead letter" "$(sql "SELECT count(*) FROM inventory.dead_letters")" "$dead_before"
check_equal "a new group's first pass is no position regression" "$(metric "$base" inventory_consumer_position_regressions_total)" 0
stop_pid "$again_pid"
stop_pid "$mock_pid"
