# tests/kafka/database_restart.sh (sourced by run.sh): PostgreSQL stops and starts again under a
# running consumer: no message is lost or applied twice, the consumer retried meanwhile; then the
# service stops cleanly on SIGTERM.

start_mock restart
group=kafka-test-$$-restart
start_service restart
restart_service=$last_pid
sql "SELECT count(*) FROM inventory_set_stock('kpg', 1000)" >/dev/null
orders=150
( for i in $(seq $orders); do
      printf 'pg-%s\t{"orderId":"pg-%s","items":[{"productId":"kpg","quantity":1}]}\n' "$i" "$i"
      sleep 0.03
  done | kcat -P -b "$bootstrap" -t order.created -K $'\t' 2>>"$work/kcat.log" ) &
producer_pid=$!
pids+=("$producer_pid")
wait_until 30 sql_is "SELECT count(*) > 0 FROM inventory.reservations WHERE order_id LIKE 'pg-%'" t
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
if grep -q 'retrying' "$work/restart.log"; then pass "the consumer retried while PostgreSQL was down"; else fail "the consumer retried while PostgreSQL was down"; fi

kill -TERM "$restart_service"
for _ in $(seq 100); do kill -0 "$restart_service" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$restart_service" 2>/dev/null && grep -q '"stopped"' "$work/restart.log"; then pass "SIGTERM stops the service cleanly"; else fail "SIGTERM stops the service cleanly"; fi
stop_pid "$mock_pid"
