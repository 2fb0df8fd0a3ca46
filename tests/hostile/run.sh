#!/usr/bin/env bash
# tests/hostile/run.sh: the bad-input matrix. Starts a throwaway PostgreSQL 15 (port 25492, in
# .test/hostile), the kafka-mock peer, and the real service with JWT authentication, the REST and
# consumer roles (no relay, so the outbox stays as it is). Then sends hundreds of crafted HTTP
# requests (hostile_matrix.py: malformed and truncated JSON, deep nesting, huge numbers, negative and
# zero quantities, Unicode and control characters in ids, SQL fragments, overlong headers and
# bodies, wrong content types, path traversal, duplicate keys, bad credentials, broken HTTP) and
# crafted Kafka messages of the same kinds, and checks: no request got a 5xx, every Kafka message
# was consumed (dead-lettered, never blocking), the service is healthy and ready, and stock,
# reservations, ledger and outbox are exactly as before.
# Ends with one line "N passed, M failed"; exits non-zero on any failure; bounded by a watchdog.
#   env: INVENTORY_SVC_BIN (default build/frontend/inventory-svc), JWT_TEST_TOOL (default: next to
#        the binary), HOSTILE_TEST_PG_PORT (25492), HOSTILE_TEST_TIMEOUT_S (300)
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
tool=$(realpath -m "${JWT_TEST_TOOL:-$(dirname "$binary")/jwt_test_tool}")
pg_port=${HOSTILE_TEST_PG_PORT:-25492}
work=${TEST_SCRATCH_DIR:-$repo/.test}/hostile
pg_dir=$work/pg
database=hostiledb
issuer=https://idp.test/realms/shop
audience=inventory-svc
group=hostile-$$
passed=0
failed=0
pids=()

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools curl jq psql kcat python3
require_built "$binary" "$tool"
[ -x "$repo/tools/kafka-mock/kafka-mock" ] || make -s -C "$repo/tools/kafka-mock" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

cleanup() {
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
}
trap cleanup EXIT
start_watchdog "${HOSTILE_TEST_TIMEOUT_S:-300}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM

sql() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "$1" 2>/dev/null; }
# The state that no hostile input may change, as one digest per table.
snapshot() {
    sql "SELECT 'stock ' || md5(coalesce(string_agg(s::text, '|' ORDER BY product_id, warehouse), '')) FROM inventory.stock s;
         SELECT 'reservations ' || md5(coalesce(string_agg(r::text, '|' ORDER BY id), '')) FROM inventory.reservations r;
         SELECT 'ledger ' || md5(coalesce(string_agg(l::text, '|' ORDER BY product_id, warehouse, version), '')) FROM inventory.ledger l;
         SELECT 'outbox ' || md5(coalesce(string_agg(o::text, '|' ORDER BY seq), '')) FROM inventory.outbox o;"
}

# --- setup ----------------------------------------------------------------------------------------
mkdir -p "$work"
rm -f "$work"/*.log
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1
rm -rf "$pg_dir" "$work/keys" "$work/kafka"
mkdir -p "$pg_dir" "$work/keys"
if ! PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg-start.log" 2>&1; then
    cat "$work/pg-start.log"; echo "0 passed, 1 failed"; exit 1
fi
sql "ALTER EXTENSION pg_inventory UPDATE" >/dev/null
"$tool" key RSA >"$work/keys/rsa-1.pem"
"$tool" jwks rsa-1="$work/keys/rsa-1.pem" >"$work/keys/jwks.json"
claims() { jq -cn --arg iss "$issuer" --arg aud "$audience" --arg sub "$1" --arg scope "$2" \
    '{iss: $iss, aud: $aud, sub: $sub, scope: $scope, exp: "$now+3600"}'; }
admin=$("$tool" sign "$work/keys/rsa-1.pem" RS256 rsa-1 "$(claims hostile-admin inventory:admin)")
reader=$("$tool" sign "$work/keys/rsa-1.pem" RS256 rsa-1 "$(claims hostile-reader inventory:read)")

rm -f "$work/bootstrap"
"$repo/tools/kafka-mock/kafka-mock" --max-seconds "${HOSTILE_TEST_TIMEOUT_S:-300}" --bootstrap-file "$work/bootstrap" \
    --topic order.created:1 --topic order.confirmed:1 --topic order.paid:1 --topic order.cancelled:1 \
    --topic order.shipped:1 --topic inventory.updated:1 --topic inventory.alerts:1 \
    --topic inventory.dead-letter:1 >"$work/kafka-mock.log" 2>&1 &
pids+=("$!")
wait_until 10 test -s "$work/bootstrap" || { cat "$work/kafka-mock.log"; echo "0 passed, 1 failed"; exit 1; }
bootstrap=$(cat "$work/bootstrap")

# Some state to protect: stock in two warehouses, an active and a confirmed reservation, an outbox.
sql "SELECT count(*) FROM inventory_set_stock('hostile-p1', 50, 'main', 'Target');
     SELECT count(*) FROM inventory_set_stock('hostile-p1', 5, 'east');
     SELECT count(*) FROM inventory_set_stock('hostile-p2', 3);
     SELECT count(*) FROM inventory_reserve('hostile-o1', 'hostile-p1', 4);
     SELECT count(*) FROM inventory_reserve('hostile-o2', 'hostile-p2', 1);
     SELECT count(*) FROM inventory_confirm_order('hostile-o2');" >/dev/null

log=$work/service.log
# The matrix is about hostile input, not load: DB_QUEUE_TIMEOUT_MS at its most under the default
# header timeout, so a busy test machine does not turn a slow queue into a 503 overloaded.
env -i PATH="$PATH" DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 HTTP_PORT=0 \
    HTTP_THREADS=4 MAX_BODY_BYTES=262144 AUTH_JWKS_FILE="$work/keys/jwks.json" AUTH_ISSUER="$issuer" \
    AUTH_AUDIENCE="$audience" KAFKA_BOOTSTRAP_SERVERS="$bootstrap" KAFKA_GROUP_ID="$group" SERVICE_ROLES=rest,consumer \
    KAFKA_SESSION_TIMEOUT_MS=6000 DB_QUEUE_TIMEOUT_MS=4900 "$binary" >>"$log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
port=$(service_port "$log" "$service_pid")
[ -n "$port" ] || { tail -5 "$log"; echo "0 passed, 1 failed"; exit 1; }
base=http://127.0.0.1:$port
before=$(snapshot)
echo "# service on $base, kafka-mock at $bootstrap; state before: $(tr '\n' ' ' <<<"$before")"

# --- crafted HTTP requests ------------------------------------------------------------------------
python3 "$(dirname "$0")/hostile_matrix.py" 127.0.0.1 "$port" "$admin" "$reader" hostile-p1 >"$work/http.out" 2>&1
grep -E '^(FAIL|known|#)' "$work/http.out"
http_passed=$(grep -c '^ok' "$work/http.out")
http_failed=$(grep -c '^FAIL' "$work/http.out")
passed=$((passed + http_passed))
failed=$((failed + http_failed))
echo "# HTTP matrix: $http_passed passed, $http_failed failed (details: $work/http.out)"

# --- crafted Kafka messages -----------------------------------------------------------------------
# Every message names products and orders that do not exist, or cannot be read at all, so none may
# change anything; each must be consumed (its position claimed) and dead-lettered or ignored.
# (kcat cannot produce an empty message from a file, so the "empty" payload is a single space.)
python3 - "$work/kafka" <<'PY'
import json, sys, os
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
valid = json.dumps({"orderId": "k-order", "items": [{"productId": "no-such-product", "quantity": 1}]})
created = [" ", "{", "null", "[]", "\"text\"", "123", "{\"orderId\": }", "{'orderId': 'x'}", "\x00\x01\x02",
           "\xff\xfe garbage", "[" * 50000 + "]" * 50000, "{\"a\":" * 20000 + "1" + "}" * 20000,
           json.dumps({"orderId": "k1", "items": "not-a-list"}), json.dumps({"orderId": "k1"}),
           json.dumps({"items": [{"productId": "hostile-p1", "quantity": 1}]}),
           json.dumps({"orderId": "", "items": [{"productId": "hostile-p1", "quantity": 1}]}),
           json.dumps({"orderId": 12.5, "items": [{"productId": "hostile-p1", "quantity": 1}]})]
created += [valid[:cut] for cut in range(3, len(valid) - 1, 9)]
for quantity in ["0", "-1", "-9223372036854775808", "9223372036854775808", "1e400", "1.5", "\"1\"", "null", "true"]:
    created.append("{\"orderId\": \"k-q\", \"items\": [{\"productId\": \"hostile-p1\", \"quantity\": %s}]}" % quantity)
for product in ["' OR 1=1 --", "'; DELETE FROM inventory.stock; --", "\u202e", "\U0001F4A3", "a\u0000b", "a\nb",
                "../../etc/passwd", "x" * 10000, "hostile-p1\u0000", "HOSTILE-P1 "]:
    created.append(json.dumps({"orderId": "k-id", "items": [{"productId": product, "quantity": 1}]}))
    created.append(json.dumps({"orderId": product, "items": [{"productId": "no-such-product", "quantity": 1}]}))
created.append("{\"orderId\": \"k-dup\", \"orderId\": \"k-dup2\", \"items\": [{\"productId\": \"no-such\", \"quantity\": 1}]}")
created.append("{\"orderId\": \"k-dup\", \"items\": [{\"productId\": \"hostile-p1\", \"productId\": \"no-such\", \"quantity\": 1}]}")
created.append(json.dumps({"orderId": "k-many", "items": [{"productId": "no-such-%d" % i, "quantity": 1} for i in range(5000)]}))
created.append(json.dumps({"orderId": "k-mixed", "items": [{"productId": "hostile-p1", "quantity": 1},
                                                           {"productId": "no-such", "quantity": 1}]}))
created.append(json.dumps({"orderId": "k-short", "items": [{"productId": "hostile-p2", "quantity": 1000}]}))
moves = [" ", "{", "null", "[]", json.dumps({"orderId": "no-such-order"}), json.dumps({"orderId": "' OR 1=1 --"}),
         json.dumps({"orderId": "\u0000"}), json.dumps({"orderId": 7}), json.dumps({}), "{\"orderId\": \"a\", \"orderId\": \"b\"}",
         "[" * 20000 + "]" * 20000, json.dumps({"orderId": "x" * 20000})]
topics = {"order.created": created, "order.paid": moves, "order.cancelled": moves, "order.shipped": moves}
for topic, payloads in topics.items():
    # One file per message: kcat -P produces each file given as one message, bytes as they are.
    os.makedirs(os.path.join(out, topic), exist_ok=True)
    for index, payload in enumerate(payloads):
        with open(os.path.join(out, topic, "%03d" % index), "wb") as f:
            f.write(payload.encode("utf-8", "surrogatepass"))
    with open(os.path.join(out, topic + ".count"), "w") as f:
        f.write(str(len(payloads)))
PY
kafka_total=0
for topic in order.created order.paid order.cancelled order.shipped; do
    count=$(cat "$work/kafka/$topic.count")
    kcat -P -b "$bootstrap" -t "$topic" -p 0 -k hostile -X message.max.bytes=10000000 \
        "$work/kafka/$topic"/* 2>>"$work/kcat.log"
    kafka_total=$((kafka_total + count))
    consumed() { [ "$(sql "SELECT coalesce(max(next_offset), 0) FROM inventory.consumer_offsets WHERE consumer_group = '$group' AND topic = '$1'")" -ge "$2" ]; }
    if wait_until 60 consumed "$topic" "$count"; then
        pass "Kafka: all $count crafted messages on $topic consumed"
    else
        fail "Kafka: all $count crafted messages on $topic consumed" \
            "next offset $(sql "SELECT max(next_offset) FROM inventory.consumer_offsets WHERE consumer_group = '$group' AND topic = '$topic'")"
    fi
done
echo "# $kafka_total crafted Kafka messages; $(sql "SELECT count(*) FROM inventory.dead_letters WHERE consumer_group = '$group'") dead-lettered"
check_equal "Kafka: the consumer is still running" "$(grep -c '"level":"error".*consumer.*stopped' "$log")" 0

# --- afterwards -----------------------------------------------------------------------------------
check_equal "stock, reservations, ledger and outbox are exactly as before" "$(snapshot)" "$before"
check_equal "GET /health after the matrix" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/health")" 200
check_equal "GET /ready after the matrix" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/ready")" 200
check_equal "the service still serves a normal read" \
    "$(curl -s --max-time 5 -H "Authorization: Bearer $reader" "$base/v1/stock/hostile-p1" | jq -c '[.on_hand, .reserved]')" "[55,4]"
check_equal "the service process is alive" "$(kill -0 "$service_pid" 2>/dev/null && echo alive)" alive
check_equal "no 5xx in the request log" "$(grep -c '"status":5[0-9][0-9]' "$log")" 0
check_equal "no request failed with an internal error" "$(grep -c '"message":"request failed"' "$log")" 0
total=$((http_passed + http_failed + kafka_total))
if [ "$total" -ge 200 ]; then pass "the matrix has $total crafted inputs (at least 200)"; else fail "the matrix has at least 200 inputs" "$total"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
