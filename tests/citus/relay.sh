#!/usr/bin/env bash
# tests/citus/relay.sh: the relay's kill -9 test (tests/kafka) on a Citus cluster that
# tests/citus/run.sh started: two relays (the real service binary, SERVICE_ROLES=relay) against the
# coordinator and the kafka-mock peer, a stream of stock changes whose events are written on the
# workers (calls Citus routes) and on the coordinator (multi-product orders and their moves, which
# run through Citus) for the same products, kill -9 of the leading relay in the middle of it. Then:
# the standby took over and drained the outbox of every node; every ledger row's event reached
# Kafka; each product's events arrived in version order; duplicates share their eventId; the two
# relays never published at the same time.
# Ends with "N passed, N failed". env: CITUS_COORDINATOR_PORT, CITUS_RELAY_DATABASE (default
# inventory_citus), INVENTORY_SVC_BIN, CITUS_RELAY_EVENTS (default 2000), CITUS_RELAY_TIMEOUT_S
# (default 300), TEST_SCRATCH_DIR.
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
port=${CITUS_COORDINATOR_PORT:-25700}
database=${CITUS_RELAY_DATABASE:-inventory_citus}
events=${CITUS_RELAY_EVENTS:-2000}
work=${TEST_SCRATCH_DIR:-$repo/.test}/citus-relay
passed=0
failed=0
pids=()

# shellcheck source=../lib/harness.sh
. "$repo/tests/lib/harness.sh"
require_tools psql kcat jq python3
require_built "$binary"
[ -x "$repo/tools/kafka-mock/kafka-mock" ] || make -s -C "$repo/tools/kafka-mock" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

stop_pid() {  # stop_pid PID: SIGTERM, then SIGKILL after 10 s
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
}
cleanup() {
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
}
trap cleanup EXIT
start_watchdog "${CITUS_RELAY_TIMEOUT_S:-300}"
trap 'echo "$passed passed, $((failed + 1)) failed"; exit 1' TERM

sql() { psql -X -q -At -h 127.0.0.1 -p "$port" -U postgres -d "$database" -c "$1" 2>/dev/null; }
outbox_empty() { [ "$(sql "SELECT count(*) FROM inventory.outbox")" = 0 ]; }
consume() {  # consume TOPIC: every message so far as JSON lines
    kcat -C -b "$bootstrap" -t "$1" -o beginning -e -q -u \
        -f '{"partition":%p,"offset":%o,"key":"%k","payload":%s}\n' 2>>"$work/kcat.log"
}
start_relay() {  # start_relay NAME: a relay-only service with its log in $work/NAME.log; sets $last_pid
    env AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$port/$database" HTTP_HOST=127.0.0.1 \
        HTTP_PORT=0 KAFKA_BOOTSTRAP_SERVERS="$bootstrap" SERVICE_ROLES=relay LOG_LEVEL=debug \
        RELAY_BATCH_SIZE=200 RELAY_POLL_INTERVAL_MS=200 "$binary" >"$work/$1.log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
}

rm -rf "$work"
mkdir -p "$work"
"$repo/tools/kafka-mock/kafka-mock" --max-seconds "${CITUS_RELAY_TIMEOUT_S:-300}" --bootstrap-file "$work/bootstrap" \
    --topic inventory.updated:4 --topic inventory.alerts:2 >"$work/kafka-mock.log" 2>&1 &
pids+=("$!")
wait_until 10 test -s "$work/bootstrap" || { cat "$work/kafka-mock.log"; echo "0 passed, 1 failed"; exit 1; }
bootstrap=$(cat "$work/bootstrap")
echo "# kafka-mock at $bootstrap, Citus coordinator on $port"

# Forty products, each stocked by a call Citus routes to its worker.
for i in $(seq 1 40); do echo "SELECT count(*) FROM inventory_set_stock('ks-$i', 1000000);"; done >"$work/stock.sql"
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d "$database" -f "$work/stock.sql" >/dev/null
start_relay relay-a
relay_a=$last_pid
if wait_until 20 outbox_empty && wait_until 10 grep -q 'relay leadership acquired' "$work/relay-a.log"; then
    pass "relay A leads and drained the initial outbox of every node"
else
    fail "relay A leads and drained the initial outbox" "$(sql 'SELECT count(*) FROM inventory.outbox')"
fi
start_relay relay-b
relay_b=$last_pid

# The stream: each statement on its own, so the single-product ones are routed (their events are
# written on the workers) while orders of two products and their confirm/release run through the
# coordinator; both kinds change the same products.
python3 - "$events" >"$work/stream.sql" <<'PY'
import sys
for i in range(1, int(sys.argv[1]) + 1):
    a, b = 1 + (i // 5) % 40, 1 + (i // 5 + 13) % 40
    if i % 5 == 0:
        print(f"SELECT count(*) FROM inventory_reserve_order('rs-{i}', '[{{\"product_id\": \"ks-{a}\", \"quantity\": 1}}, {{\"product_id\": \"ks-{b}\", \"quantity\": 1}}]');")
        print(f"SELECT count(*) FROM inventory_{'confirm' if i % 10 == 0 else 'release'}_order('rs-{i}');")
    else:
        print(f"SELECT count(*) FROM inventory_restock('ks-{1 + i % 40}', 1);")
PY
psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d "$database" -v ON_ERROR_STOP=1 -f "$work/stream.sql" \
    >"$work/stream.log" 2>&1 &
stream_pid=$!
pids+=("$stream_pid")
wait_until 60 grep -q 'relay published batch' "$work/relay-a.log"
sleep 0.5
{
    kill -KILL "$relay_a"
    wait "$relay_a"
} 2>/dev/null
if wait "$stream_pid" 2>/dev/null; then pass "the stream of $events changes ran"; else fail "the stream ran" "$(tail -3 "$work/stream.log")"; fi
if wait_until 90 outbox_empty; then
    pass "the standby relay drained every node's outbox after kill -9 of the leader"
else
    fail "the standby relay drained the outbox" "$(sql 'SELECT count(*) FROM inventory.outbox') left"
fi
if grep -q 'relay leadership acquired' "$work/relay-b.log"; then pass "relay B took over"; else fail "relay B took over"; fi

sql "SELECT product_id, version FROM inventory.ledger WHERE product_id LIKE 'ks-%'" >"$work/ledger.txt"
consume inventory.updated | jq -c 'select(.key | startswith("ks-")) | [.key, .payload.version, .payload.eventId, .partition, .offset, .payload.reason]' \
    >"$work/published.jsonl"
mixed=$(jq -r '.[0] + " " + .[5]' "$work/published.jsonl" | sort -u | awk '{ reasons[$1] = reasons[$1] " " $2 }
    END { n = 0; for (p in reasons) if (reasons[p] ~ /restock/ && reasons[p] ~ /reserve/) n++; print n }')
if [ "${mixed:-0}" -ge 20 ]; then
    pass "events of $mixed products came from both routed restocks (written on a worker) and orders (through the coordinator)"
else
    fail "events came from routed calls and from the coordinator" "${mixed:-0} products with both"
fi
verdict=$(python3 - "$work/ledger.txt" "$work/published.jsonl" <<'PY'
import json, sys
expected = set()
for line in open(sys.argv[1]):
    product, version = line.strip().split("|")
    expected.add((product, int(version)))
ids, last, order_ok, duplicates = {}, {}, True, 0
rows = [json.loads(line) for line in open(sys.argv[2])]
rows.sort(key=lambda r: (r[3], r[4]))  # per partition, in offset order
for key, version, event_id, partition, offset, reason in rows:
    if (key, version) in ids:
        duplicates += 1
        if ids[(key, version)] != event_id:
            print("duplicate-with-another-eventId", 0, 0)
            sys.exit(0)
        continue
    ids[(key, version)] = event_id
    if version <= last.get(key, 0):
        order_ok = False
    last[key] = version
missing = expected - set(ids)
print("ok" if not missing and order_ok else "missing=%d,order_ok=%s" % (len(missing), order_ok), len(ids), duplicates)
PY
)
check_equal "every event reached Kafka, each product's in version order, duplicates share the eventId" \
    "$(cut -d' ' -f1 <<<"$verdict")" ok
echo "#   events: $(cut -d' ' -f2 <<<"$verdict") distinct, $(cut -d' ' -f3 <<<"$verdict") duplicates"
first_b=$(grep 'relay published batch' "$work/relay-b.log" | head -1 | jq -r .time)
last_a=$(grep 'relay published batch' "$work/relay-a.log" | tail -1 | jq -r .time)
if [ -n "$first_b" ] && [ -n "$last_a" ] && [[ "$first_b" > "$last_a" ]]; then
    pass "the two relays never published at the same time (A last $last_a, B first $first_b)"
else
    fail "the two relays never published at the same time" "A last $last_a, B first $first_b"
fi
stop_pid "$relay_b"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
