#!/usr/bin/env bash
# tests/service/run.sh: integration tests of inventory-svc. Starts a throwaway PostgreSQL 15 with
# pg_cron and pg_inventory (port 25470), starts the real service binary on a free loopback port,
# exercises every route and every error status with curl, races 64 clients for the last units of a
# product, runs the adapters' database tests (inventory_database_tests: a session left inside a
# transaction block is never lent again; both statements of a reservation batch map to the same
# outcomes), stops PostgreSQL under the running service (503,
# then recovery), and checks the graceful shutdown. Ends with one line "N passed, M failed"; exits
# non-zero on any failure.
#   env: INVENTORY_SVC_BIN (default build/frontend/inventory-svc), INVENTORY_DATABASE_TESTS_BIN
#        (default: inventory_database_tests beside it), SERVICE_TEST_PG_PORT (25470)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
database_tests=$(realpath -m "${INVENTORY_DATABASE_TESTS_BIN:-$(dirname "$binary")/inventory_database_tests}")
pg_port=${SERVICE_TEST_PG_PORT:-25470}
work=${TEST_SCRATCH_DIR:-$repo/.test}/service
pg_dir=$work/pg
log=$work/service.log
database=svcdb
passed=0
failed=0
service_pid=""

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools curl jq psql
require_built "$binary"

cleanup() {
    if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
        kill -TERM "$service_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$service_pid" 2>/dev/null
    fi
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
}
trap cleanup EXIT


# request METHOD PATH [curl args...]: sets $status, $body, $headers for the response.
request() {
    local method=$1 path=$2
    shift 2
    local header_file=$work/headers body_file=$work/body
    status=$(curl -sS -o "$body_file" -D "$header_file" -w '%{http_code}' --max-time 20 -X "$method" \
        "$@" "$base$path" 2>/dev/null) || status=000
    body=$(cat "$body_file" 2>/dev/null)
    headers=$(tr -d '\r' <"$header_file" 2>/dev/null)
}
json() { request "$1" "$2" -H 'Content-Type: application/json' --data-binary "$3" "${@:4}"; }

# expect NAME STATUS [JQ_FILTER]: the last response had STATUS and, when given, the filter is true.
expect() {
    local name=$1 want=$2 filter=${3:-}
    if [ "$status" != "$want" ]; then
        fail "$name" "status $status, expected $want: ${body:0:300}"
        return
    fi
    if [ -n "$filter" ] && ! jq -e "$filter" >/dev/null 2>&1 <<<"$body"; then
        fail "$name" "body does not satisfy $filter: ${body:0:300}"
        return
    fi
    pass "$name"
}
# expect_problem NAME STATUS: an RFC 7807 body with type, title, status and detail.
expect_problem() {
    expect "$1" "$2" ".type and .title and .status == $2 and .detail"
    if ! grep -qi '^content-type: application/problem+json' <<<"$headers"; then
        fail "$1 (content type)" "$(grep -i '^content-type' <<<"$headers")"
    fi
}
header_value() { grep -i "^$1:" <<<"$headers" | head -1 | cut -d' ' -f2-; }

start_service() {
    : >"$log"
    AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 \
        HTTP_PORT=0 HTTP_THREADS=4 DB_POOL_SIZE=8 DB_ACQUIRE_TIMEOUT_MS=3000 RETRY_AFTER_S=2 \
        "$binary" >>"$log" 2>&1 &
    service_pid=$!
    port=$(service_port "$log")
    base=http://127.0.0.1:$port
}

sql() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "$1"; }

# --- setup ----------------------------------------------------------------------------------------
mkdir -p "$work"
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
rm -rf "$pg_dir"
mkdir -p "$pg_dir"
if ! PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg-start.log" 2>&1; then
    cat "$work/pg-start.log"
    echo "0 passed, 1 failed"
    exit 1
fi

# --- configuration --------------------------------------------------------------------------------
out=$(DATABASE_URL=x "$binary" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q AUTH_JWKS_FILE <<<"$out"; then pass "JWT is the default: start refused without a JWKS"; else fail "JWT is the default: start refused without a JWKS" "$rc $out"; fi
out=$(AUTH_MODE=none DATABASE_URL=x "$binary" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q AUTH_MODE <<<"$out"; then pass "AUTH_MODE=none refused"; else fail "AUTH_MODE=none refused" "$rc $out"; fi
out=$(AUTH_MODE=off DATABASE_URL=x HTTP_PORT=eighty "$binary" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q HTTP_PORT <<<"$out"; then pass "bad HTTP_PORT names the variable"; else fail "bad HTTP_PORT names the variable" "$rc $out"; fi

start_service
if [ -n "${port:-}" ]; then pass "service started on port $port"; else fail "service started" "$(cat "$log")"; echo "$passed passed, $failed failed"; exit 1; fi
if grep -q '"level":"warn".*authentication is off' "$log"; then pass "warning logged for AUTH_MODE=off"; else fail "warning logged for AUTH_MODE=off"; fi

# --- operations -----------------------------------------------------------------------------------
request GET /health; expect "GET /health" 200 '.status == "ok"'
extension_version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$repo/extension/pg_inventory.control")
request GET /ready; expect "GET /ready" 200 ".status == \"ready\" and .extension_version == \"$extension_version\""
request GET /openapi.json; expect "GET /openapi.json" 200 '.openapi and (.paths | has("/v1/reservations"))'

# --- stock ----------------------------------------------------------------------------------------
json PUT /v1/stock/widget/main '{"on_hand": 10, "name": "Widget", "low_stock_threshold": 3}'
expect "PUT creates a stock row" 200 '.on_hand == 10 and .available == 10 and .name == "Widget"'
json PUT /v1/stock/widget/east '{"on_hand": 4}'
expect "PUT a second warehouse" 200 '.warehouse == "east"'
request GET /v1/stock/widget
expect "GET /v1/stock/{id} totals" 200 '.on_hand == 14 and .available == 14 and (.warehouses | length) == 2'
request GET '/v1/stock/widget/availability?quantity=14'
expect "availability in stock" 200 '.in_stock == true and .available == 14'
request GET '/v1/stock/widget/availability?quantity=15&warehouse=main'
expect "availability short is not an error" 200 '.in_stock == false and .available == 10'
json POST /v1/stock/widget/main/restock '{"quantity": 5, "note": "delivery 42"}'
expect "restock" 200 '.on_hand == 15'
json POST /v1/stock/widget/main/adjust '{"delta": -3, "reason": "breakage"}'
expect "adjust" 200 '.on_hand == 12'
request GET '/v1/stock/widget/ledger?warehouse=main'
expect "ledger lists every change" 200 '(.items | map(.reason)) == ["set", "restock", "adjust"] and .items[1].note == "delivery 42"'
request GET '/v1/stock/widget/ledger?limit=2'
cursor=$(jq -r .next_cursor <<<"$body")
expect "ledger page 1" 200 '(.items | length) == 2 and .next_cursor != null'
request GET "/v1/stock/widget/ledger?limit=2&cursor=$cursor"
expect "ledger page 2" 200 '(.items | length) == 2 and .next_cursor == null'

printf 'product_id,warehouse,on_hand,name,low_stock_threshold\nimp-1,main,7,"Imported, one",2\nimp-2,,0,,1\n' >"$work/import.csv"
request POST /v1/stock/import -H 'Content-Type: text/csv' --data-binary @"$work/import.csv"
expect "import CSV" 200 '.imported == 2'
printf '{"product_id":"imp-3","on_hand":9}\n\n{"product_id":"imp-4","warehouse":"east","on_hand":1,"name":"Four"}\n' >"$work/import.jsonl"
request POST /v1/stock/import -H 'Content-Type: application/x-ndjson' --data-binary @"$work/import.jsonl"
expect "import JSON lines" 200 '.imported == 2'
request GET /v1/stock/imp-1; expect "imported row readable" 200 '.available == 7 and .warehouses[0].name == "Imported, one"'
printf 'product_id,on_hand\nimp-5,3\nimp-6,-1\n' >"$work/bad.csv"
request POST /v1/stock/import -H 'Content-Type: text/csv' --data-binary @"$work/bad.csv"
expect_problem "import with a bad row is refused" 422
request GET /v1/stock/imp-5; expect_problem "a refused import changes nothing" 404

request GET '/v1/stock?limit=2'
expect "list stock page 1" 200 '(.items | length) == 2 and .next_cursor != null'
cursor=$(jq -r .next_cursor <<<"$body")
request GET "/v1/stock?limit=2&cursor=$cursor"
expect "list stock page 2 continues" 200 '(.items | length) == 2 and .items[0].product_id != null'
request GET '/v1/stock?warehouse=east&limit=100'
expect "list stock by warehouse" 200 '(.items | length) == 2 and all(.items[]; .warehouse == "east")'
request GET '/v1/stock?low_stock=true'
expect "list low stock" 200 '(.items | map(.product_id)) == ["imp-2"]'

json PUT /v1/stock/gone/main '{"on_hand": 1}'
request DELETE /v1/stock/gone/main; expect "DELETE stock row" 204
request GET /v1/stock/gone; expect_problem "deleted row is gone" 404

# --- reservations ---------------------------------------------------------------------------------
json POST /v1/reservations '{"order_id": "order-1", "lines": [{"product_id": "widget", "quantity": 3, "warehouse": "main"}, {"product_id": "imp-1", "quantity": 2}]}'
expect "reserve an order" 201 '.created == true and (.reservations | length) == 2 and .reservations[0].status == "active"'
reservation_id=$(jq -r '.reservations[] | select(.product_id == "widget") | .id' <<<"$body")
json POST /v1/reservations '{"order_id": "order-1", "lines": [{"product_id": "widget", "quantity": 3, "warehouse": "main"}, {"product_id": "imp-1", "quantity": 2}]}'
expect "idempotent repeat answers 200" 200 '.created == false and (.reservations | length) == 2'
json POST /v1/reservations '{"order_id": "order-1", "lines": [{"product_id": "widget", "quantity": 4, "warehouse": "main"}]}'
expect_problem "different quantity is an idempotency conflict" 409
json POST /v1/reservations '{"order_id": "order-2", "lines": [{"product_id": "widget", "quantity": 100}, {"product_id": "imp-3", "quantity": 1}]}'
expect_problem "short stock is 409" 409
expect "409 lists per-line shortages" 409 '.shortages == [{"product_id": "widget", "warehouse": null, "requested": 100, "available": 13}]'
json POST /v1/reservations '{"order_id": "order-3", "lines": [{"product_id": "nothing-here", "quantity": 1}]}'
expect_problem "reserving an unknown product is 404" 404
request GET "/v1/reservations/$reservation_id"
expect "GET reservation" 200 ".id == \"$reservation_id\" and .quantity == 3"
request GET /v1/orders/order-1/reservations
expect "GET order reservations" 200 '(.reservations | length) == 2'
request POST "/v1/reservations/$reservation_id/confirm"
expect "confirm a reservation" 200 '.status == "confirmed" and .expires_at == null'
request POST "/v1/reservations/$reservation_id/ship"
expect "ship a reservation" 200 '.status == "shipped"'
request POST "/v1/reservations/$reservation_id/release"
expect_problem "releasing a shipped reservation is 409" 409
request POST /v1/orders/order-1/release
expect "release an order" 200 '(.reservations | length) == 1 and .reservations[0].status == "released"'
json POST /v1/reservations '{"order_id": "order-4", "lines": [{"product_id": "imp-3", "quantity": 2}], "ttl_seconds": 600}'
expect "reserve with a ttl" 201
request POST /v1/orders/order-4/confirm; expect "confirm an order" 200 '.reservations[0].status == "confirmed"'
request POST /v1/orders/order-4/ship; expect "ship an order" 200 '.reservations[0].status == "shipped"'
request GET /v1/stock/imp-3; expect "shipping took stock out" 200 '.on_hand == 7 and .reserved == 0'
json POST /v1/reservations '{"order_id": "order-6", "lines": [{"product_id": "imp-3", "quantity": 1}]}'
direct_id=$(jq -r '.reservations[0].id' <<<"$body")
request POST "/v1/reservations/$direct_id/ship"
expect "ship an active reservation without a confirm" 200 '.status == "shipped" and .expires_at == null'
request GET /v1/stock/imp-3; expect "the direct ship took stock out" 200 '.on_hand == 6 and .reserved == 0'
# Returns: units of a shipped reservation come back, restocked or written off, never more than shipped.
json POST "/v1/reservations/$direct_id/return" '{"quantity": 1, "restock": true, "reason": "unwanted"}'
expect "return a shipped unit to stock" 200 '.returned_quantity == 1 and .shipped_quantity == 1 and .stock.on_hand == 7'
json POST "/v1/reservations/$direct_id/return" '{"quantity": 1, "restock": true, "reason": "again"}'
expect_problem "returning more than was shipped is 409" 409
order4_id=$(psql -X -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "SELECT id FROM inventory.reservations WHERE order_id = 'order-4'")
json POST "/v1/reservations/$order4_id/return" '{"quantity": 1, "restock": false, "reason": "damaged"}'
expect "a write-off is recorded without restocking" 200 '.returned_quantity == 1 and .shipped_quantity == 2 and .stock.on_hand == 7'
json POST "/v1/reservations/$order4_id/return" '{"quantity": 2, "restock": true, "reason": "too many"}'
expect_problem "a partial return leaves only the rest to return (409 beyond it)" 409
json POST "/v1/reservations/$order4_id/return" '{"quantity": 1, "reason": "no restock flag"}'
expect_problem "a return without restock is 422" 422
json POST "/v1/reservations/$order4_id/return" '{"quantity": 0, "restock": true, "reason": "zero"}'
expect_problem "a return of zero units is 422" 422
json POST /v1/reservations/00000000-0000-0000-0000-000000000000/return '{"quantity": 1, "restock": true, "reason": "x"}'
expect_problem "returning an unknown reservation is 404" 404
request GET /v1/stock/imp-3/ledger
expect "the ledger holds one return and one write-off row" 200 '([.items[] | select(.reason == "return")] | length) == 1 and ([.items[] | select(.reason == "write_off")] | length) == 1'
json PUT /v1/stock/held/main '{"on_hand": 5}'
json POST /v1/reservations '{"order_id": "order-5", "lines": [{"product_id": "held", "quantity": 4}]}'
json PUT /v1/stock/held/main '{"on_hand": 2}'
expect_problem "setting on_hand below reserved is 409" 409
request DELETE /v1/stock/held/main
expect_problem "removing reserved stock is 409" 409
json POST /v1/reservations '{"order_id": "order-6", "lines": [{"product_id": "held", "quantity": 1}], "ttl_seconds": 1}'
short_lived=$(jq -r '.reservations[0].id' <<<"$body")
sleep 1.2
json POST /v1/admin/expire-reservations '{"max_rows": 100}'
expect "expire overdue reservations" 200 '.expired <= 1'
request GET "/v1/reservations/$short_lived"; expect "overdue reservation expired" 200 '.status == "expired"'
request POST /v1/admin/expire-reservations
expect "expire with an empty body" 200 '.expired == 0'
request GET /v1/reservations/00000000-0000-4000-8000-000000000000
expect_problem "unknown reservation is 404" 404
request POST /v1/orders/no-such-order/confirm
expect_problem "unknown order is 404" 404

# --- every client error is a 4xx problem and changes nothing ---------------------------------------
before=$(sql "SELECT count(*) FROM inventory.ledger")
json POST /v1/reservations '{"order_id": "x", "lines": ['; expect_problem "malformed JSON is 400" 400
json POST /v1/reservations '{"order_id": 5, "lines": [{"product_id": "widget", "quantity": 1}]}'; expect_problem "wrong type is 422" 422
json POST /v1/reservations '{"lines": [{"product_id": "widget", "quantity": 1}]}'; expect_problem "missing field is 422" 422
json POST /v1/reservations '{"order_id": "x", "lines": [{"product_id": "widget", "quantity": 1, "price": 3}]}'; expect_problem "unknown field is 422" 422
json POST /v1/reservations '{"order_id": "x", "lines": [{"product_id": "widget", "quantity": -1}]}'; expect_problem "negative quantity is 422" 422
json POST /v1/reservations '{"order_id": "x", "lines": [{"product_id": "widget", "quantity": 99999999999999999999}]}'; expect_problem "absurd quantity is 422" 422
json POST /v1/reservations '{"order_id": "x", "lines": [{"product_id": "widget", "quantity": 1.5}]}'; expect_problem "fractional quantity is 422" 422
json POST /v1/reservations "{\"order_id\": \"$(printf 'o%.0s' $(seq 201))\", \"lines\": [{\"product_id\": \"widget\", \"quantity\": 1}]}"; expect_problem "over-long id is 422" 422
json POST /v1/reservations '{"order_id": "x", "lines": [{"product_id": "widget", "quantity": 1}], "ttl_seconds": 0}'; expect_problem "zero ttl is 422" 422
json POST /v1/stock/widget/main/adjust '{"delta": 0, "reason": "none"}'; expect_problem "zero delta is 422" 422
json PUT /v1/stock/widget/main '{"on_hand": -5}'; expect_problem "negative on_hand is 422" 422
request POST /v1/reservations -H 'Content-Type: text/plain' --data-binary '{}'; expect_problem "wrong media type is 415" 415
request POST /v1/stock/import -H 'Content-Type: application/json' --data-binary '{}'; expect_problem "import as plain JSON is 415" 415
head -c 1100000 /dev/zero | tr '\0' ' ' >"$work/big.json"
request POST /v1/reservations -H 'Content-Type: application/json' -H 'Expect:' --data-binary @"$work/big.json"
expect_problem "oversized body is 413" 413
request GET /v1/nowhere; expect_problem "unknown route is 404" 404
request PATCH /v1/stock/widget/main; expect_problem "wrong method is 405" 405
[ "$(header_value Allow)" = "PUT, DELETE" ] && pass "405 names the allowed methods" || fail "405 names the allowed methods" "$(header_value Allow)"
request GET '/v1/stock/widget/availability?quantity=abc'; expect_problem "bad query value is 422" 422
request GET '/v1/stock?colour=red'; expect_problem "unknown query parameter is 422" 422
request GET '/v1/stock/bad%zzescape'; expect_problem "malformed escape is 400" 400
request GET '/v1/stock/%ff%fe'; expect_problem "invalid UTF-8 id is 422" 422
request GET '/v1/stock?cursor=nonsense'; expect_problem "foreign cursor is 422" 422
request POST /v1/reservations/not-a-uuid/confirm; expect_problem "malformed reservation id is 404" 404
json POST /v1/reservations "$(printf '[%.0s' $(seq 5000))"; expect_problem "deeply nested JSON is 400" 400
after=$(sql "SELECT count(*) FROM inventory.ledger")
[ "$before" = "$after" ] && pass "refused requests changed nothing" || fail "refused requests changed nothing" "ledger $before -> $after"
if grep "\"status\":5[0-9][0-9]" "$log" | grep -qv "\"route\":\"/ready\""; then fail "no request got a 5xx" "$(grep "\"status\":5" "$log" | head -3)"; else pass "no request got a 5xx"; fi

# --- protocol ---------------------------------------------------------------------------------------
reuse=$(curl -sv "$base/health" "$base/health" 2>&1 | grep -c 'Re-using existing connection')
[ "$reuse" = 1 ] && pass "keep-alive without a Connection header" || fail "keep-alive without a Connection header" "$reuse"
request GET /health -H 'X-Request-Id: trace-abc-123'
[ "$(header_value X-Request-Id)" = trace-abc-123 ] && pass "X-Request-Id echoed" || fail "X-Request-Id echoed" "$headers"
request GET /health
[ ${#headers} -gt 0 ] && [ "$(header_value X-Request-Id | wc -c)" -eq 37 ] && pass "X-Request-Id generated" || fail "X-Request-Id generated"
if grep -q '"request_id":"trace-abc-123".*"route":"/health"' "$log"; then pass "request logged as one JSON line with its id"; else fail "request logged as one JSON line with its id"; fi
request GET /metrics
if [ "$status" = 200 ] && grep -q 'inventory_http_requests_total{route="/v1/reservations",method="POST",status="201"}' <<<"$body" &&
    grep -q 'inventory_http_request_duration_seconds_bucket{route="/v1/stock/{product_id}"' <<<"$body" &&
    grep -q 'inventory_reservations_total{outcome="insufficient_stock"}' <<<"$body" &&
    grep -q 'inventory_db_pool_connections{state="in_use"}' <<<"$body"; then
    pass "metrics: requests, latency histograms, reservation outcomes, pool"
else
    fail "metrics" "${body:0:400}"
fi

# --- 64 clients race for the last 10 units --------------------------------------------------------
json PUT /v1/stock/race/main '{"on_hand": 10}'
race_dir=$work/race
rm -rf "$race_dir"; mkdir -p "$race_dir"
racers=()
for i in $(seq 64); do
    curl -sS -o /dev/null -w '%{http_code}\n' --max-time 30 -X POST -H 'Content-Type: application/json' \
        --data-binary "{\"order_id\": \"race-$i\", \"lines\": [{\"product_id\": \"race\", \"quantity\": 1}]}" \
        "$base/v1/reservations" >"$race_dir/$i" 2>/dev/null &
    racers+=($!)
done
wait "${racers[@]}"

granted=$(cat "$race_dir"/* | grep -c '^201$')
refused=$(cat "$race_dir"/* | grep -c '^409$')
[ "$granted" = 10 ] && [ "$refused" = 54 ] && pass "64 racing clients: exactly 10 granted, 54 refused" ||
    fail "64 racing clients" "granted $granted, refused $refused, other: $(cat "$race_dir"/* | grep -v '^201$\|^409$' | sort | uniq -c | tr '\n' ' ')"
request GET /v1/stock/race
expect "race leaves reserved = on_hand" 200 '.reserved == 10 and .available == 0'

request GET /metrics
if grep -qx 'inventory_db_pool_left_in_transaction_total 0' <<<"$body"; then
    pass "no request left its pooled connection inside a transaction block"
else
    fail "no request left its pooled connection inside a transaction block" "$(grep left_in_transaction <<<"$body")"
fi

# --- the pool and the batch statements against this database (inventory_database_tests) ---------------
INVENTORY_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" "$database_tests" \
    >"$work/database-tests.log" 2>&1
while read -r verdict test_name; do
    if [ "$verdict" = OK ]; then pass "database test: $test_name"; else fail "database test: $test_name" "$(cat "$work/database-tests.log")"; fi
done < <(sed -nE 's/^\[ +(OK|FAILED) +\] ([A-Za-z]+\.[A-Za-z]+) \(.*/\1 \2/p' "$work/database-tests.log")
grep -q '^\[  PASSED  \] 5 tests' "$work/database-tests.log" ||
    fail "pool and batch statements: the five database tests ran and passed" "$(tail -5 "$work/database-tests.log")"

# --- the database goes away and comes back ----------------------------------------------------------
"$repo/scripts/pg-cluster.sh" stop "$pg_dir"
request GET /v1/stock/widget
expect_problem "database down: 503" 503
[ -n "$(header_value Retry-After)" ] && pass "503 carries Retry-After" || fail "503 carries Retry-After" "$headers"
json POST /v1/reservations '{"order_id": "down-1", "lines": [{"product_id": "widget", "quantity": 1}]}'
expect_problem "database down: reservation 503" 503
request GET /ready; expect "database down: /ready unready" 503
request GET /health; expect "database down: /health ok" 200 '.status == "ok"'
PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >/dev/null 2>&1
recovered=no
for _ in $(seq 100); do
    request GET /ready
    [ "$status" = 200 ] && { recovered=yes; break; }
    sleep 0.2
done
[ $recovered = yes ] && pass "service recovers by itself: /ready" || fail "service recovers by itself: /ready" "$body"
request GET /v1/stock/widget; expect "service recovers by itself: reads" 200 '.on_hand == 13'
json POST /v1/reservations '{"order_id": "after-1", "lines": [{"product_id": "widget", "quantity": 1}]}'
expect "service recovers by itself: reservations" 201

# --- graceful shutdown: an in-flight request finishes, the process exits 0 --------------------------
psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" \
    -c "BEGIN; SELECT 1 FROM inventory.stock WHERE product_id = 'widget' AND warehouse = 'main' FOR UPDATE; SELECT pg_sleep(2); COMMIT;" \
    >/dev/null 2>&1 &
locker=$!
sleep 0.5
curl -sS -o "$work/inflight.body" -w '%{http_code}' --max-time 20 -X POST -H 'Content-Type: application/json' \
    --data-binary '{"quantity": 1}' "$base/v1/stock/widget/main/restock" >"$work/inflight.status" 2>/dev/null &
inflight=$!
sleep 0.5
kill -TERM "$service_pid"
wait "$inflight"
wait "$service_pid"; exit_code=$?
wait "$locker" 2>/dev/null
service_pid=""
[ "$(cat "$work/inflight.status")" = 200 ] && pass "in-flight request finished during shutdown" ||
    fail "in-flight request finished during shutdown" "$(cat "$work/inflight.status") $(cat "$work/inflight.body")"
[ "$exit_code" = 0 ] && pass "SIGTERM: exit 0" || fail "SIGTERM: exit 0" "exit $exit_code"
grep -q '"message":"stopped"' "$log" && pass "shutdown logged" || fail "shutdown logged"
if curl -s --max-time 2 "$base/health" >/dev/null 2>&1; then fail "no longer accepting after shutdown"; else pass "no longer accepting after shutdown"; fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
