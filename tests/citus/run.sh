#!/usr/bin/env bash
# tests/citus/run.sh: pg_inventory distributed by product on a Citus cluster of a coordinator and two
# workers (scripts/citus-cluster.sh), against the same calls on one PostgreSQL:
#   - the cluster is set up as docs/operations.md says: tables colocated by product, the
#     single-product functions routed by product, pg_cron on the coordinator only, the same
#     inventory.* settings and prepared transactions on every node;
#   - every SQL API function gives the same results and errors as on one PostgreSQL
#     (api_scenario.sql, run on both, compared line by line with ids and times masked);
#   - single-product calls are routed to the worker that holds the product and run there on its
#     shards without any distributed statement, shown by Citus's own logging of remote and local
#     commands (citus.log_remote_commands, citus.log_local_commands);
#   - a product's shards moved to the other worker (logically replicated, then with writes blocked)
#     while routed reservations of it keep coming: every call succeeds and lands on the new worker;
#   - the ttl and the actor given with a routed call reach the worker;
#   - the service's reservation batches of one product go to the product's worker as one routed
#     command each, with the service's own statement (service.sh);
#   - the relay's fetch from the start and after a position, and a batch of order events through
#     inventory_consume_batch (kafka_input.sql) on the coordinator, ending as on one PostgreSQL;
#   - the stress test (tests/stress) with its invariants, with routed calls beside it;
#   - the relay's kill -9 test (relay.sh), with events written on every node;
#   - the pgTAP suites that pgTAP can run against a coordinator, and why the others cannot;
#   - pg_cron's reaper job expires overdue reservations from the coordinator.
# Needs Citus installed in the PostgreSQL of the pg_config first on PATH; without it, prints that it
# skipped and exits 77 (scripts/run-tests.sh reports the skip; a skip is never a pass).
# Ends with one line "N passed, N failed". Ports: CITUS_COORDINATOR_PORT (25700),
# CITUS_WORKER1_PORT (25701), CITUS_WORKER2_PORT (25702), CITUS_SINGLE_PG_PORT (25703).
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/citus
export CITUS_COORDINATOR_PORT=${CITUS_COORDINATOR_PORT:-25700}
export CITUS_WORKER1_PORT=${CITUS_WORKER1_PORT:-25701}
export CITUS_WORKER2_PORT=${CITUS_WORKER2_PORT:-25702}
single_port=${CITUS_SINGLE_PG_PORT:-25703}
coordinator=$CITUS_COORDINATOR_PORT
workers=("$CITUS_WORKER1_PORT" "$CITUS_WORKER2_PORT")
database=inventory_citus
passed=0
failed=0

if ! "$repo/scripts/citus-cluster.sh" available; then
    echo "citus: SKIPPED - Citus is not installed in the PostgreSQL of $(pg_config --bindir) (it is not a Debian package; docs/operations.md says how it was run)"
    exit 77
fi

work=${TEST_SCRATCH_DIR:-$repo/.test}/citus
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"
# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"

cleanup() {
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    "$repo/scripts/citus-cluster.sh" stop "$work/cluster" >/dev/null 2>&1
    "$repo/scripts/pg-cluster.sh" stop "$work/single" >/dev/null 2>&1
}
trap cleanup EXIT
start_watchdog "${CITUS_TEST_TIMEOUT_S:-1200}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM

on() {  # on PORT SQL: one value (or rows) from a node's database
    psql -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d "$database" -c "$2" 2>&1
}
# add_suite LABEL LOG: adds the counts of a sub-suite's closing line.
add_suite() {
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
    if [ -z "$line" ]; then
        fail "$1 ended with a result line" "$(tail -n 3 "$2" | tr '\n' ' ')"
        return
    fi
    passed=$((passed + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")))
    echo "# $1: $line"
}

echo "# PostgreSQL $(pg_config --version | cut -d' ' -f2), coordinator on $coordinator, workers on ${workers[*]}, one PostgreSQL on $single_port"
if ! PG_FSYNC=off "$repo/scripts/citus-cluster.sh" start "$work/cluster" "$database" >"$work/cluster.log" 2>&1; then
    cat "$work/cluster.log"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$work/single" "$single_port" "$database" >"$work/single.log" 2>&1; then
    cat "$work/single.log"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "# $(on "$coordinator" "SELECT 'citus ' || extversion FROM pg_extension WHERE extname = 'citus'"), $(on "$coordinator" "SELECT citus_version()" | cut -d, -f1)"

# --- the cluster as docs/operations.md sets it up ----------------------------------------------
check_equal "the five product tables are distributed by product, in one colocation group" \
    "$(on "$coordinator" "SELECT string_agg(logicalrelid::text || ':' || column_to_column_name(logicalrelid, partkey), ' ' ORDER BY logicalrelid::text)
                            || ' groups=' || count(DISTINCT colocationid) FROM pg_dist_partition")" \
    "inventory.ledger:product_id inventory.outbox:aggregateid inventory.reservations:product_id inventory.stock:product_id inventory.stock_requests:product_id groups=1"
check_equal "the single-product functions, with their 1.2 signatures, are routed by their product argument, colocated with the tables" \
    "$(on "$coordinator" "SELECT string_agg(p.oid::regprocedure || '\$' || (distribution_argument_index + 1), ' ' ORDER BY proname, pronargs)
                            || ' colocated=' || bool_and(o.colocationid = (SELECT colocationid FROM pg_dist_partition
                                                                           WHERE logicalrelid = 'inventory.stock'::regclass))
                            FROM pg_dist_object o JOIN pg_proc p ON p.oid = o.objid
                           WHERE o.classid = 'pg_proc'::regclass AND o.distribution_argument_index IS NOT NULL")" \
    "inventory_adjust(text,bigint,text,text,text,text)\$1 inventory_available(text,text)\$1 inventory_check(text,bigint,text)\$1 inventory_remove(text,text,text)\$1 inventory_reserve(text,text,bigint,text,interval,text)\$2 inventory_reserve_batch(text,jsonb)\$1 inventory_restock(text,bigint,text,text,text,text)\$1 inventory_set_stock(text,bigint,text,text,bigint,text,text)\$1 colocated=true"
check_equal "the Kafka consumer's tables stay on the coordinator, not distributed" \
    "$(on "$coordinator" "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text IN ('inventory.consumer_offsets', 'inventory.dead_letters',
                                                                                         'inventory.consumed_messages', 'inventory.parked_events')")" 0
check_equal "pg_cron is on the coordinator only, with the reaper job" \
    "$(on "$coordinator" "SELECT string_agg(jobname || ' ' || schedule, ',') FROM cron.job") $(on "${workers[0]}" "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")$(on "${workers[1]}" "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")" \
    "inventory-expire-reservations * * * * * 00"
settings_of() {
    psql -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d "$database" -c "LOAD 'pg_inventory'" \
        -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
             WHERE name LIKE 'inventory.%' OR name = 'max_prepared_transactions'"
}
coordinator_settings=$(settings_of "$coordinator")
if [ "$(settings_of "${workers[0]}")" = "$coordinator_settings" ] && [ "$(settings_of "${workers[1]}")" = "$coordinator_settings" ] &&
    [[ $coordinator_settings =~ max_prepared_transactions=([1-9][0-9]*) ]]; then
    pass "every node has the same inventory.* settings and prepared transactions (max_prepared_transactions=${BASH_REMATCH[1]})"
else
    fail "every node has the same inventory.* settings and prepared transactions" "$coordinator_settings"
fi

# --- every SQL API function: the same results and errors as on one PostgreSQL --------------------
psql -X -h 127.0.0.1 -p "$single_port" -U postgres -d "$database" -f "$here/api_scenario.sql" >"$work/single.out" 2>&1
psql -X -h 127.0.0.1 -p "$coordinator" -U postgres -d "$database" -f "$here/api_scenario.sql" >"$work/citus.out" 2>&1
# masked: ids and times (random, clock), psql's LOCATION lines (Citus reports where it relayed an
# error) and column widths (they follow the masked values)
masked() {
    sed -E -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
        -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\+00/<time>/g' \
        -e '/^LOCATION:/d' -e 's/^-+(\+-+)*$/<rule>/' -e 's/ +$//' -e 's/^ +//' -e 's/ +\| +/|/g' "$1"
}
if diff <(masked "$work/single.out") <(masked "$work/citus.out") >"$work/api.diff"; then
    pass "every SQL API function gives the same results and errors on Citus as on one PostgreSQL ($(grep -c '^psql:.*ERROR' "$work/citus.out") errors, $(wc -l <"$work/citus.out") lines compared)"
else
    fail "every SQL API function gives the same results and errors on Citus as on one PostgreSQL" "$(head -n 20 "$work/api.diff" | tr '\n' ' ')"
fi
if [ "$(grep -c '^psql:.*ERROR' "$work/single.out")" -ge 30 ] && [ "$(wc -l <"$work/single.out")" -ge 400 ]; then
    pass "the scenario ran in full (its 30 errors and more are expected ones)"
else
    fail "the scenario ran in full" "$(tail -n 5 "$work/single.out" | tr '\n' ' ')"
fi

# --- routing: single-product calls run on one worker, on its shards ------------------------------
# node_of PRODUCT: the port of the worker that holds the product's shards
node_of() {
    on "$coordinator" "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
                        WHERE p.shardid = get_shard_id_for_distribution_column('inventory.stock', '$1')"
}
# product_on PORT: a product name whose shards that worker holds
product_on() {
    local i
    for i in $(seq 1 200); do
        [ "$(node_of "route-$i")" = "$1" ] && { echo "route-$i"; return; }
    done
}
products=("$(product_on "${workers[0]}")" "$(product_on "${workers[1]}")")
for port in "${workers[@]}"; do
    on "$port" "ALTER SYSTEM SET citus.log_remote_commands = on" >/dev/null
    on "$port" "ALTER SYSTEM SET citus.log_local_commands = on" >/dev/null
    on "$port" "SELECT pg_reload_conf()" >/dev/null
done
sleep 1
# logged SQL...: runs statements on the coordinator with Citus's command logging, prints the notices
logged() {
    local args=() statement
    for statement in "$@"; do args+=(-c "$statement"); done
    PGOPTIONS='-c citus.log_remote_commands=on -c client_min_messages=notice' \
        psql -X -q -h 127.0.0.1 -p "$coordinator" -U postgres -d "$database" "${args[@]}" 2>&1 >/dev/null
}
# routed NAME PRODUCT CALL: CALL must be sent to the product's worker as one command, and run there
# with no command of Citus's at all: no statement through Citus locally, none to another node.
routed() {
    local name=$1 product=$2 call=$3 log=$work/routed-$1.log port
    port=$(node_of "$product")
    logged "$call" >"$log"
    local issued locally on_port
    issued=$(grep -c '^NOTICE:  issuing ' "$log")
    locally=$(grep -c '^NOTICE:  executing the command locally' "$log")
    on_port=$(grep -c "^DETAIL:  on server postgres@127.0.0.1:$port " "$log")
    if [ "$issued" = 1 ] && [ "$on_port" = 1 ] && [ "$locally" = 0 ] && ! grep -q '^ERROR' "$log" &&
        grep -q "^NOTICE:  issuing SELECT .*public\.$name(" "$log"; then
        pass "$name is routed to the worker holding its product (port $port) and runs there on the product's shards, no distributed statement"
    else
        fail "$name is routed to its product's worker ($port), with no other command" \
            "issued $issued, on that worker $on_port, through Citus locally $locally: $(head -c 400 "$log" | tr '\n' ' ')"
    fi
}
p1=${products[0]}
p2=${products[1]}
on "$coordinator" "SELECT count(*) FROM inventory_set_stock('$p1', 20)" >/dev/null
on "$coordinator" "SELECT count(*) FROM inventory_set_stock('$p2', 20)" >/dev/null
routed inventory_set_stock "$p1" "SELECT inventory_set_stock('$p1', 30, 'main', 'Routed')"
routed inventory_restock "$p1" "SELECT * FROM inventory_restock('$p1', 5)"
routed inventory_adjust "$p2" "SELECT inventory_adjust('$p2', -1, 'count')"
routed inventory_reserve "$p1" "SELECT * FROM inventory_reserve('route-o1', '$p1', 3)"
routed inventory_reserve_batch "$p2" "SELECT * FROM inventory_reserve_batch('$p2', '[{\"order_id\": \"route-o2\", \"lines\": [{\"product_id\": \"$p2\", \"quantity\": 2}]}, {\"order_id\": \"route-o3\", \"lines\": [{\"product_id\": \"$p2\", \"quantity\": 1}]}]')"
routed inventory_available "$p1" "SELECT inventory_available('$p1')"
routed inventory_check "$p2" "SELECT inventory_check('$p2', 3)"
on "$coordinator" "SELECT count(*) FROM inventory_set_stock('$p2', 0, 'spare')" >/dev/null
routed inventory_remove "$p2" "SELECT inventory_remove('$p2', 'spare')"
# the same calls with every 1.2 argument: a request id and the actor
routed inventory_set_stock "$p2" "SELECT inventory_set_stock('$p2', 40, 'main', 'Routed', 5, 'route-req-1', 'route-setter')"
routed inventory_restock "$p2" "SELECT * FROM inventory_restock('$p2', 5, 'main', 'delivery', 'route-req-2', 'route-receiver')"
routed inventory_adjust "$p2" "SELECT inventory_adjust('$p2', -2, 'count', 'main', 'route-req-3', 'route-counter')"
routed inventory_reserve "$p2" "SELECT * FROM inventory_reserve('route-o5', '$p2', 1, 'main', '10 minutes', 'route-buyer')"
# as the service calls it: the actor by name, the other arguments positional
routed inventory_restock "$p2" "SELECT * FROM inventory_restock('$p2', 1, 'main', NULL, actor => 'route-named')"
on "$coordinator" "SELECT count(*) FROM inventory_set_stock('$p2', 0, 'spare2')" >/dev/null
routed inventory_remove "$p2" "SELECT inventory_remove('$p2', 'spare2', 'route-remover')"
shard=$(on "$coordinator" "SELECT get_shard_id_for_distribution_column('inventory.ledger', '$p2')")
check_equal "the actor argument of each routed call is in its ledger row on the worker's shard" \
    "$(on "$(node_of "$p2")" "SELECT string_agg(reason || ':' || coalesce(actor, '-'), ' ' ORDER BY warehouse, version) FROM inventory.ledger_$shard
                              WHERE product_id = '$p2' AND actor LIKE 'route-%'")" \
    "set:route-setter restock:route-receiver adjust:route-counter reserve:route-buyer restock:route-named remove:route-remover"
check_equal "a routed call repeated with its request id returns the first call's row and writes nothing (the worker finds the id)" \
    "$(on "$coordinator" "SELECT version FROM inventory_restock('$p2', 5, 'main', 'delivery', 'route-req-2', 'route-receiver')")/$(on "$coordinator" "SELECT count(*) FROM inventory.ledger WHERE product_id = '$p2' AND actor = 'route-receiver'")" \
    "$(on "$coordinator" "SELECT version FROM inventory.ledger WHERE product_id = '$p2' AND actor = 'route-receiver'")/1"
shard=$(on "$coordinator" "SELECT get_shard_id_for_distribution_column('inventory.reservations', '$p1')")
check_equal "the routed reservation is in the product's shard on its worker" \
    "$(on "$(node_of "$p1")" "SELECT order_id || ' ' || quantity FROM inventory.reservations_$shard WHERE product_id = '$p1'")" "route-o1 3"
logged "SELECT count(*) FROM inventory_reserve_order('route-o4', '[{\"product_id\": \"$p1\", \"quantity\": 1}, {\"product_id\": \"$p2\", \"quantity\": 1}]')" \
    >"$work/routed-order.log"
if grep -q "^DETAIL:  on server postgres@127.0.0.1:${workers[0]} " "$work/routed-order.log" &&
    grep -q "^DETAIL:  on server postgres@127.0.0.1:${workers[1]} " "$work/routed-order.log"; then
    pass "an order of two products runs from the coordinator on both workers, and the log shows its commands"
else
    fail "an order of two products runs from the coordinator on both workers" "$(head -c 400 "$work/routed-order.log" | tr '\n' ' ')"
fi
logged "BEGIN" "SELECT count(*) FROM inventory_restock('$p1', 1)" "COMMIT" >"$work/routed-block.log"
shards_of_p1=$(on "$coordinator" "SELECT string_agg(DISTINCT get_shard_id_for_distribution_column(t, '$p1')::text, ' ')
                                  FROM unnest(ARRAY['inventory.stock', 'inventory.reservations', 'inventory.ledger',
                                                    'inventory.outbox', 'inventory.stock_requests']::regclass[]) t")
other_shards=$(grep -oE '(stock_requests|stock|reservations|ledger|outbox)_[0-9]+' "$work/routed-block.log" | sed -E 's/.*_//' | sort -u |
    grep -vxF -f <(tr ' ' '\n' <<<"$shards_of_p1") | tr '\n' ' ')
if [ "$(grep -c '^DETAIL:  on server' "$work/routed-block.log")" -gt 0 ] &&
    [ "$(grep '^DETAIL:  on server' "$work/routed-block.log" | grep -vc "127.0.0.1:$(node_of "$p1") ")" = 0 ] && [ -z "$other_shards" ]; then
    pass "inside a transaction block Citus does not route the call: its statements go to the product's worker only, on its shards only"
else
    fail "inside a transaction block the call's statements stay on the product's worker and shards" "other shards: $other_shards"
fi
# As the service sends a batch whose lines all name one product on Citus (statement::
# kReserveBatchOfProduct in frontend/src/adapters/prepared_statements.cpp; keep the two in step): a
# prepared statement with the product and the requests as parameters, executed more times than
# PostgreSQL's plan cache needs to consider a generic plan. Every execution must be sent whole to the
# product's worker and run there. (The service itself is run against the coordinator further down.)
service_batch="PREPARE service_batch(text, text) AS SELECT b.request_index, b.outcome, b.error_code, b.error_message,
    b.shortages::text, to_jsonb(b.reservations)::text FROM inventory_reserve_batch(\$1, \$2::jsonb) b"
executions=()
for i in 1 2 3 4 5 6 7; do
    executions+=("EXECUTE service_batch('$p2', '[{\"order_id\": \"svc-o$i\", \"actor\": \"svc\", \"ttl_seconds\": 600,
                  \"lines\": [{\"product_id\": \"$p2\", \"quantity\": 1}]}, {\"order_id\": \"svc-o$i-b\", \"lines\": [{\"product_id\": \"$p2\", \"quantity\": 1}]}]')")
done
logged "$service_batch" "${executions[@]}" >"$work/routed-service-batch.log"
issued=$(grep -c '^NOTICE:  issuing SELECT .*public\.inventory_reserve_batch(' "$work/routed-service-batch.log")
if [ "$issued" = 7 ] && [ "$(grep -c '^NOTICE:  issuing ' "$work/routed-service-batch.log")" = 7 ] &&
    [ "$(grep -c "^DETAIL:  on server postgres@127.0.0.1:$(node_of "$p2") " "$work/routed-service-batch.log")" = 7 ] &&
    [ "$(grep -c '^NOTICE:  executing the command locally' "$work/routed-service-batch.log")" = 0 ] &&
    ! grep -q '^ERROR' "$work/routed-service-batch.log"; then
    pass "the service's statement for a batch of one product is routed, all 7 executions, to the product's worker and runs there on its shards, no distributed statement"
else
    fail "the service's statement for a batch of one product is routed to $(node_of "$p2") every time" \
        "issued $issued: $(head -c 600 "$work/routed-service-batch.log" | tr '\n' ' ')"
fi
check_equal "and its 14 requests are reserved in the product's shard on that worker, with the actor and ttl they carried" \
    "$(on "$(node_of "$p2")" "SELECT count(*) || ' ' || count(*) FILTER (WHERE expires_at - created_at = '600 seconds')
                               FROM inventory.reservations_$(on "$coordinator" "SELECT get_shard_id_for_distribution_column('inventory.reservations', '$p2')")
                              WHERE order_id LIKE 'svc-o%'") $(on "$coordinator" "SELECT count(*) FROM inventory.ledger WHERE product_id = '$p2' AND actor = 'svc'")" \
    "14 7 7"
# A request id recorded by a routed call, repeated inside a transaction block (which runs from the
# coordinator through Citus) and routed again: the three calls find one record, in the product's
# stock_requests shard, and the stock changes once.
shard_of() {  # shard_of TABLE PRODUCT
    on "$coordinator" "SELECT get_shard_id_for_distribution_column('inventory.$1', '$2')"
}
repeat_call="SELECT version FROM inventory_restock('$p2', 7, 'main', 'repeat', 'repeat-req-1', 'repeat-actor')"
on_hand_before=$(on "$coordinator" "SELECT on_hand FROM inventory.stock WHERE product_id = '$p2' AND warehouse = 'main'")
routed inventory_restock "$p2" "$repeat_call"
first_version=$(on "$coordinator" "SELECT version FROM inventory.ledger WHERE product_id = '$p2' AND actor = 'repeat-actor'")
in_block=$(psql -X -q -At -h 127.0.0.1 -p "$coordinator" -U postgres -d "$database" -c "BEGIN" -c "$repeat_call" -c "COMMIT" 2>&1)
routed inventory_restock "$p2" "$repeat_call"
again=$(on "$coordinator" "$repeat_call")
worker_of_p2=$(node_of "$p2")
check_equal "a request id applied routed, repeated in a transaction block from the coordinator, then routed again, changes the stock once" \
    "$in_block/$again $(on "$coordinator" "SELECT on_hand - $on_hand_before FROM inventory.stock WHERE product_id = '$p2' AND warehouse = 'main'")" \
    "$first_version/$first_version 7"
check_equal "and the worker's shards hold one ledger row, one event and one request record of it" \
    "$(on "$worker_of_p2" "SELECT (SELECT count(*) FROM inventory.ledger_$(shard_of ledger "$p2") WHERE product_id = '$p2' AND actor = 'repeat-actor')
                             || ' ' || (SELECT count(*) FROM inventory.outbox_$(shard_of outbox "$p2")
                                         WHERE aggregateid = '$p2' AND warehouse = 'main' AND version = $first_version)
                             || ' ' || (SELECT count(*) FROM inventory.stock_requests_$(shard_of stock_requests "$p2")
                                         WHERE product_id = '$p2' AND request_id = 'repeat-req-1')")" "1 1 1"
check_equal "the same request id with other arguments is refused the same way routed and in a transaction block (IN005)" \
    "$(on "$coordinator" "SELECT version FROM inventory_restock('$p2', 8, 'main', 'repeat', 'repeat-req-1')" | grep -o 'already used by a different request')/$(
        psql -X -q -At -h 127.0.0.1 -p "$coordinator" -U postgres -d "$database" -c "BEGIN" \
            -c "SELECT version FROM inventory_restock('$p2', 8, 'main', 'repeat', 'repeat-req-1')" -c "ROLLBACK" 2>&1 |
            grep -o 'already used by a different request')" \
    "already used by a different request/already used by a different request"
on "$coordinator" "UPDATE inventory.stock_requests SET expires_at = now() - interval '1 second'
                   WHERE product_id = '$p2' AND request_id = 'repeat-req-1'" >/dev/null
on "$coordinator" "SELECT inventory_expire_reservations(1)" >/dev/null
check_equal "the reaper, called on the coordinator, purges an expired request id from the worker's shard" \
    "$(on "$worker_of_p2" "SELECT count(*) FROM inventory.stock_requests_$(shard_of stock_requests "$p2") WHERE request_id = 'repeat-req-1'")" 0
for port in "${workers[@]}"; do
    on "$port" "ALTER SYSTEM RESET citus.log_remote_commands" >/dev/null
    on "$port" "ALTER SYSTEM RESET citus.log_local_commands" >/dev/null
    on "$port" "SELECT pg_reload_conf()" >/dev/null
done

# --- calls on a worker's own session, and from inside a query on the workers -----------------------
worker_of_p1=$(node_of "$p1")
check_equal "two calls in one statement on the worker that holds the product" \
    "$(on "$worker_of_p1" "SELECT count(*) FROM (SELECT version FROM inventory_restock('$p1', 1)
                                                 UNION ALL SELECT version FROM inventory_restock('$p1', 1)) x")" 2
check_equal "several calls in one transaction block on that worker" \
    "$(psql -X -q -At -h 127.0.0.1 -p "$worker_of_p1" -U postgres -d "$database" -c "BEGIN" \
        -c "SELECT count(*) FROM inventory_reserve('worker-o1', '$p1', 1)" -c "SELECT count(*) FROM inventory_restock('$p1', 1)" \
        -c "SELECT count(*) FROM inventory_confirm_order('worker-o1')" -c "COMMIT" 2>&1 | tr '\n' ' ')" "1 1 1 "
# The metadata lock of a product's shards: a backend's first call takes it through Citus's
# lock_shard_metadata() and checks that the lock it computes is the one Citus took; later calls
# take that lock directly. It must still be Citus's lock: a shard move's exclusive lock waits for it.
check_equal "a backend's first call of a product takes the shards' metadata lock through Citus's function, finds it is the lock it computes, and takes it directly from then on" \
    "$(psql -X -q -At -h 127.0.0.1 -p "$worker_of_p1" -U postgres -d "$database" -c "SET client_min_messages = debug1" \
        -c "SELECT count(*) FROM inventory_reserve('lock-o1', '$p1', 1)" -c "SELECT count(*) FROM inventory_reserve('lock-o2', '$p1', 1)" 2>&1 |
        grep -c "pg_inventory takes the metadata lock of shard $(shard_of stock "$p1") directly")" 1
psql -X -q -At -h 127.0.0.1 -p "$worker_of_p1" -U postgres -d "$database" \
    -c "SELECT count(*) FROM inventory_reserve('lock-o3', '$p1', 1)" -c "BEGIN" \
    -c "SELECT count(*) FROM inventory_reserve('lock-o4', '$p1', 1)" -c "SELECT pg_sleep(8)" -c "COMMIT" \
    >"$work/lock-holder.log" 2>&1 &
lock_holder=$!
sleep 3
check_equal "that directly taken lock is Citus's: lock_shard_metadata in exclusive mode waits for the call's transaction" \
    "$(on "$worker_of_p1" "SET lock_timeout = '500ms'; SELECT lock_shard_metadata(7, ARRAY[$(shard_of stock "$p1")]::bigint[])" |
        grep -c 'lock timeout')" 1
wait "$lock_holder"
check_equal "and once that transaction ends (its two calls reserved), the exclusive lock is granted" \
    "$(grep -c '^1$' "$work/lock-holder.log") $(on "$worker_of_p1" "SET lock_timeout = '2s'; SELECT 'granted' FROM (SELECT lock_shard_metadata(7, ARRAY[$(shard_of stock "$p1")]::bigint[])) l")" "2 granted"
check_equal "a call of a product held by the other worker, made on this worker, goes through Citus" \
    "$(on "$worker_of_p1" "SELECT count(*) FROM inventory_reserve('worker-o2', '$p2', 1)")" 1
check_equal "a read called for each row of a query on the distributed tables runs on each row's shards" \
    "$(on "$coordinator" "SELECT bool_and(inventory_available(product_id, warehouse) = available)
                           FROM inventory.stock WHERE product_id IN ('$p1', '$p2')")" t

# --- shard moves while routed calls run -----------------------------------------------------------
# A move switches the product's shards to the other worker while reservations keep coming: a call
# that waited for the move must follow the shards (lost writes on the old shard otherwise). Order
# ids are drawn from 9e18 values: from 2e9, some 46,000 calls repeat an id (a repeat, not a new
# reservation) in about one run in ten, which counts like a lost write.
shard=$(on "$coordinator" "SELECT get_shard_id_for_distribution_column('inventory.stock', '$p1')")
on "$coordinator" "SELECT count(*) FROM inventory_set_stock('$p1', 1000000000)" >/dev/null
printf '\\set n random(1, 9000000000000000000)\nSELECT count(*) FROM inventory_reserve(:client_id || %s || :n, %s, 1);\n' \
    "'-move-'" "'$p1'" >"$work/move.pgbench"
# a request id recorded before the moves: its record moves with the product's shards
move_call="SELECT version FROM inventory_restock('$p1', 3, 'main', 'moved', 'move-req-1', 'move-actor')"
move_version=$(on "$coordinator" "$move_call")
for mode in force_logical block_writes; do
    from=$(node_of "$p1")
    to=$([ "$from" = "${workers[0]}" ] && echo "${workers[1]}" || echo "${workers[0]}")
    before=$(on "$coordinator" "SELECT count(*) FROM inventory.reservations WHERE product_id = '$p1'")
    pgbench -n -h 127.0.0.1 -p "$coordinator" -U postgres -c 4 -j 2 -T 10 -f "$work/move.pgbench" "$database" \
        >"$work/move-$mode.log" 2>&1 &
    pgbench_pid=$!
    sleep 3
    moved=$(on "$coordinator" "SELECT citus_move_shard_placement($shard, '127.0.0.1', $from, '127.0.0.1', $to,
                                                               shard_transfer_mode => '$mode')")
    wait "$pgbench_pid"
    processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$work/move-$mode.log")
    failures=$(sed -nE 's/^number of failed transactions: ([0-9]+).*/\1/p' "$work/move-$mode.log")
    after=$(on "$coordinator" "SELECT count(*) FROM inventory.reservations WHERE product_id = '$p1'")
    if [ -z "$moved" ] && [ "$(node_of "$p1")" = "$to" ] && [ "${processed:-0}" -gt 0 ] &&
        [ "$((after - before)) ${failures:-?}" = "$processed 0" ]; then
        pass "a $mode shard move under routed reservations: $processed calls, all kept on the new worker ($to), none failed"
    else
        fail "a $mode shard move under routed reservations keeps every call" \
            "move '$moved', now on $(node_of "$p1"), processed ${processed:-?}, failed ${failures:-?}, reservations added $((after - before))"
    fi
    check_equal "after the $mode move, a request id recorded before it is found on the new worker: the repeat writes nothing" \
        "$(on "$coordinator" "$move_call")/$(on "$coordinator" "SELECT count(*) FROM inventory.ledger WHERE product_id = '$p1' AND actor = 'move-actor'")" \
        "$move_version/1"
done
check_equal "after the moves the product's stock, reservations, ledger and events agree" \
    "$(on "$coordinator" "SELECT s.reserved = (SELECT sum(quantity) FROM inventory.reservations
                                                WHERE product_id = '$p1' AND warehouse = 'main' AND status IN ('active', 'confirmed'))
                             AND s.reserved = (SELECT sum(reserved_delta) FROM inventory.ledger WHERE product_id = '$p1' AND warehouse = 'main')
                             AND s.version = (SELECT count(*) FROM inventory.ledger WHERE product_id = '$p1' AND warehouse = 'main')
                             AND s.version = (SELECT count(*) FROM inventory.outbox
                                               WHERE aggregateid = '$p1' AND warehouse = 'main' AND type = 'inventory.updated')
                          FROM inventory.stock s WHERE product_id = '$p1' AND warehouse = 'main'")" t
routed inventory_reserve "$p1" "SELECT * FROM inventory_reserve('route-after-move', '$p1', 1)"

# --- who and how long travel with the call -------------------------------------------------------
on "$coordinator" "SELECT count(*) FROM inventory_reserve('travel-o1', '$p2', 1, NULL, '42 seconds')" >/dev/null
check_equal "a routed reservation's ttl argument reaches the worker" \
    "$(on "$coordinator" "SELECT expires_at - created_at FROM inventory.reservations WHERE order_id = 'travel-o1'")" "00:00:42"
on "$coordinator" "SELECT count(*) FROM inventory_reserve_batch('$p2', '[{\"order_id\": \"travel-o2\", \"actor\": \"alice\", \"ttl_seconds\": 30,
                                                                      \"lines\": [{\"product_id\": \"$p2\", \"quantity\": 1}]}]')" >/dev/null
check_equal "a routed batch request's actor and ttl reach the worker" \
    "$(on "$coordinator" "SELECT l.actor || ' ' || (r.expires_at - r.created_at) FROM inventory.ledger l
                           JOIN inventory.reservations r ON r.id = l.reservation_id AND r.product_id = l.product_id
                          WHERE r.order_id = 'travel-o2'")" "alice 00:00:30"

# --- the service's reservation batches, routed by product -----------------------------------------
CITUS_SERVICE_DATABASE=$database CITUS_COORDINATOR_LOG=$work/cluster/coordinator/server.log TEST_SCRATCH_DIR=$work \
    "$here/service.sh" >"$work/service.log" 2>&1
sed 's/^/  /' "$work/service.log"
add_suite "the service on Citus" "$work/service.log"

# --- the relay's fetch and the Kafka input, called on the coordinator ------------------------------
check_equal "inventory_outbox_fetch_after from the start returns what inventory_outbox_fetch does (each stock row's events in version order), and nothing after a position (seq counts per node)" \
    "$(on "$coordinator" "SELECT (SELECT array_agg(id) FROM inventory_outbox_fetch_after(NULL, 1000))
                                 = (SELECT array_agg(id) FROM inventory_outbox_fetch(1000))
                             AND NOT EXISTS (SELECT FROM inventory_outbox_fetch_after(0, 1000))")" t
for port in "$coordinator" "$single_port"; do
    on "$port" "SELECT count(*) FROM inventory_set_stock('kafka-p', 10)" >/dev/null
done
kafka_state="SELECT (SELECT string_agg(order_id || ':' || status, ' ' ORDER BY order_id) FROM inventory.reservations
                      WHERE product_id = 'kafka-p')
                    || ' dead=' || (SELECT count(*) FROM inventory.dead_letters WHERE effect->>'order_id' LIKE 'k-o%')
                    || ' parked=' || (SELECT count(*) FROM inventory.parked_events WHERE order_id LIKE 'k-o%' AND applied_at IS NULL)
                    || ' available=' || inventory_available('kafka-p')"
kafka_on_single="$(psql -X -q -At -h 127.0.0.1 -p "$single_port" -U postgres -d "$database" -f "$here/kafka_input.sql" 2>&1) $(on "$single_port" "$kafka_state")"
check_equal "inventory_consume_batch on the coordinator (a payment before its order, a cancel before its order, an order short of stock) ends as on one PostgreSQL" \
    "$(psql -X -q -At -h 127.0.0.1 -p "$coordinator" -U postgres -d "$database" -f "$here/kafka_input.sql" 2>&1) $(on "$coordinator" "$kafka_state")" \
    "$kafka_on_single"
check_equal "and on one PostgreSQL that is: the payment applied when its order came, the cancelled order holds nothing, the short one dead-lettered" \
    "$kafka_on_single" "applied applied parked applied dead_letter/IN001 parked applied k-o1:confirmed k-o2:confirmed dead=1 parked=0 available=7"

# An overdue reservation that only pg_cron's reaper on the coordinator will expire (checked at the end;
# nothing else calls the reaper in this database from here on).
on "$coordinator" "SELECT count(*) FROM inventory_set_stock('cron-p', 5)" >/dev/null
on "$coordinator" "SELECT count(*) FROM inventory_reserve('cron-o', 'cron-p', 2, NULL, '1 second')" >/dev/null

# --- the stress test, with routed calls beside it --------------------------------------------------
for port in "${workers[@]}"; do
    psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "LOAD 'pg_inventory'" \
        -c "ALTER SYSTEM SET inventory.actor = 'routed'" -c "SELECT pg_reload_conf()" >/dev/null
done
PGHOST=127.0.0.1 PGPORT=$coordinator PGUSER=postgres STRESS_DATABASE=stress_citus STRESS_TIMEOUT=600 \
    STRESS_CREATE_DATABASE="$repo/scripts/citus-cluster.sh database $work/cluster" \
    STRESS_DROP_DATABASE="$repo/scripts/citus-cluster.sh drop-database $work/cluster" \
    STRESS_EXTRA_SCRIPT=$here/routed.pgbench "$repo/tests/stress/run.sh" >"$work/stress.log" 2>&1
grep -vE '^(WARNING|HINT):' "$work/stress.log" | sed 's/^/  /'
add_suite "stress on Citus" "$work/stress.log"
for port in "${workers[@]}"; do
    psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "ALTER SYSTEM RESET inventory.actor" \
        -c "SELECT pg_reload_conf()" >/dev/null
done

# --- the relay's kill -9 test on the cluster -------------------------------------------------------
relay_database=relay_citus
"$repo/scripts/citus-cluster.sh" database "$work/cluster" "$relay_database" >"$work/relay-db.log" 2>&1
CITUS_RELAY_DATABASE=$relay_database TEST_SCRATCH_DIR=$work "$here/relay.sh" >"$work/relay.log" 2>&1
sed 's/^/  /' "$work/relay.log"
add_suite "relay on Citus" "$work/relay.log"

# --- pgTAP against the coordinator -------------------------------------------------------------
pg_prove -v -h 127.0.0.1 -p "$coordinator" -U postgres -d "$database" "$repo/pgtap/09_kafka_consumer_positions.sql" \
    >"$work/pgtap.log" 2>&1
tap_ok=$(grep -cE '^\s*ok [0-9]+' "$work/pgtap.log")
tap_not_ok=$(grep -cE '^\s*not ok [0-9]+' "$work/pgtap.log")
passed=$((passed + tap_ok))
failed=$((failed + tap_not_ok))
if [ "$tap_ok" -gt 0 ] && grep -q '^Result: PASS' "$work/pgtap.log"; then
    echo "# pgTAP 09_kafka_consumer_positions on the coordinator: $tap_ok passed"
else
    fail "pgTAP 09_kafka_consumer_positions on the coordinator" "$(tail -n 5 "$work/pgtap.log" | tr '\n' ' ')"
fi
echo "# not run on the coordinator (docs/operations.md): pgTAP 01-08 and 10. Their assertions wrap queries of"
echo "#   one product in pgTAP calls (is((SELECT ...), ...)), which Citus sends whole to the worker holding the"
echo "#   product, where the session's test plan does not exist; their helpers are LANGUAGE sql functions with"
echo "#   parameters over distributed tables; some call the API once per row of a query on a distributed table,"
echo "#   join tables on columns other than the product, or switch roles after writing in one transaction."
echo "#   The SQL API's behaviour on Citus is compared with one PostgreSQL above instead."

# --- pg_cron's reaper runs on the coordinator ------------------------------------------------------
# Two statements: Citus does not join the coordinator's cron tables with a distributed table.
cron_deadline=$(on "$coordinator" "SELECT expires_at FROM inventory.reservations WHERE order_id = 'cron-o'")
reaped() {
    [ "$(on "$coordinator" "SELECT status FROM inventory.reservations WHERE order_id = 'cron-o'")" = expired ] &&
        [ "$(on "$coordinator" "SELECT count(*) > 0 FROM cron.job_run_details
                                WHERE status = 'succeeded' AND start_time > '$cron_deadline'")" = t ]
}
if wait_until 90 reaped; then
    pass "pg_cron's job on the coordinator expired the overdue reservation ($(on "$coordinator" "SELECT count(*) FROM cron.job_run_details WHERE status = 'succeeded'") successful runs)"
else
    fail "pg_cron's job on the coordinator expired the overdue reservation" \
        "$(on "$coordinator" "SELECT string_agg(status || ': ' || return_message, '; ') FROM cron.job_run_details")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
