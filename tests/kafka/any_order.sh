# tests/kafka/any_order.sh (sourced by run.sh): order events that travel on different topics arrive
# in any order (every pair in both orders is covered by pgtap/11_kafka_input.sql; here through real
# topics): a payment, a ship, a cancel before their order.created; a parked event whose order never
# comes expires into the dead letters (KAFKA_PARK_TIMEOUT_MS=3000) and is published; then the
# re-drive of dead letters over REST: refused while its cause remains, applied once after the fix.

start_mock any-order
group=kafka-test-$$-order
sql "SELECT count(*) FROM inventory_set_stock('ao', 100)" >/dev/null
start_service any-order KAFKA_PARK_TIMEOUT_MS=3000
order_service=$last_pid
created() { printf '{"orderId":"%s","items":[{"productId":"ao","quantity":%s}]}' "$1" "${2:-1}"; }
status_of() { sql "SELECT string_agg(DISTINCT status, ',') FROM inventory.reservations WHERE order_id = '$1'"; }
status_is() { [ "$(status_of "$1")" = "$2" ]; }
parked_for() { sql_is "SELECT count(*) FROM inventory.parked_events WHERE order_id = '$1' AND applied_at IS NULL" "$2"; }

produce order.paid ao-1 '{"orderId":"ao-1"}'
if wait_until 30 parked_for ao-1 1; then pass "a payment before its order.created waits (parked)"; else fail "payment parked"; fi
produce order.created ao-1 "$(created ao-1)"
if wait_until 30 status_is ao-1 confirmed; then pass "... and confirms the reservation as soon as it exists"; else fail "paid before created: confirmed" "$(status_of ao-1)"; fi

produce order.cancelled ao-2 '{"orderId":"ao-2"}'
wait_until 30 parked_for ao-2 1
produce order.created ao-2 "$(created ao-2 5)"
cancelled_first() { sql_is "SELECT count(*) FROM inventory.parked_events WHERE order_id = 'ao-2' AND applied_at IS NOT NULL" 1; }
if wait_until 30 cancelled_first; then pass "a cancel before its order.created: the create is taken ..."; else fail "cancel before create: taken"; fi
check_equal "... and the order never holds stock (no reservation, no ledger row)" \
    "$(sql "SELECT (SELECT count(*) FROM inventory.reservations WHERE order_id = 'ao-2') || '/' || (SELECT count(*) FROM inventory.ledger WHERE order_id = 'ao-2')")" "0/0"

produce order.shipped ao-3 '{"orderId":"ao-3"}'
produce order.paid ao-3 '{"orderId":"ao-3"}'
wait_until 30 parked_for ao-3 2
produce order.created ao-3 "$(created ao-3 2)"
if wait_until 30 status_is ao-3 shipped; then pass "shipped and paid before created: shipped once created"; else fail "shipped and paid before created" "$(status_of ao-3)"; fi

produce order.created ao-4 "$(created ao-4)"
wait_until 30 status_is ao-4 active
produce order.shipped ao-4 '{"orderId":"ao-4"}'
if wait_until 30 parked_for ao-4 1; then pass "a ship of an unpaid order waits for the payment"; else fail "ship waits for payment"; fi
produce order.paid ao-4 '{"orderId":"ao-4"}'
if wait_until 30 status_is ao-4 shipped; then pass "... and ships when it comes"; else fail "ship after payment" "$(status_of ao-4)"; fi
check_equal "stock after the four orders: ao-1 reserved 1, ao-3 and ao-4 shipped 3" \
    "$(sql "SELECT on_hand || '/' || reserved FROM inventory.stock WHERE product_id = 'ao'")" "97/1"

produce order.paid ao-never '{"orderId":"ao-never"}'
expired() { sql_is "SELECT error_code FROM inventory.dead_letters WHERE effect->>'order_id' = 'ao-never'" parked_timeout; }
if wait_until 30 expired; then
    pass "a parked payment whose order never comes expires into the dead letters: $(sql "SELECT reason FROM inventory.dead_letters WHERE effect->>'order_id' = 'ao-never'")"
else
    fail "parked payment expires"
fi
expired_published() { consume_raw inventory.dead-letter | grep -qP '^ao-never\t.*dlq.errorCode=parked_timeout'; }
if wait_until 30 expired_published; then pass "... and is published to the dead-letter topic"; else fail "expired parked event published"; fi
check_equal "expiry is counted" "$(metric "$base" inventory_consumer_parked_expired_total)" 1

# --- re-drive over REST ---------------------------------------------------------------------------
sql "SELECT count(*) FROM inventory_set_stock('rd', 1)" >/dev/null
produce order.created rd-1 '{"orderId":"rd-1","items":[{"productId":"rd","quantity":5}]}'
rd_dead() { sql_is "SELECT count(*) FROM inventory.dead_letters WHERE effect->>'order_id' = 'rd-1'" 1; }
wait_until 30 rd_dead
rd_id=$(sql "SELECT id FROM inventory.dead_letters WHERE effect->>'order_id' = 'rd-1'")
retry() { curl -s -o "$work/retry.json" -w '%{http_code}' -X POST "$base/v1/admin/dead-letters/$1/retry"; }
check_equal "re-drive while the stock is still short: 409 insufficient stock" \
    "$(retry "$rd_id") $(jq -r .type "$work/retry.json")" "409 /problems/insufficient-stock"
check_equal "and the dead letter is left as it was" "$(sql "SELECT redriven_at IS NULL FROM inventory.dead_letters WHERE id = $rd_id")" t
sql "SELECT count(*) FROM inventory_restock('rd', 10)" >/dev/null
check_equal "after a restock the re-drive applies the order: 200" \
    "$(retry "$rd_id") $(jq -c '[.dead_letter_id, .action, .order_id, .redriven_by]' "$work/retry.json")" \
    "200 [$rd_id,\"reserve\",\"rd-1\",\"postgres\"]"
check_equal "the order holds its reservation, with its ledger row" \
    "$(status_of rd-1)/$(sql "SELECT count(*) FROM inventory.ledger WHERE order_id = 'rd-1' AND reason = 'reserve'")" "active/1"
check_equal "a second re-drive of the same dead letter: 409 invalid transition" \
    "$(retry "$rd_id") $(jq -r .type "$work/retry.json")" "409 /problems/invalid-transition"
check_equal "the reservation was made once" "$(sql "SELECT reserved FROM inventory.stock WHERE product_id = 'rd'")" 5
check_equal "a malformed dead letter cannot be re-driven: 409" \
    "$(retry "$(sql "SELECT min(id) FROM inventory.dead_letters WHERE error_code = 'malformed'")") $(jq -r .type "$work/retry.json")" \
    "409 /problems/invalid-transition"
check_equal "an unknown dead letter: 404" "$(retry 999999999)" 404
check_equal "a dead letter id that is no number: 404" "$(retry abc)" 404
stop_pid "$order_service"
stop_pid "$mock_pid"
