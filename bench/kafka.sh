#!/usr/bin/env bash
# bench/kafka.sh (part of make bench): the Kafka path of inventory-svc on loopback, against the
# kafka-mock peer, each figure next to a kcat baseline measured in the same run. Starts its own
# PostgreSQL (port BENCH_KAFKA_PG_PORT) with default durability and measures
#   1. relay throughput: a backlog of BENCH_KAFKA_BACKLOG (100,000) outbox events, written while no
#      relay runs, published by one relay-only process until the outbox is empty (events/s, from
#      the moment it took the lock); baseline: kcat producing as many messages of the same size to
#      the same mock cluster (idempotent, acks=all); then the cost of the relay's idle probe over the
#      dead rows the drain left behind;
#   2. consumer throughput: BENCH_KAFKA_CONSUMED (50,000) order.created waiting on four partitions,
#      applied by one consumer-only process (reservations committed per second, first to last);
#      baseline: kcat reading the same messages;
#   3. end-to-end latency at a steady BENCH_KAFKA_RATE (1,000) orders/s for BENCH_KAFKA_SECONDS (10):
#      order.created produced with kcat until the matching inventory.updated is read by kcat,
#      through consumer, database and relay (p50, p99); baseline: the same produce -> consume trip
#      through the mock alone;
#   4. how soon the relay learns of a committed change without NOTIFY (idle polling every
#      RELAY_POLL_INTERVAL_MS, 20 ms) and with LISTEN/NOTIFY: commit -> inventory.updated read by kcat.
# Prints the machine's load before and after. Bounded: about 3 minutes.
#   env: INVENTORY_SVC_BIN, BENCH_KAFKA_PG_PORT (25485), BENCH_KAFKA_BACKLOG, BENCH_KAFKA_CONSUMED,
#        BENCH_KAFKA_RATE, BENCH_KAFKA_SECONDS
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
backlog=${BENCH_KAFKA_BACKLOG:-100000}
consumed=${BENCH_KAFKA_CONSUMED:-50000}
rate=${BENCH_KAFKA_RATE:-1000}
seconds=${BENCH_KAFKA_SECONDS:-10}
work=${BENCH_SCRATCH_DIR:-$repo/.bench}/kafka
pg_dir=${BENCH_SCRATCH_DIR:-$repo/.bench}/kafka-pg
pg_port=${BENCH_KAFKA_PG_PORT:-25485}
database=benchdb
pids=()

[ -x "$binary" ] || { echo "bench/kafka.sh: build the service first ($binary)" >&2; exit 1; }
command -v kcat >/dev/null || { echo "bench/kafka.sh: kcat is required" >&2; exit 1; }
[ -x "$repo/tools/kafka-mock/kafka-mock" ] || make -s -C "$repo/tools/kafka-mock"

cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
sql() { psql -X -q -At -h 127.0.0.1 -p "$pg_port" -U postgres -d "$database" -c "$1"; }
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
rate_of() { echo "$1 / $2" | bc -l; }
wait_for() {  # wait_for SECONDS COMMAND...: true once COMMAND succeeds
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.02; done
}

echo "kafka bench: load average before: $(load) ($(nproc) cores)"
mkdir -p "$work" "$pg_dir"
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
rm -rf "$pg_dir" && mkdir -p "$pg_dir"
# Default durability (fsync and synchronous_commit on): every consumer batch and relay ack commits
# as it would in production.
PG_FSYNC=on PG_EXTRA_CONF="max_wal_size = '8GB'" \
    "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg.log" 2>&1
[ "$(sql "SHOW fsync")/$(sql "SHOW synchronous_commit")" = on/on ] ||
    { echo "bench/kafka.sh: durability is not the default" >&2; exit 1; }
sql "SELECT inventory_unschedule_reaper()" >/dev/null
rm -f "$work/bootstrap"
"$repo/tools/kafka-mock/kafka-mock" --max-seconds 900 --bootstrap-file "$work/bootstrap" --topic order.created:4 \
    --topic inventory.updated:4 --topic inventory.alerts:2 --topic inventory.dead-letter:1 --topic kcat.baseline:4 \
    --topic kcat.latency:1 >"$work/kafka-mock.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")

start_service() {  # start_service LOG VAR=VALUE...
    local log=$1; shift
    env AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 \
        HTTP_PORT=0 KAFKA_BOOTSTRAP_SERVERS="$bootstrap" KAFKA_GROUP_ID=bench-$$ KAFKA_SESSION_TIMEOUT_MS=6000 \
        "$@" "$binary" >"$log" 2>&1 &
    service_pid=$!
    pids+=("$service_pid")
}
stop_service() { kill -TERM "$service_pid" 2>/dev/null; wait "$service_pid" 2>/dev/null || true; }

# --- 1. relay throughput ----------------------------------------------------------------------------
products=100
sql "SELECT count(*) FROM generate_series(1, $products) g, LATERAL inventory_set_stock('bench-' || g, 1000000000)" >/dev/null
sql "SELECT count(*) FROM generate_series(1, $backlog - $products) g, LATERAL inventory_restock('bench-' || (1 + g % $products), 1)" >/dev/null
rows=$(sql "SELECT count(*) FROM inventory.outbox")
payload=$(sql "SELECT payload::text FROM inventory.outbox LIMIT 1")
start_service "$work/relay.log" SERVICE_ROLES=relay RELAY_BATCH_SIZE=2000 LOG_LEVEL=info
wait_for 30 grep -qs 'relay leadership acquired' "$work/relay.log"
relay_port=$(grep -o '"port":[0-9]*' "$work/relay.log" | head -1 | cut -d: -f2)
# Watching is slow on purpose (a tight loop of processes would take CPU from the relay); the
# figure comes from timestamps: the lock in the relay's log, the last message's on Kafka.
published() { curl -s "http://127.0.0.1:$relay_port/metrics" | awk '$1 == "inventory_relay_published_total" {print $2}'; }
all_published() { sleep 0.2; [ "$(published)" = "$rows" ]; }
wait_for 300 all_published
[ "$(sql "SELECT count(*) FROM inventory.outbox")" = 0 ] || { echo "bench/kafka.sh: the outbox is not empty" >&2; exit 1; }
led_ms=$(grep -m1 '"message":"relay leadership acquired"' "$work/relay.log" |
    python3 -c 'import datetime, json, sys; t = json.load(sys.stdin)["time"]; print(int(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000))')
last_ms=$(kcat -C -b "$bootstrap" -t inventory.updated -o beginning -e -q -f '%T\n' 2>/dev/null | sort -n | tail -1)
relay_seconds=$(echo "($last_ms - $led_ms) / 1000" | bc -l)
# The idle probe reads from the start of the outbox: time it over the dead rows the drain left.
probe_ms=$(sql "DO \$\$ DECLARE t timestamptz := clock_timestamp(); BEGIN
    FOR i IN 1..200 LOOP PERFORM count(*) FROM inventory_outbox_fetch_after(NULL, 2000); END LOOP;
    RAISE NOTICE '%', extract(epoch FROM clock_timestamp() - t) * 1000 / 200; END \$\$" 2>&1 | sed -n 's/.*NOTICE: *//p')
dead_rows=$(sql "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'inventory.outbox'::regclass")
stop_service

(set +o pipefail; yes "bench-1	$payload" | head -n "$rows" >"$work/baseline.txt")
started=$(now)
kcat -P -b "$bootstrap" -t kcat.baseline -K $'\t' -X enable.idempotence=true -X acks=all -l "$work/baseline.txt"
kcat_seconds=$(echo "$(now) - $started" | bc -l)
relay_rate=$(rate_of "$rows" "$relay_seconds")
kcat_rate=$(rate_of "$rows" "$kcat_seconds")
printf '%-58s %10.0f events/s  (%d events in %.2f s, lock taken -> last one on Kafka)\n' \
    "relay: outbox backlog -> Kafka (acked, deleted)" "$relay_rate" "$rows" "$relay_seconds"
printf '%-58s %10.0f events/s\n' "baseline: kcat producing as many to the same mock" "$kcat_rate"
printf '%-58s %10.2f\n' "ratio relay/kcat" "$(echo "$relay_rate / $kcat_rate" | bc -l)"
printf '%-58s %10.3f ms  (dead rows left by the drain: %s)\n' "relay idle probe from the start of the outbox" \
    "$probe_ms" "$dead_rows"

# --- 2. consumer throughput ---------------------------------------------------------------------------
sql "SELECT count(*) FROM generate_series(1, 1000) g, LATERAL inventory_set_stock('order-' || g, 1000000000)" >/dev/null
python3 - "$work" "$consumed" <<'PY'
import random, sys
work, count = sys.argv[1], int(sys.argv[2])
random.seed(7)
files = [open("%s/orders-%d.txt" % (work, p), "w") for p in range(4)]
for i in range(count):
    order = "bench-o-%d" % i
    files[i % 4].write('%s\t{"orderId":"%s","items":[{"productId":"order-%d","quantity":1}]}\n'
                       % (order, order, random.randint(1, 1000)))
PY
for partition in 0 1 2 3; do
    kcat -P -b "$bootstrap" -t order.created -p "$partition" -K $'\t' -l "$work/orders-$partition.txt"
done
started=$(now)
kcat -C -b "$bootstrap" -t order.created -o beginning -e -q -f '%o\n' >/dev/null 2>&1
kcat_read_seconds=$(echo "$(now) - $started" | bc -l)
start_service "$work/consumer.log" SERVICE_ROLES=consumer KAFKA_EXTRA_CONFIG=fetch.wait.max.ms=5
wait_for 30 grep -qs '"port":' "$work/consumer.log"
consumer_port=$(grep -o '"port":[0-9]*' "$work/consumer.log" | head -1 | cut -d: -f2)
applied() {
    curl -s "http://127.0.0.1:$consumer_port/metrics" |
        awk '$1 == "inventory_consumer_messages_total{outcome=\"applied\"}" {print $2}'
}
all_applied() { [ "$(applied)" = "$consumed" ]; }
first_applied() { [ "$(applied)" != 0 ]; }
wait_for 60 first_applied
first=$(now)
wait_for 300 all_applied
last=$(now)
[ "$(sql "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'bench-o-%'")" = "$consumed" ] ||
    { echo "bench/kafka.sh: not every order was reserved" >&2; exit 1; }
timing=$(sql "SELECT extract(epoch FROM max(created_at) - min(created_at)) FROM inventory.reservations WHERE order_id LIKE 'bench-o-%'")
stop_service
batches=$(grep -c 'Kafka batch not applied yet' "$work/consumer.log" || true)
consumer_rate=$(rate_of "$consumed" "$timing")
printf '%-58s %10.0f orders/s  (%d in %.2f s, first to last commit; %.2f s observed from outside)\n' \
    "consumer: order.created -> reservations committed" "$consumer_rate" "$consumed" "$timing" \
    "$(echo "$last - $first" | bc -l)"
printf '%-58s %10.0f messages/s\n' "baseline: kcat reading the same messages" "$(rate_of "$consumed" "$kcat_read_seconds")"
printf '%-58s %10.2f  (retried batches: %s)\n' "ratio consumer/kcat" \
    "$(echo "$consumer_rate / $(rate_of "$consumed" "$kcat_read_seconds")" | bc -l)" "$batches"

# --- 3. end-to-end latency at a steady rate -----------------------------------------------------------
sql "SELECT count(*) FROM generate_series(1, 100) g, LATERAL inventory_set_stock('latency-' || g, 1000000000)" >/dev/null
# The mock cluster answers a fetch only after fetch.wait.max.ms (500 ms by default) even when data
# is waiting; a real broker answers at once. Lower it on every consumer so the mock's wait does not
# dominate the figure.
start_service "$work/service.log" KAFKA_EXTRA_CONFIG=fetch.wait.max.ms=5
wait_for 30 grep -qs 'relay leadership acquired' "$work/service.log"
python3 - "$bootstrap" "$rate" "$seconds" "$pg_port" "$database" <<'PY'
import json, subprocess, sys, threading, time
bootstrap, rate, seconds, pg_port, database = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]

# trip: produce count + warmup messages at the rate, read them back; wall-clock seconds when each
# was sent, read, and stamped by its producer on the consumed topic (Kafka's CreateTime).
def trip(produce_topic, consume_topic, line_of, order_of, count, warmup):
    received, stamped, sent = {}, {}, {}
    consumer = subprocess.Popen(["kcat", "-C", "-b", bootstrap, "-t", consume_topic, "-o", "end", "-q", "-u",
                                 "-X", "fetch.wait.max.ms=5", "-f", "%T\t%s\n"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    def read():
        for line in consumer.stdout:
            stamp, _, value = line.partition("\t")
            order = order_of(value)
            if order and order not in received:
                received[order] = time.time()
                stamped[order] = int(stamp) / 1000.0
    threading.Thread(target=read, daemon=True).start()
    time.sleep(4)  # kcat joins and reaches the end of each partition
    producer = subprocess.Popen(["kcat", "-P", "-b", bootstrap, "-t", produce_topic, "-K", "\t",
                                 "-X", "linger.ms=0", "-u"], stdin=subprocess.PIPE, text=True)
    start = time.monotonic()
    for i in range(count + warmup):
        due = start + i / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        order = "lat-%s-%d" % (produce_topic, i)
        producer.stdin.write(line_of(order, i))
        producer.stdin.flush()
        if i >= warmup:  # warm-up orders are left out of the figures
            sent[order] = time.time()
    producer.stdin.close()
    deadline = time.monotonic() + 30
    while len([o for o in sent if o in received]) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    consumer.terminate()
    done = [o for o in sent if o in received]
    sent_at.update(sent)
    stamped_at.update(stamped)
    return ([(received[o] - sent[o]) * 1000 for o in done], [(received[o] - stamped[o]) * 1000 for o in done],
            len(sent))

sent_at, stamped_at = {}, {}

def pick(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]

def order_in_event(value):
    try:
        return json.loads(value).get("orderId") or ""
    except ValueError:
        return ""

count = rate * seconds
total, from_relay, sent = trip(
    "order.created", "inventory.updated",
    lambda order, i: '%s\t{"orderId":"%s","items":[{"productId":"latency-%d","quantity":1}]}\n' % (order, order, 1 + i % 100),
    order_in_event, count, rate)
base_total, _, base_sent = trip("kcat.latency", "kcat.latency", lambda order, i: "%s\t%s\n" % (order, order),
                                   lambda value: value.strip(), count, rate)
if not total or not base_total:
    print("end-to-end latency: no messages received")
    sys.exit(1)
print("%-58s p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d/%d)" % (
    "end-to-end at %d orders/s: order.created -> inventory.updated" % rate, pick(total, 50), pick(total, 99),
    max(total), len(total), sent))
# Where the time goes: the reservation's created_at is the start of the consumer's transaction.
rows = subprocess.run(["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-p", pg_port, "-U", "postgres", "-d", database,
                       "-c", "SELECT order_id, extract(epoch FROM created_at) FROM inventory.reservations"
                             " WHERE order_id LIKE 'lat-order.created-%'"],
                      capture_output=True, text=True).stdout.split()
began = dict((row.split("|")[0], float(row.split("|")[1])) for row in rows)
segments = (("  1. kcat produces -> consumer's transaction begins", [(began[o] - sent_at[o]) * 1000 for o in began if o in sent_at]),
            ("  2. -> relay hands inventory.updated to librdkafka", [(stamped_at[o] - began[o]) * 1000 for o in began if o in stamped_at]),
            ("  3. -> kcat reads it", from_relay))
for label, values in segments:
    if values:
        print("%-58s p50 %.1f ms  p99 %.1f ms" % (label, pick(values, 50), pick(values, 99)))
print("%-58s p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d/%d)" % (
    "baseline: kcat -> mock -> kcat at the same rate", pick(base_total, 50), pick(base_total, 99), max(base_total),
    len(base_total), base_sent))
PY
stop_service

# --- 4. how soon the relay learns of a commit ---------------------------------------------------------
sql "SELECT count(*) FROM inventory_set_stock('wake', 1000000000)" >/dev/null
for mode in poll notify; do
    if [ "$mode" = notify ]; then
        start_service "$work/wake-$mode.log" SERVICE_ROLES=relay RELAY_NOTIFY_CHANNEL=inventory_outbox
        options="-c inventory.notify_channel=inventory_outbox"
        label="relay wake-up with LISTEN/NOTIFY: commit -> inventory.updated"
    else
        start_service "$work/wake-$mode.log" SERVICE_ROLES=relay
        options=""
        label="relay wake-up, polling only (20 ms): commit -> inventory.updated"
    fi
    wait_for 30 grep -qs 'relay leadership acquired' "$work/wake-$mode.log"
    python3 - "$bootstrap" "$pg_port" "$database" "$options" "$label" <<'PY'
import json, os, subprocess, sys, threading, time
bootstrap, port, database, options, label = sys.argv[1:6]
received = []
consumer = subprocess.Popen(["kcat", "-C", "-b", bootstrap, "-t", "inventory.updated", "-o", "end", "-q", "-u",
                             "-X", "fetch.wait.max.ms=5", "-f", "%k %s\n"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
def read():
    for line in consumer.stdout:
        if line.startswith("wake "):
            received.append(time.monotonic())
threading.Thread(target=read, daemon=True).start()
time.sleep(4)
env = dict(os.environ, PGOPTIONS=options)
psql = subprocess.Popen(["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", database],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
latencies = []
for i in range(120):
    before = len(received)
    psql.stdin.write("SELECT count(*) FROM inventory_restock('wake', 1);\n")
    psql.stdin.flush()
    psql.stdout.readline()  # the commit is done when psql answers
    committed = time.monotonic()
    deadline = committed + 2
    while len(received) == before and time.monotonic() < deadline:
        time.sleep(0.0005)
    if len(received) > before and i >= 20:
        latencies.append((received[before] - committed) * 1000)
    time.sleep(0.037)  # lands anywhere in the relay's poll interval
psql.stdin.close()
consumer.terminate()
latencies.sort()
pick = lambda p: latencies[min(len(latencies) - 1, int(p / 100.0 * len(latencies)))]
print("%-58s p50 %.1f ms  p99 %.1f ms  (%d commits)" % (label, pick(50), pick(99), len(latencies)))
PY
    stop_service
done
echo "kafka bench: load average after: $(load)"
