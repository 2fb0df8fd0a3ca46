# tests/kafka/leadership.sh (sourced by run.sh): one relay publishes at a time, and a leader that
# stops working loses leadership. Relays here run with WORKER_SESSION_TIMEOUT_MS=3000 (the lease)
# and WORKER_STATEMENT_TIMEOUT_MS=2000. In a stream of events, three ways a leader A stops while a
# standby B waits: SIGKILL; SIGSTOP (its session and lock stay open until PostgreSQL ends the idle
# session), then SIGCONT (A must notice it lost the lock and publish nothing more); and a network
# that stops answering (a loopback proxy between A and PostgreSQL, frozen). Each time B takes over,
# every event arrives, in per-product order, and duplicates share the eventId. Also: each kind of
# session is named in pg_stat_activity.

start_mock leadership
group=kafka-test-$$-lead
relay_env=(SERVICE_ROLES=relay LOG_LEVEL=debug RELAY_BATCH_SIZE=50 RELAY_MAX_IN_FLIGHT=2
           WORKER_SESSION_TIMEOUT_MS=3000 WORKER_STATEMENT_TIMEOUT_MS=2000)
sql "SELECT count(*) FROM generate_series(1, 40) AS g(i), LATERAL inventory_set_stock('ks-' || g.i, 1000000)" >/dev/null

# stream TAG SECONDS: about stream_events restocks spread over SECONDS, committed one by one.
stream() {
    local per_batch=$(( stream_events / ($2 * 10) + 1 ))
    psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "
        DO \$\$ BEGIN
          FOR i IN 1..$stream_events LOOP
            PERFORM inventory_restock('ks-' || (1 + i % 40), 1);
            COMMIT;
            IF i % $per_batch = 0 THEN PERFORM pg_sleep(0.1); END IF;
          END LOOP;
        END \$\$" >"$work/stream-$1.log" 2>&1
}

# check_stream TAG: every ks-* event of the ledger arrived on inventory.updated, in per-product order.
check_stream() {
    sql "SELECT product_id, version FROM inventory.ledger WHERE product_id LIKE 'ks-%'" >"$work/ledger-$1.txt"
    consume inventory.updated | jq -c 'select(.key | startswith("ks-")) | [.key, .payload.version, .payload.eventId, .partition, .offset]' >"$work/stream-$1.jsonl"
    local verdict
    verdict=$(python3 - "$work/ledger-$1.txt" "$work/stream-$1.jsonl" <<'PY'
import json, sys
expected = set()
for line in open(sys.argv[1]):
    product, version = line.strip().split("|")
    expected.add((product, int(version)))
ids, order_ok, dup = {}, True, 0
rows = [json.loads(l) for l in open(sys.argv[2])]
rows.sort(key=lambda r: (r[3], r[4]))  # per partition, in offset order
last = {}
for key, version, event_id, partition, offset in rows:
    k = (key, version)
    if k in ids:
        dup += 1
        if ids[k] != event_id:
            print("duplicate-with-another-eventId 0 0"); sys.exit(0)
        continue
    ids[k] = event_id
    if version <= last.get(key, 0):
        order_ok = False
    last[key] = version
missing = expected - set(ids)
print("ok" if not missing and order_ok else "missing=%d,order_ok=%s" % (len(missing), order_ok), len(ids), dup)
PY
)
    check_equal "$1: every event arrived, in per-product order, duplicates share the eventId" "$(cut -d' ' -f1 <<<"$verdict")" ok
    echo "#   events: $(cut -d' ' -f2 <<<"$verdict") distinct, $(cut -d' ' -f3 <<<"$verdict") duplicates"
}
leads() { grep -q 'relay leadership acquired' "$work/$1.log"; }
published_after() {  # published_after LOG TIME: batches published (and acknowledged) after TIME
    grep '"message":"relay published batch"' "$work/$1.log" | jq -r .time | awk -v t="$2" '$0 > t' | wc -l
}
utc_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }

# --- session names ------------------------------------------------------------------------------------
start_service names
names_pid=$last_pid
names() { sql "SELECT string_agg(DISTINCT application_name, ',' ORDER BY application_name) FROM pg_stat_activity WHERE application_name LIKE 'inventory-svc-%'"; }
all_named() { [ "$(names)" = "inventory-svc-consumer,inventory-svc-dead-letters,inventory-svc-relay,inventory-svc-rest" ]; }
curl -s "$base/v1/stock/ks-1" >/dev/null
if wait_until 20 all_named; then pass "REST, relay, consumer and dead-letter sessions are each named in pg_stat_activity"; else fail "session names" "$(names)"; fi
stop_pid "$names_pid"

# --- SIGKILL -------------------------------------------------------------------------------------------
start_service kill-a "${relay_env[@]}"
relay_a=$last_pid
wait_until 10 leads kill-a
start_service kill-b "${relay_env[@]}"
relay_b=$last_pid
stream kill 6 &
stream_pid=$!
pids+=("$stream_pid")
wait_until 30 grep -q 'relay published batch' "$work/kill-a.log"
sleep 1
killed_at=$(utc_now)
kill -KILL "$relay_a"
wait "$relay_a" 2>/dev/null
if wait_until 20 leads kill-b; then pass "SIGKILL: the standby took over"; else fail "SIGKILL: the standby took over"; fi
wait "$stream_pid"
if wait_until 60 outbox_empty; then pass "SIGKILL: the outbox drained"; else fail "SIGKILL: the outbox drained" "$(sql 'SELECT count(*) FROM inventory.outbox')"; fi
first_b=$(grep '"message":"relay published batch"' "$work/kill-b.log" | head -1 | jq -r .time)
if [[ -n "$first_b" && "$first_b" > "$killed_at" ]]; then
    pass "SIGKILL: the two relays never published at the same time"
else
    fail "SIGKILL: one publisher at a time" "A killed $killed_at, B first $first_b"
fi
check_stream SIGKILL
# While one leads, a third stays standby and exactly one session holds the lock.
start_service kill-c "${relay_env[@]}"
relay_c=$last_pid
sql "SELECT count(*) FROM inventory_restock('ks-1', 1)" >/dev/null
sleep 2
if ! leads kill-c && ! grep -q 'relay published batch' "$work/kill-c.log"; then pass "a third relay stays standby while one leads"; else fail "a third relay stays standby"; fi
check_equal "the lock is held by exactly one session" \
    "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND objid::text::bigint = 7461923001 % 4294967296")" 1
stop_pid "$relay_b"; stop_pid "$relay_c"

# --- SIGSTOP, then SIGCONT ---------------------------------------------------------------------------
start_service stop-a "${relay_env[@]}"
relay_a=$last_pid
wait_until 10 leads stop-a
start_service stop-b "${relay_env[@]}"
relay_b=$last_pid
stream stop 8 &
stream_pid=$!
pids+=("$stream_pid")
wait_until 30 grep -q 'relay published batch' "$work/stop-a.log"
sleep 1
kill -STOP "$relay_a"
frozen_at=$SECONDS
if wait_until 30 leads stop-b; then pass "SIGSTOP: the standby took over after $((SECONDS - frozen_at)) s (lease 3 s)"; else fail "SIGSTOP: the standby took over"; fi
wait_until 30 grep -q 'relay published batch' "$work/stop-b.log"
resumed_at=$(utc_now)
kill -CONT "$relay_a"
lost() { grep -q '"message":"relay lost leadership' "$work/stop-a.log"; }
if wait_until 20 lost; then pass "SIGCONT: the old leader notices it lost the lock: $(grep -m1 'relay lost leadership' "$work/stop-a.log" | jq -r .error)"; else fail "SIGCONT: the old leader notices"; fi
wait "$stream_pid"
if wait_until 60 outbox_empty; then pass "SIGSTOP: the outbox drained"; else fail "SIGSTOP: the outbox drained"; fi
sleep 1
check_equal "SIGCONT: the old leader published nothing after it resumed" "$(published_after stop-a "$resumed_at")" 0
check_equal "SIGCONT: and never led again while the other leads" "$(grep -c 'relay leadership acquired' "$work/stop-a.log")" 1
check_stream SIGSTOP
stop_pid "$relay_a"; stop_pid "$relay_b"

# --- a network that stops answering -------------------------------------------------------------------
start_proxy "$proxy_port" "$pg_port"
service_database_url="postgresql://postgres@127.0.0.1:$proxy_port/$database" start_service net-a "${relay_env[@]}"
relay_a=$last_pid
wait_until 10 leads net-a
start_service net-b "${relay_env[@]}"
relay_b=$last_pid
stream net 8 &
stream_pid=$!
pids+=("$stream_pid")
wait_until 30 grep -q 'relay published batch' "$work/net-a.log"
sleep 1
kill -STOP "$proxy_pid"
cut_at=$(utc_now)
cut_seconds=$SECONDS
if wait_until 30 leads net-b; then pass "cut-off leader: the standby took over after $((SECONDS - cut_seconds)) s"; else fail "cut-off leader: the standby took over"; fi
lost() { grep -q '"message":"relay lost leadership' "$work/net-a.log"; }
if wait_until 20 lost; then pass "cut-off leader: it gives up on its own (call deadline): $(grep -m1 'relay lost leadership' "$work/net-a.log" | jq -r .error)"; else fail "cut-off leader: gives up"; fi
wait "$stream_pid"
if wait_until 60 outbox_empty; then pass "cut-off leader: the outbox drained"; else fail "cut-off leader: the outbox drained"; fi
kill -CONT "$proxy_pid"
sleep 2
check_equal "cut-off leader: it published nothing after the cut" "$(published_after net-a "$cut_at")" 0
check_equal "cut-off leader: and did not lead again while the other leads" "$(grep -c 'relay leadership acquired' "$work/net-a.log")" 1
check_stream "network cut"
stop_pid "$relay_a"; stop_pid "$relay_b"; stop_pid "$proxy_pid"
stop_pid "$mock_pid"
