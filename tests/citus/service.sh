#!/usr/bin/env bash
# tests/citus/service.sh: inventory-svc's reservation batches on a Citus cluster that
# tests/citus/run.sh started. The real service runs against the coordinator, its sessions with
# Citus's logging of remote commands (citus.log_remote_commands, written to the coordinator's server
# log). Then:
#   - CITUS_SERVICE_CLIENTS concurrent clients POST /v1/reservations for the last 100 units of one
#     product: the requests are coalesced, and every batch went to the product's worker as one routed
#     command (inventory_reserve_batch(product_id, requests)), no other command, nothing run through
#     Citus locally;
#   - exactly 100 granted, no oversell; every answer (reservation ids, microsecond UTC timestamps,
#     shortages of the refused) is what the database holds;
#   - then 32 clients in a closed loop on the product for a few seconds: again every batch routed;
#     one ledger row and one event per reservation;
#   - an order of two products on two workers still goes as inventory_reserve_batch(requests), which
#     runs from the coordinator on both workers;
#   - the adapters' database test of the two batch statements (inventory_database_tests), run against
#     the coordinator, where the product-scoped one is routed.
# Ends with "N passed, N failed". env: CITUS_COORDINATOR_PORT, CITUS_WORKER1_PORT, CITUS_WORKER2_PORT,
# CITUS_SERVICE_DATABASE (default inventory_citus), CITUS_COORDINATOR_LOG (the coordinator's server
# log), CITUS_SERVICE_CLIENTS (default 200), INVENTORY_SVC_BIN, INVENTORY_DATABASE_TESTS_BIN,
# CITUS_SERVICE_TIMEOUT_S (default 300), TEST_SCRATCH_DIR.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
database_tests=$(realpath -m "${INVENTORY_DATABASE_TESTS_BIN:-$(dirname "$binary")/inventory_database_tests}")
coordinator=${CITUS_COORDINATOR_PORT:-25700}
workers=("${CITUS_WORKER1_PORT:-25701}" "${CITUS_WORKER2_PORT:-25702}")
database=${CITUS_SERVICE_DATABASE:-inventory_citus}
server_log=${CITUS_COORDINATOR_LOG:?the coordinator\'s server log}
clients=${CITUS_SERVICE_CLIENTS:-200}
work=${TEST_SCRATCH_DIR:-$repo/.test}/citus-service
passed=0
failed=0
service_pid=""

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools psql curl jq python3
require_built "$binary" "$database_tests"

cleanup() {
    if [ -n "$service_pid" ]; then
        kill -TERM "$service_pid" 2>/dev/null
        wait "$service_pid" 2>/dev/null
    fi
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
}
trap cleanup EXIT
start_watchdog "${CITUS_SERVICE_TIMEOUT_S:-300}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"

sql() { psql -X -q -At -h 127.0.0.1 -p "$coordinator" -U postgres -d "$database" -c "$1" 2>&1; }
# node_of PRODUCT: the port of the worker that holds the product's shards
node_of() {
    sql "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
          WHERE p.shardid = get_shard_id_for_distribution_column('inventory.stock', '$1')"
}
# product_on PORT PREFIX: a product name starting with PREFIX whose shards that worker holds
product_on() {
    local i
    for i in $(seq 1 200); do
        [ "$(node_of "$2$i")" = "$1" ] && { echo "$2$i"; return; }
    done
}
# log_since OFFSET: the coordinator's server log from byte OFFSET on
log_since() { tail -c +"$(($1 + 1))" "$server_log"; }
log_size() { stat -c %s "$server_log"; }
metric() { curl -s "$base/metrics" | awk -v name="$1" '$1 == name {print $2}'; }
# all_routed LABEL OFFSET BATCHES: the coordinator's log since OFFSET shows BATCHES routed calls of
# inventory_reserve_batch(hot, ...) to the hot product's worker, and no other command at all.
all_routed() {
    local log=$work/commands-$2.log routed issued to_worker locally
    log_since "$2" >"$log"
    routed=$(grep -c "NOTICE:  issuing SELECT .*public\.inventory_reserve_batch('$hot'::text" "$log")
    issued=$(grep -c 'NOTICE:  issuing ' "$log")
    to_worker=$(grep -c "DETAIL:  on server postgres@127.0.0.1:$hot_worker " "$log")
    locally=$(grep -c 'NOTICE:  executing the command locally' "$log")
    if [ -n "$3" ] && [ "$routed $issued $to_worker $locally" = "$3 $3 $3 0" ]; then
        pass "$1, in Citus's log of remote commands: each of the $3 batches went as one routed inventory_reserve_batch(product_id, requests) to the product's worker ($hot_worker), no other command, nothing through Citus locally"
    else
        fail "$1: every batch goes as one routed command to the product's worker ($hot_worker)" \
            "$3 batches; routed $routed, issued $issued, to that worker $to_worker, locally $locally: $(grep -m 3 'issuing' "$log" | cut -c 1-300 | tr '\n' ' ')"
    fi
}

hot=svc-hot-1  # the closed loop below (flash_load.py outage) names products PREFIX1..PREFIXN
hot_worker=$(node_of "$hot")
other=$(product_on "$([ "$hot_worker" = "${workers[0]}" ] && echo "${workers[1]}" || echo "${workers[0]}")" svc-other-)
sql "SELECT count(*) FROM inventory_set_stock('$hot', 100)" >/dev/null
sql "SELECT count(*) FROM inventory_set_stock('$other', 10)" >/dev/null

# The service's sessions log every command Citus sends to a node (NOTICE, into the server log only).
options='-c citus.log_remote_commands=on -c log_min_messages=notice -c client_min_messages=warning'
start_offset=$(log_size)
: >"$work/service.log"
env AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$coordinator/$database?options=$(jq -rn --arg o "$options" '$o | @uri')" \
    HTTP_HOST=127.0.0.1 HTTP_PORT=0 HTTP_THREADS=4 DB_POOL_SIZE=8 LOG_LEVEL=warn "$binary" >>"$work/service.log" 2>&1 &
service_pid=$!
port=$(service_port "$work/service.log")
if [ -z "$port" ]; then
    fail "the service starts against the coordinator" "$(head -c 600 "$work/service.log")"
    echo "$passed passed, $failed failed"
    exit 1
fi
base=http://127.0.0.1:$port

# --- concurrent clients for the last 100 units of one product --------------------------------------
python3 "$repo/tests/flash/flash_load.py" race 127.0.0.1 "$port" "$hot" "$clients" "$work/race.jsonl"
check_equal "$clients racing clients through the service on Citus: 100 granted, the others refused" \
    "$(jq -sc 'map(.status | tostring) | group_by(.) | map({(.[0]): length}) | add // {}' "$work/race.jsonl")" \
    "{\"201\":100,\"409\":$((clients - 100))}"
batches=$(metric inventory_reservation_batch_size_count)
batched=$(metric inventory_reservation_batch_size_sum)
if [ -n "$batches" ] && [ "$batches" -lt "$batched" ]; then
    pass "the requests were coalesced: $batched requests in $batches batches"
else
    fail "the requests were coalesced" "$batched requests in $batches batches"
fi
all_routed "the race" "$start_offset" "$batches"

check_equal "no oversell: the product's reserved units are the 100 grants, its on_hand" \
    "$(sql "SELECT reserved || ' ' || on_hand FROM inventory.stock WHERE product_id = '$hot' AND warehouse = 'main'")" "100 100"

# What the clients were told, against what the database holds, in the form of the flattened statement.
jq -r 'select(.status == 201) | .body | fromjson | .reservations[] |
       [.id, .order_id, .product_id, .warehouse, .quantity, .status, .expires_at, .created_at, .updated_at] | @tsv' \
    "$work/race.jsonl" | sort >"$work/told.tsv"
sql "SELECT id, order_id, product_id, warehouse, quantity, status,
            to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
            to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
       FROM inventory.reservations WHERE product_id = '$hot'" | tr '|' '\t' | sort >"$work/stored.tsv"
if [ "$(wc -l <"$work/told.tsv")" = 100 ] && cmp -s "$work/told.tsv" "$work/stored.tsv"; then
    pass "every 201 carries its reservation exactly as the database holds it (ids, microsecond UTC timestamps)"
else
    fail "every 201 carries its reservation as the database holds it" "$(diff "$work/told.tsv" "$work/stored.tsv" | head -4 | tr '\n' ' ')"
fi
bad=$(jq -s '[.[] | select(.status == 409) | .body | fromjson
              | select(.type != "/problems/insufficient-stock"
                       or .shortages != [{"product_id": "'"$hot"'", "warehouse": null, "requested": 1, "available": 0}])] | length' \
    "$work/race.jsonl")
check_equal "every refusal is a 409 with the batch's shortage (requested 1, available 0)" "$bad" 0

# --- a closed loop of clients on the product: more batches, each routed ------------------------------
sql "SELECT count(*) FROM inventory_set_stock('$hot', 1000000)" >/dev/null
loop_offset=$(log_size)
batches_before=$(metric inventory_reservation_batch_size_count)
python3 "$repo/tests/flash/flash_load.py" outage 127.0.0.1 "$port" 4 32 svc-hot- 1 "$work/loop.jsonl"
loop_batches=$(($(metric inventory_reservation_batch_size_count) - batches_before))
check_equal "32 clients in a closed loop on the product for 4 s: every request granted" \
    "$(jq -sc 'map(.status | tostring) | unique' "$work/loop.jsonl")" '["201"]'
all_routed "the closed loop ($(wc -l <"$work/loop.jsonl") requests)" "$loop_offset" "$loop_batches"
reservations=$(sql "SELECT count(*) FROM inventory.reservations WHERE product_id = '$hot'")
check_equal "one ledger row and one outbox event per reservation ($reservations), none without a reservation" \
    "$(sql "SELECT (SELECT count(*) FROM inventory.reservations WHERE product_id = '$hot')
                   || ' ' || (SELECT count(*) FROM inventory.ledger WHERE product_id = '$hot' AND reason = 'reserve'
                                 AND reservation_id IN (SELECT id FROM inventory.reservations WHERE product_id = '$hot'))
                   || ' ' || (SELECT count(DISTINCT payload->>'reservationId') FROM inventory.outbox
                               WHERE aggregateid = '$hot' AND type = 'inventory.updated' AND payload->>'reason' = 'reserve')
                   || ' ' || (SELECT count(*) FROM inventory.outbox
                               WHERE aggregateid = '$hot' AND type = 'inventory.updated' AND payload->>'reason' = 'reserve')")" \
    "$reservations $reservations $reservations $reservations"

# --- an order of two products keeps the statement that runs from the coordinator ---------------------
sql "SELECT count(*) FROM inventory_set_stock('$hot', 5, 'east')" >/dev/null
mixed_offset=$(log_size)
status=$(curl -s -o "$work/mixed.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary \
    "{\"order_id\": \"svc-mixed\", \"lines\": [{\"product_id\": \"$other\", \"quantity\": 1}, {\"product_id\": \"$hot\", \"quantity\": 1, \"warehouse\": \"east\"}]}" \
    "$base/v1/reservations")
log_since "$mixed_offset" >"$work/mixed-commands.log"
if [ "$status" = 201 ] && [ "$(grep -c "NOTICE:  issuing SELECT .*public\.inventory_reserve_batch(" "$work/mixed-commands.log")" = 0 ] &&
    grep -q "DETAIL:  on server postgres@127.0.0.1:${workers[0]} " "$work/mixed-commands.log" &&
    grep -q "DETAIL:  on server postgres@127.0.0.1:${workers[1]} " "$work/mixed-commands.log"; then
    pass "an order of two products goes as inventory_reserve_batch(requests), run from the coordinator on both workers (201, $(jq '.reservations | length' "$work/mixed.json") reservations)"
else
    fail "an order of two products goes as inventory_reserve_batch(requests) from the coordinator" \
        "status $status: $(head -c 300 "$work/mixed.json"); $(grep -m 3 'issuing' "$work/mixed-commands.log" | cut -c 1-200 | tr '\n' ' ')"
fi
kill -TERM "$service_pid" 2>/dev/null
wait "$service_pid" 2>/dev/null
service_pid=""

# --- both batch statements, mapped by the service's code, on the coordinator -------------------------
INVENTORY_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$coordinator/$database" "$database_tests" \
    --gtest_filter='ReservationBatchDatabaseTest.*' >"$work/database-tests.log" 2>&1
if grep -q '^\[  PASSED  \] 1 test' "$work/database-tests.log"; then
    pass "database test on the coordinator: a batch of one product maps to the same outcomes through both statements"
else
    fail "database test on the coordinator: both batch statements map to the same outcomes" "$(grep -A 12 'Failure' "$work/database-tests.log" | head -c 1500)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
