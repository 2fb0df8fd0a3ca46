# tests/kafka/fresh_peer.sh (sourced by run.sh): positions are reused when the service meets another
# cluster with the database kept (what `make run` does on every start). Orders are sent to a first
# peer, one per partition; the service and the peer stop; against a fresh peer, with the same
# consumer group, every order sent afterwards must be applied (the positions went backwards: logged
# with topic and partition, counted), and a true redelivery (the same message again) is applied once.

start_mock fresh-a
group=kafka-test-$$-fresh
sql "SELECT count(*) FROM inventory_set_stock('fresh', 1000)" >/dev/null
start_service fresh-a SERVICE_ROLES=rest,consumer
fresh_service=$last_pid
for partition in 0 1 2 3; do
    produce order.created "fresh-a-$partition" "{\"orderId\":\"fresh-a-$partition\",\"items\":[{\"productId\":\"fresh\",\"quantity\":1}]}" "$partition"
done
first_run() { sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'fresh-a-%'" 4; }
if wait_until 40 first_run; then pass "first peer: one order per partition applied"; else fail "first peer: orders applied"; fi
stop_pid "$fresh_service"
stop_pid "$mock_pid"

start_mock fresh-b
start_service fresh-b SERVICE_ROLES=rest,consumer
fresh_service=$last_pid
for partition in 0 1 2 3; do
    produce order.created "fresh-b-$partition" "{\"orderId\":\"fresh-b-$partition\",\"items\":[{\"productId\":\"fresh\",\"quantity\":1}]}" "$partition"
done
second_run() { sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'fresh-b-%'" 4; }
if wait_until 40 second_run; then pass "fresh peer, database kept: every order sent afterwards is applied (4 of 4)"; else fail "fresh peer: orders applied" "$(sql "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'fresh-b-%'")"; fi
regressions=0
for partition in 0 1 2 3; do
    value=$(metric "$base" "inventory_consumer_position_regressions_total{topic=\"order.created\",partition=\"$partition\"}")
    regressions=$((regressions + ${value:-0}))
done
check_equal "the regression of each partition is counted" "$regressions" 4
if grep '"message":"Kafka position went backwards' "$work/fresh-b.log" | jq -c 'select(.topic == "order.created" and .partition == 3)' | grep -q .; then
    pass "the regression is logged with topic and partition"
else
    fail "the regression is logged with topic and partition" "$(grep -m1 backwards "$work/fresh-b.log")"
fi
check_equal "and recorded per partition in inventory.consumer_offsets" \
    "$(sql "SELECT count(*) FROM inventory.consumer_offsets WHERE consumer_group = '$group' AND topic = 'order.created' AND regressions = 1")" 4

# A true redelivery: an order of the first run arrives again on the new peer.
before=$(sql "SELECT reserved || '/' || version FROM inventory.stock WHERE product_id = 'fresh'")
duplicates_before=$(metric "$base" 'inventory_consumer_messages_total{outcome="duplicate"}')
produce order.created fresh-a-2 '{"orderId":"fresh-a-2","items":[{"productId":"fresh","quantity":1}]}' 2
produce order.created fresh-b-0 '{"orderId":"fresh-b-0","items":[{"productId":"fresh","quantity":1}]}' 0
one_more_duplicate() { [ "$(metric "$base" 'inventory_consumer_messages_total{outcome="duplicate"}')" = "$((duplicates_before + 2))" ]; }
if wait_until 30 one_more_duplicate; then pass "true redeliveries (an old order, a repeated new one) are recognised"; else fail "true redeliveries recognised"; fi
check_equal "and applied once: stock and reservations unchanged" \
    "$(sql "SELECT reserved || '/' || version FROM inventory.stock WHERE product_id = 'fresh'")" "$before"
stop_pid "$fresh_service"
stop_pid "$mock_pid"
