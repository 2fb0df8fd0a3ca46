#!/usr/bin/env bash
# tests/hot_rows/run.sh: what a flash sale does to one stock row, with many real sessions. Owns
# tests/hot_rows/.
#   1. The reaper reaches a row that order traffic keeps locked: 16 pgbench clients keep a product's
#      row busy with batched reservations while 50 of its reservations are overdue; the reaper must
#      expire all of them within 3 runs (SKIP LOCKED alone would find the row busy most of the time,
#      which the test measures).
#   2. Reads cost the same on a hot product as on a cold one: a session that prepared the stock
#      read while the tables were empty (its generic plan made then) reads a product with 20,000
#      reservations and a fresh one; the buffers each read touches must match.
#   3. Notifications never fail or slow a stock change: by default nothing is queued, even with a
#      listener that never reads; with notifications on and a stuck listener, the queue stops
#      growing at inventory.notify_queue_limit and every change still commits.
#   4. The reaper's memory stays bounded: expiring 100,000 overdue reservations in one call, the
#      backend's anonymous memory (after a warm-up run that loads the library and its plans) grows
#      by less than 16 MB (the figure is printed).
# Creates and drops its own database (HOT_ROWS_DATABASE, default hotrowsdb) on PGHOST/PGPORT as
# PGUSER (a superuser). Prints one line per check and ends with "N passed, N failed". Bounded:
# every load stops by itself (pgbench -T), the whole suite takes about a minute.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/harness.sh
. "$here/../lib/harness.sh"
database=${HOT_ROWS_DATABASE:-hotrowsdb}
work=$(mktemp -d "${TEST_SCRATCH_DIR:-/tmp}/hot-rows.XXXXXX")
chmod 755 "$work"
passed=0
failed=0
background=()

sql() { PGOPTIONS='-c client_min_messages=warning -c statement_timeout=120s' psql -X -q -At -v ON_ERROR_STOP=1 -d "$database" "$@"; }
admin() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

cleanup() {
    for pid in "${background[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    admin -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
start_watchdog 600

admin -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" -c "CREATE DATABASE \"$database\"" >/dev/null
PGOPTIONS='-c client_min_messages=error' psql -X -q -d "$database" -c "CREATE EXTENSION pg_inventory" >/dev/null

# A session that prepares the stock read now, while every table is empty and never analyzed, and
# keeps that generic plan; it waits for the go file before reading (check 2).
cat >"$work/early_reader.sql" <<'SQL'
SET plan_cache_mode = force_generic_plan;
PREPARE stock_read(text) AS
    SELECT product_id, warehouse, on_hand, reserved, available, low_stock FROM inventory_stock_levels
     WHERE product_id = $1 ORDER BY warehouse;
EXECUTE stock_read('hot-cold');
\! until [ -f "$HOT_ROWS_WORK/go" ]; do sleep 0.1; done
\o :hot_file
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE stock_read('hot-read');
\o :cold_file
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE stock_read('hot-cold');
\o
SQL
HOT_ROWS_WORK=$work sql -v hot_file="$work/hot.json" -v cold_file="$work/cold.json" -f "$work/early_reader.sql" \
    >"$work/early_reader.out" 2>&1 &
early_reader=$!
background+=("$early_reader")

sql >/dev/null <<'SQL'
SELECT inventory_set_stock('hot-busy', 1000000000);
SELECT inventory_set_stock('hot-read', 1000000000);
SELECT inventory_set_stock('hot-cold', 1000000000);
SQL

# 1. The reaper reaches a busy row ----------------------------------------------------------------

sql >/dev/null <<'SQL'
SELECT count(*) FROM inventory_reserve_batch(
    (SELECT jsonb_agg(jsonb_build_object('order_id', 'hot-overdue-' || n, 'ttl_seconds', 1,
                                         'lines', jsonb_build_array(jsonb_build_object('product_id', 'hot-busy', 'quantity', 1))))
       FROM generate_series(1, 50) n));
SQL
sleep 1.2
cat >"$work/busy.pgbench" <<'EOF'
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve_batch(jsonb_build_array(
    jsonb_build_object('order_id', 'a' || :order, 'lines', jsonb_build_array(jsonb_build_object('product_id', 'hot-busy', 'quantity', 1))),
    jsonb_build_object('order_id', 'b' || :order, 'lines', jsonb_build_array(jsonb_build_object('product_id', 'hot-busy', 'quantity', 1))),
    jsonb_build_object('order_id', 'c' || :order, 'lines', jsonb_build_array(jsonb_build_object('product_id', 'hot-busy', 'quantity', 1))),
    jsonb_build_object('order_id', 'd' || :order, 'lines', jsonb_build_array(jsonb_build_object('product_id', 'hot-busy', 'quantity', 1)))));
EOF
PGOPTIONS='-c synchronous_commit=on' timeout 60 pgbench -n -c 16 -j 2 -T 20 -f "$work/busy.pgbench" "$database" >"$work/busy.log" 2>&1 &
load=$!
background+=("$load")
sleep 2

# How often SKIP LOCKED finds the row free while the load runs: 100 tries, 10 ms apart.
free=0
for _ in $(seq 100); do
    got=$(sql -c "BEGIN" -c "SELECT count(*) FROM inventory.stock WHERE product_id = 'hot-busy' FOR UPDATE SKIP LOCKED" -c "ROLLBACK" 2>/dev/null)
    [ "$got" = 1 ] && free=$((free + 1))
    sleep 0.01
done
if [ "$free" -lt 50 ]; then
    pass "the load keeps the row busy: SKIP LOCKED found it free $free times in 100"
else
    fail "the load keeps the row busy" "SKIP LOCKED found it free $free times in 100"
fi

runs=0
left=50
while [ "$runs" -lt 3 ] && [ "$left" -gt 0 ]; do
    sql -c "SELECT inventory_expire_reservations()" >/dev/null
    runs=$((runs + 1))
    left=$(sql -c "SELECT count(*) FROM inventory.reservations WHERE product_id = 'hot-busy' AND status = 'active' AND order_id LIKE 'hot-overdue-%'")
done
if [ "$left" = 0 ]; then
    pass "the reaper expired all 50 overdue reservations of the busy row in $runs run(s) while 16 clients kept it locked"
else
    fail "the reaper expires the busy row's overdue reservations within 3 runs" "$left still active after $runs runs"
fi
wait "$load"
load_tps=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$work/busy.log" | head -n 1)
if grep -q '^number of failed transactions: 0 ' "$work/busy.log"; then
    pass "no order traffic failed while the reaper worked ($(printf '%.0f' "${load_tps:-0}") batches/s)"
else
    fail "no order traffic failed while the reaper worked" "$(grep -E 'failed|error' "$work/busy.log" | head -n 3)"
fi
check_equal "the busy row's reserved equals its live reservations" \
    "$(sql -c "SELECT s.reserved = (SELECT coalesce(sum(quantity), 0) FROM inventory.reservations r
                                       WHERE r.product_id = s.product_id AND r.status IN ('active', 'confirmed'))
                 FROM inventory.stock s WHERE product_id = 'hot-busy'")" t

# 2. Reads after a burst ------------------------------------------------------------------------

cat >"$work/burst.pgbench" <<'EOF'
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve_batch(
    (SELECT jsonb_agg(jsonb_build_object('order_id', :order || '-' || n,
                                         'lines', jsonb_build_array(jsonb_build_object('product_id', 'hot-read', 'quantity', 1))))
       FROM generate_series(1, 50) n));
SELECT count(*) FROM inventory_release_order(:order || '-1');
EOF
timeout 120 pgbench -n -c 8 -j 2 -t 50 -f "$work/burst.pgbench" "$database" >"$work/burst.log" 2>&1
check_equal "a burst of 20,000 reservations on one product" \
    "$(sql -c "SELECT count(*) FROM inventory.reservations WHERE product_id = 'hot-read'")" 20000
touch "$work/go"
wait "$early_reader"
buffers() { jq -r '.[0].Plan["Shared Hit Blocks"] + .[0].Plan["Shared Read Blocks"]' "$1" 2>/dev/null; }
hot_buffers=$(buffers "$work/hot.json")
cold_buffers=$(buffers "$work/cold.json")
if [ -n "$hot_buffers" ] && [ -n "$cold_buffers" ] && [ "$hot_buffers" -le $((cold_buffers + 2)) ]; then
    pass "a read of the hot product touches as many buffers as a cold one, with a plan made on empty tables ($hot_buffers vs $cold_buffers)"
else
    fail "a read of the hot product touches as many buffers as a cold one" "hot ${hot_buffers:-?}, cold ${cold_buffers:-?}: $(head -c 400 "$work/early_reader.out")"
fi
check_equal "the read is right: available leaves out the 19,600 live reservations" \
    "$(sql -c "SELECT available FROM inventory_stock_levels WHERE product_id = 'hot-read'")" "$((1000000000 - 19600))"

# 3. Notifications ------------------------------------------------------------------------------

cat >"$work/change.pgbench" <<'EOF'
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve('n' || :order, 'hot-cold', 1);
EOF
# A listener that never reads: a listening session inside a transaction does not consume
# notifications, so the queue's tail cannot move past what it has not read.
stuck_listener() {
    sql -c "LISTEN inventory_outbox" -c "BEGIN" -c "SELECT pg_sleep(40)" -c "COMMIT" >/dev/null 2>&1 &
    background+=("$!")
    sleep 0.5
}
usage() { sql -c "SELECT pg_notification_queue_usage() > 0"; }
changes() {
    PGOPTIONS="$1" timeout 60 pgbench -n -c 4 -j 2 -t 500 -f "$work/change.pgbench" "$database" >"$work/change.log" 2>&1 &&
        grep -q '^number of failed transactions: 0 ' "$work/change.log" &&
        grep -q 'actually processed: 2000/2000' "$work/change.log"
}
stuck_listener
if changes '' && [ "$(usage)" = f ]; then
    pass "by default 2,000 changes queue no notification, even with a listener that never reads"
else
    fail "by default nothing is queued" "usage > 0: $(usage); $(tail -n 3 "$work/change.log")"
fi
if changes '-c inventory.notify_channel=inventory_outbox -c inventory.notify_queue_limit=1' && [ "$(usage)" = t ]; then
    pass "with notifications on and no limit, the stuck listener makes the queue grow (the hard case is real)"
else
    fail "with notifications on, the stuck listener makes the queue grow" "usage: $(usage)"
fi
before=$(sql -c "SELECT pg_notification_queue_usage()")
if changes '-c inventory.notify_channel=inventory_outbox -c inventory.notify_queue_limit=0' &&
    [ "$(sql -c "SELECT pg_notification_queue_usage() = $before")" = t ]; then
    pass "past inventory.notify_queue_limit, 2,000 more changes commit and queue nothing more"
else
    fail "past the limit changes queue nothing more" "usage $before -> $(sql -c "SELECT pg_notification_queue_usage()")"
fi

# 4. The reaper's memory ------------------------------------------------------------------------

sql >/dev/null <<'SQL'
SELECT count(inventory_set_stock('mem-' || n, 1000000)) FROM generate_series(0, 99) n;
SELECT inventory_set_stock('aaa-warm-up', 1);
SELECT count(*) FROM inventory_reserve('aaa-warm-up', 'aaa-warm-up', 1, NULL, '1 second');
DO $$
BEGIN
    FOR chunk IN 0..199 LOOP
        PERFORM count(*) FROM inventory_reserve_batch(
            (SELECT jsonb_agg(jsonb_build_object('order_id', 'mem-' || chunk || '-' || n, 'ttl_seconds', 1,
                                                 'lines', jsonb_build_array(jsonb_build_object(
                                                     'product_id', 'mem-' || (n % 100), 'quantity', 1))))
               FROM generate_series(1, 500) n));
    END LOOP;
END
$$;
SQL
sleep 1.2
cat >"$work/reaper_memory.sql" <<'SQL'
SELECT pg_backend_pid() AS pid \gset
-- A first, small run loads the library and prepares its statements; the baseline follows it.
SELECT inventory_expire_reservations(1) AS warm_up \gset
\setenv HOT_ROWS_PID :pid
\! (peak=0; while [ ! -f "$HOT_ROWS_WORK/stop" ]; do v=$(awk '/^RssAnon/ {print $2}' /proc/$HOT_ROWS_PID/status); [ "${v:-0}" -gt "$peak" ] && peak=$v; echo "$peak" > "$HOT_ROWS_WORK/peak"; sleep 0.01; done) &
\! awk '/^RssAnon/ {print $2}' /proc/$HOT_ROWS_PID/status > "$HOT_ROWS_WORK/baseline"
SELECT inventory_expire_reservations(100000);
\! sleep 0.1; touch "$HOT_ROWS_WORK/stop"
SQL
expired=$(HOT_ROWS_WORK=$work sql -f "$work/reaper_memory.sql" 2>&1 | tail -n 1)
sleep 0.2
baseline=$(cat "$work/baseline" 2>/dev/null || echo 0)
peak=$(cat "$work/peak" 2>/dev/null || echo 0)
check_equal "one reaper call expires 100,000 overdue reservations" "$expired" 100000
growth_kb=$((peak - baseline))
if [ "$peak" -gt 0 ] && [ "$growth_kb" -lt 16384 ]; then
    pass "the reaper's backend grew by $((growth_kb / 1024)) MB of anonymous memory (peak $((peak / 1024)) MB, after a warm-up run) expiring 100,000 reservations"
else
    fail "the reaper's memory stays bounded" "grew by ${growth_kb} kB (baseline $baseline kB, peak $peak kB)"
fi
check_equal "nothing is overdue afterwards" \
    "$(sql -c "SELECT count(*) FROM inventory.reservations WHERE status = 'active' AND expires_at < now()")" 0

kill "$watchdog" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
