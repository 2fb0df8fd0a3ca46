#!/usr/bin/env bash
# tests/retries/run.sh: safe retries over REST with the Idempotency-Key header. Starts a throwaway
# PostgreSQL 15 with pg_cron and pg_inventory (RETRIES_TEST_PG_PORT, default 25495) and the real
# service on a free loopback port. For every mutating route it sends a request with a key and cuts
# the connection right after the last byte (cut_and_send.py), then retries with the same key until
# the answer is final, and checks that the database holds exactly one change and that a further
# retry replays the stored response (Idempotent-Replayed: true). It also checks: 422 for the same
# key with another request, 409 at once for a repeat while the first still runs (a psql session
# holds the stock row), failures not stored (a retry runs again), expired keys, malformed keys,
# and many clients racing with keys through the reservation batch. Bounded: every request has a
# timeout and the suite a watchdog. Ends with one line "N passed, N failed".
#   env: INVENTORY_SVC_BIN (default build/frontend/inventory-svc), RETRIES_TEST_PG_PORT (25495)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
here=$repo/tests/retries
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
pg_port=${RETRIES_TEST_PG_PORT:-25495}
work=${TEST_SCRATCH_DIR:-$repo/.test}/retries
pg_dir=$work/pg
log=$work/service.log
database=retriesdb
passed=0
failed=0
service_pid=""

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools curl jq psql python3
require_built "$binary"


cleanup() {
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
        kill -TERM "$service_pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$service_pid" 2>/dev/null
    fi
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
}
trap cleanup EXIT
start_watchdog 600

sql() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "$1"; }

# keyed METHOD PATH KEY [CONTENT_TYPE BODY]: one request with the key; sets $status, $body, $headers.
# $answer names the files of the answer (set it in a background subshell, so parallel requests keep
# theirs apart).
answer=answer
keyed() {
    local method=$1 path=$2 key=$3 content_type=${4:-} data=${5:-}
    local args=(-sS -o "$work/$answer.body" -D "$work/$answer.headers" -w '%{http_code}' --max-time 20
                -X "$method" -H "Idempotency-Key: \"$key\"")
    [ -n "$content_type" ] && args+=(-H "Content-Type: $content_type" --data-binary "$data")
    status=$(curl "${args[@]}" "$base$path" 2>/dev/null) || status=000
    body=$(cat "$work/$answer.body" 2>/dev/null)
    headers=$(tr -d '\r' <"$work/$answer.headers" 2>/dev/null)
}

# plain METHOD PATH [CONTENT_TYPE BODY]: the same without a key.
plain() {
    local method=$1 path=$2 content_type=${3:-} data=${4:-}
    local args=(-sS -o "$work/body" -D "$work/headers" -w '%{http_code}' --max-time 20 -X "$method")
    [ -n "$content_type" ] && args+=(-H "Content-Type: $content_type" --data-binary "$data")
    status=$(curl "${args[@]}" "$base$path" 2>/dev/null) || status=000
    body=$(cat "$work/body" 2>/dev/null)
    headers=$(tr -d '\r' <"$work/headers" 2>/dev/null)
}

replayed() { grep -qi '^idempotent-replayed: true' <<<"$headers"; }

# retry_until_final METHOD PATH KEY [CONTENT_TYPE BODY]: sends the keyed request again while the
# answer is 409 in progress (the cut first attempt still runs), at most 10 s.
retry_until_final() {
    local deadline=$((SECONDS + 10))
    while :; do
        keyed "$@"
        if [ "$status" != 409 ] || ! grep -q 'idempotency-key-in-use' <<<"$body"; then
            return
        fi
        [ $SECONDS -ge $deadline ] && return
        sleep 0.1
    done
}

# cut_then_retry NAME COUNT_SQL EXPECTED_STATUS METHOD PATH KEY [CONTENT_TYPE BODY]: the first
# attempt loses its connection right after it is sent; retries with the key end with
# EXPECTED_STATUS; COUNT_SQL (the changes of this route) rises by exactly one; a further retry
# replays the same status and body.
cut_then_retry() {
    local name=$1 count_sql=$2 expected=$3
    shift 3
    local method=$1 path=$2 key=$3 content_type=${4:-} data=${5:-}
    local before after first_body
    before=$(sql "$count_sql")
    printf '%s' "$data" >"$work/cut-body"
    if [ -n "$content_type" ]; then
        python3 "$here/cut_and_send.py" 127.0.0.1 "$port" "$method" "$path" "$key" "$content_type" "$work/cut-body"
    else
        python3 "$here/cut_and_send.py" 127.0.0.1 "$port" "$method" "$path" "$key"
    fi
    retry_until_final "$@"
    first_body=$body
    if [ "$status" != "$expected" ]; then
        fail "$name: the retry after a cut connection answers $expected" "status $status: ${body:0:300}"
        return
    fi
    after=$(sql "$count_sql")
    check_equal "$name: a cut connection and its retries leave exactly one change" "$((after - before))" 1
    keyed "$@"
    if [ "$status" = "$expected" ] && replayed && [ "$body" = "$first_body" ]; then
        pass "$name: a later retry replays the stored response (Idempotent-Replayed: true)"
    else
        fail "$name: a later retry replays the stored response" "status $status replayed $(replayed && echo yes || echo no): ${body:0:200}"
    fi
    check_equal "$name: ... and changes nothing" "$(sql "$count_sql")" "$after"
}

ledger_rows() { echo "SELECT count(*) FROM inventory.ledger WHERE product_id = '$1' AND reason = '$2'"; }

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
: >"$log"
AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 \
    HTTP_PORT=0 HTTP_THREADS=4 DB_POOL_SIZE=8 RETRY_AFTER_S=1 "$binary" >>"$log" 2>&1 &
service_pid=$!
port=$(service_port "$log")
if [ -z "${port:-}" ]; then fail "service started" "$(cat "$log")"; echo "$passed passed, $failed failed"; exit 1; fi
base=http://127.0.0.1:$port
pass "service started on port $port"

# --- every mutating route: a cut connection, then retries with the key ----------------------------
cut_then_retry "PUT stock" "$(ledger_rows r-put set)" 200 \
    PUT /v1/stock/r-put/main put-1 application/json '{"on_hand": 7, "name": "Put"}'
cut_then_retry "restock" "$(ledger_rows r-put restock)" 200 \
    POST /v1/stock/r-put/main/restock restock-1 application/json '{"quantity": 5, "note": "PO-1"}'
check_equal "restock: on_hand rose by 5 once" "$(sql "SELECT on_hand FROM inventory.stock WHERE product_id = 'r-put'")" 12
cut_then_retry "adjust" "$(ledger_rows r-put adjust)" 200 \
    POST /v1/stock/r-put/main/adjust adjust-1 application/json '{"delta": -2, "reason": "breakage"}'
check_equal "adjust: on_hand fell by 2 once" "$(sql "SELECT on_hand FROM inventory.stock WHERE product_id = 'r-put'")" 10
cut_then_retry "import" "$(ledger_rows r-imp set)" 200 \
    POST /v1/stock/import import-1 text/csv $'product_id,warehouse,on_hand\nr-imp,main,20\nr-del,main,3\nr-ret,main,10\n'
cut_then_retry "DELETE stock" "$(ledger_rows r-del remove)" 204 DELETE /v1/stock/r-del/main delete-1
check_equal "DELETE: the row is gone" "$(sql "SELECT count(*) FROM inventory.stock WHERE product_id = 'r-del'")" 0

cut_then_retry "POST /v1/reservations" "$(ledger_rows r-imp reserve)" 201 \
    POST /v1/reservations reserve-1 application/json '{"order_id": "r-o1", "lines": [{"product_id": "r-imp", "quantity": 2}]}'
reservation=$(sql "SELECT id FROM inventory.reservations WHERE order_id = 'r-o1'")
cut_then_retry "confirm" "$(ledger_rows r-imp confirm)" 200 POST "/v1/reservations/$reservation/confirm" confirm-1
cut_then_retry "ship" "$(ledger_rows r-imp ship)" 200 POST "/v1/reservations/$reservation/ship" ship-1
cut_then_retry "return" "$(ledger_rows r-imp return)" 200 \
    POST "/v1/reservations/$reservation/return" return-1 application/json '{"quantity": 1, "restock": true, "reason": "unwanted"}'
check_equal "return: the reservation's returned total is 1" \
    "$(sql "SELECT returned_quantity FROM inventory.reservations WHERE order_id = 'r-o1'")" 1
plain POST /v1/reservations application/json '{"order_id": "r-o2", "lines": [{"product_id": "r-imp", "quantity": 1}]}'
reservation2=$(sql "SELECT id FROM inventory.reservations WHERE order_id = 'r-o2'")
cut_then_retry "release" "$(ledger_rows r-imp release)" 200 POST "/v1/reservations/$reservation2/release" release-1
plain POST /v1/reservations application/json '{"order_id": "r-o3", "lines": [{"product_id": "r-ret", "quantity": 2}]}'
cut_then_retry "order confirm" "$(ledger_rows r-ret confirm)" 200 POST /v1/orders/r-o3/confirm order-confirm-1
cut_then_retry "order ship" "$(ledger_rows r-ret ship)" 200 POST /v1/orders/r-o3/ship order-ship-1
plain POST /v1/reservations application/json '{"order_id": "r-o4", "lines": [{"product_id": "r-ret", "quantity": 1}]}'
cut_then_retry "order release" "$(ledger_rows r-ret release)" 200 POST /v1/orders/r-o4/release order-release-1
plain POST /v1/reservations application/json '{"order_id": "r-o5", "lines": [{"product_id": "r-ret", "quantity": 1}], "ttl_seconds": 1}'
sql "UPDATE inventory.reservations SET expires_at = now() - interval '1 minute' WHERE order_id = 'r-o5';
     UPDATE inventory.stock SET next_expiry = now() - interval '1 minute' WHERE product_id = 'r-ret'" >/dev/null
cut_then_retry "expire" "$(ledger_rows r-ret expire)" 200 POST /v1/admin/expire-reservations expire-1
# A Kafka order.created for a product not stocked yet became a dead letter; once stocked, an
# operator re-drives it.
dead_letter=$(sql "SELECT 1 FROM inventory_consume_batch('retries', '[{\"topic\": \"order.created\", \"partition\": 0,
    \"offset\": 1, \"identity\": \"order.created:r-dl-1\", \"content\": \"r-dl-1\", \"action\": \"reserve\",
    \"order_id\": \"r-dl-1\", \"lines\": [{\"product_id\": \"r-dl\", \"quantity\": 1}]}]') WHERE outcome = 'dead_letter';
    SELECT count(*) FROM inventory_set_stock('r-dl', 5);
    SELECT id FROM inventory.dead_letters WHERE consumer_group = 'retries'" | tail -n 1)
cut_then_retry "re-drive" "$(ledger_rows r-dl reserve)" 200 POST "/v1/admin/dead-letters/$dead_letter/retry" redrive-1

# --- the rules of the header ---------------------------------------------------------------------
keyed POST /v1/stock/r-put/main/restock restock-1 application/json '{"quantity": 6, "note": "PO-1"}'
if [ "$status" = 422 ] && grep -q 'idempotency-key-reused' <<<"$body"; then
    pass "the same key with another body is 422 /problems/idempotency-key-reused"
else
    fail "the same key with another body is 422" "status $status: ${body:0:200}"
fi
keyed POST /v1/stock/r-put/main/adjust restock-1 application/json '{"quantity": 5, "note": "PO-1"}'
check_equal "the same key on another path is 422" "$status" 422
keyed POST /v1/stock/r-put/main/restock restock-1 application/json $'{"note": "PO-1",\n "quantity": 5}'
if [ "$status" = 200 ] && replayed; then
    pass "a JSON body counts by content: other member order and white space replay"
else
    fail "a JSON body counts by content" "status $status: ${body:0:200}"
fi
curl -sS -o "$work/body" -w '%{http_code}' --max-time 10 -X POST -H 'Idempotency-Key: "bad\q"' \
    -H 'Content-Type: application/json' --data-binary '{"quantity": 1}' "$base/v1/stock/r-put/main/restock" >"$work/status"
check_equal "a malformed key is 400" "$(cat "$work/status")" 400
check_equal "... and changes nothing" "$(sql "$(ledger_rows r-put restock)")" 1

# Failures are not stored: the retry with the same key runs again.
keyed POST /v1/stock/r-late/main/restock late-1 application/json '{"quantity": 3}'
check_equal "a refused request (unknown product) is 404" "$status" 404
plain PUT /v1/stock/r-late/main application/json '{"on_hand": 1}'
keyed POST /v1/stock/r-late/main/restock late-1 application/json '{"quantity": 3}'
if [ "$status" = 200 ] && ! replayed && [ "$(jq -r .on_hand <<<"$body")" = 4 ]; then
    pass "a refused request stores nothing: its retry with the same key runs and succeeds"
else
    fail "a refused request stores nothing" "status $status: ${body:0:200}"
fi

# A repeat while the first still runs: 409 at once, then the stored response.
plain PUT /v1/stock/r-lock/main application/json '{"on_hand": 1}'
psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" \
    -c "BEGIN" -c "SELECT 1 FROM inventory.stock WHERE product_id = 'r-lock' FOR UPDATE" -c "SELECT pg_sleep(3)" \
    -c "COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.5
( answer=first; keyed POST /v1/stock/r-lock/main/restock lock-1 application/json '{"quantity": 5}'; echo "$status" >"$work/first-status" ) &
first=$!
sleep 0.5
started=$(date +%s%N)
keyed POST /v1/stock/r-lock/main/restock lock-1 application/json '{"quantity": 5}'
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
if [ "$status" = 409 ] && grep -q 'idempotency-key-in-use' <<<"$body" && [ "$elapsed_ms" -lt 1500 ]; then
    pass "a repeat while the first runs is 409 /problems/idempotency-key-in-use, at once (${elapsed_ms} ms)"
else
    fail "a repeat while the first runs is 409 at once" "status $status after ${elapsed_ms} ms: ${body:0:200}"
fi
wait "$first" "$locker"
check_equal "the first request completed" "$(cat "$work/first-status")" 200
keyed POST /v1/stock/r-lock/main/restock lock-1 application/json '{"quantity": 5}'
if [ "$status" = 200 ] && replayed && [ "$(sql "SELECT on_hand FROM inventory.stock WHERE product_id = 'r-lock'")" = 6 ]; then
    pass "after the first committed, the repeat replays it and the stock rose once"
else
    fail "after the first committed, the repeat replays it" "status $status: ${body:0:200}"
fi

# Keys expire: an expired key is new again.
sql "UPDATE inventory.idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = 'lock-1'" >/dev/null
keyed POST /v1/stock/r-lock/main/restock lock-1 application/json '{"quantity": 5}'
if [ "$status" = 200 ] && ! replayed && [ "$(jq -r .on_hand <<<"$body")" = 11 ]; then
    pass "an expired key runs again"
else
    fail "an expired key runs again" "status $status: ${body:0:200}"
fi
check_equal "keys are kept 24 hours by default" \
    "$(sql "SELECT expires_at - created_at FROM inventory.idempotency_keys WHERE idempotency_key = 'restock-1'")" "1 day"

# --- many clients with keys through the reservation batch -------------------------------------------
plain PUT /v1/stock/r-batch/main application/json '{"on_hand": 1000}'
clients=()
for i in $(seq 1 40); do
    order=$((i % 20))
    ( answer=client-$i
      keyed POST /v1/reservations "batch-$order" application/json \
          "{\"order_id\": \"r-b$order\", \"lines\": [{\"product_id\": \"r-batch\", \"quantity\": 1}]}"
      echo "$status $(replayed && echo replayed || echo first)" >"$work/batch-$i" ) &
    clients+=($!)
done
wait "${clients[@]}"
statuses=$(cat "$work"/batch-* | sort | uniq -c | tr -s ' ' | tr '\n' ';')
check_equal "40 clients, 20 keys, one reservation per key" \
    "$(sql "SELECT count(*) || '/' || coalesce(sum(quantity), 0) FROM inventory.reservations WHERE product_id = 'r-batch'")" "20/20"
if ! grep -qv '^201 first$\|^201 replayed$\|^409 first$' <(cat "$work"/batch-*) &&
    [ "$(grep -c '^201 first$' <(cat "$work"/batch-*))" = 20 ]; then
    pass "each key was answered 201 once, then replayed or 409 in progress ($statuses)"
else
    fail "each key was answered 201 once" "$statuses"
fi
for order in $(seq 0 19); do
    keyed POST /v1/reservations "batch-$order" application/json \
        "{\"order_id\": \"r-b$order\", \"lines\": [{\"product_id\": \"r-batch\", \"quantity\": 1}]}"
    [ "$status" = 201 ] && replayed || { fail "a later retry of batch key $order replays 201" "status $status"; break; }
done
[ "$order" = 19 ] && [ "$status" = 201 ] && pass "a later retry of every batch key replays its 201"
check_equal "the ledger has one reserve row per order" "$(sql "$(ledger_rows r-batch reserve)")" 20

kill "$watchdog" 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
