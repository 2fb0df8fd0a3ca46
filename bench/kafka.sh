#!/usr/bin/env bash
# bench/kafka.sh (part of make bench): the Kafka path of inventory-svc on loopback, against the
# kafka-mock peer. Starts its own PostgreSQL (.bench/kafka-pg, port 55485) and measures
#   1. relay throughput: a backlog of BENCH_KAFKA_BACKLOG (100,000) outbox events, written while no
#      relay runs, published by one relay-only process until the outbox is empty (events/s); the
#      baseline is kcat producing the same number of messages straight to the mock cluster;
#   2. end-to-end latency: order.created produced with kcat (one every 10 ms) until the matching
#      inventory.updated is consumed by kcat, through consumer, database, NOTIFY and relay (p50, p99).
# Bounded: about 2 minutes.
#   env: INVENTORY_SVC_BIN, BENCH_KAFKA_BACKLOG (100000), BENCH_KAFKA_ORDERS (1000)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
backlog=${BENCH_KAFKA_BACKLOG:-100000}
orders=${BENCH_KAFKA_ORDERS:-1000}
work=${BENCH_SCRATCH_DIR:-$repo/.bench}/kafka
pg_dir=${BENCH_SCRATCH_DIR:-$repo/.bench}/kafka-pg
pg_port=55485
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

mkdir -p "$work" "$pg_dir"
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
rm -rf "$pg_dir" && mkdir -p "$pg_dir"
PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" "$database" >"$work/pg.log" 2>&1
rm -f "$work/bootstrap"
"$repo/tools/kafka-mock/kafka-mock" --max-seconds 600 --bootstrap-file "$work/bootstrap" --topic order.created:4 \
    --topic inventory.updated:4 --topic inventory.alerts:2 --topic kcat.baseline:4 >"$work/kafka-mock.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$work/bootstrap")

start_service() {  # start_service LOG VAR=VALUE...
    local log=$1; shift
    env AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/$database" HTTP_HOST=127.0.0.1 \
        HTTP_PORT=0 KAFKA_BOOTSTRAP_SERVERS="$bootstrap" KAFKA_GROUP_ID=bench-$$ KAFKA_SESSION_TIMEOUT_MS=6000 \
        "$@" "$binary" >"$log" 2>&1 &
    pids+=("$!")
    service_pid=$!
}

# --- 1. relay throughput ----------------------------------------------------------------------------
sql "SELECT count(*) FROM generate_series(1, 100) g, LATERAL inventory_set_stock('bench-' || g, 1000000000)" >/dev/null
sql "SELECT count(*) FROM generate_series(1, $backlog - 100) g, LATERAL inventory_restock('bench-' || (1 + g % 100), 1)" >/dev/null
rows=$(sql "SELECT count(*) FROM inventory.outbox")
payload=$(sql "SELECT payload::text FROM inventory.outbox LIMIT 1")
started=$(now)
start_service "$work/relay.log" SERVICE_ROLES=relay RELAY_BATCH_SIZE=2000
while [ "$(sql "SELECT count(*) FROM inventory.outbox")" != 0 ]; do sleep 0.05; done
relay_seconds=$(echo "$(now) - $started" | bc -l)
kill -TERM "$service_pid"; wait "$service_pid" || true

(set +o pipefail; yes "bench-1	$payload" | head -n "$rows" >"$work/baseline.txt")
started=$(now)
kcat -P -b "$bootstrap" -t kcat.baseline -K $'\t' -X enable.idempotence=true -X acks=all -l "$work/baseline.txt"
kcat_seconds=$(echo "$(now) - $started" | bc -l)

relay_rate=$(echo "$rows / $relay_seconds" | bc -l)
kcat_rate=$(echo "$rows / $kcat_seconds" | bc -l)
printf '%-52s %10.0f events/s  (%d events in %.2f s, process start included)\n' "relay: outbox backlog -> Kafka (acked, deleted)" \
    "$relay_rate" "$rows" "$relay_seconds"
printf '%-52s %10.0f events/s\n' "baseline: kcat producing to the same mock cluster" "$kcat_rate"
printf '%-52s %10.2f\n' "ratio relay/kcat" "$(echo "$relay_rate / $kcat_rate" | bc -l)"

# --- 2. end-to-end latency ------------------------------------------------------------------------
sql "SELECT count(*) FROM inventory_set_stock('latency', 1000000000)" >/dev/null
# The mock cluster answers a fetch only after fetch.wait.max.ms (500 ms by default) even when data
# is waiting; a real broker answers at once. Lower it on both consumers so the mock's wait does not
# dominate the figure.
start_service "$work/service.log" RELAY_POLL_INTERVAL_MS=500 KAFKA_EXTRA_CONFIG=fetch.wait.max.ms=5
for _ in $(seq 100); do grep -q 'relay leadership acquired' "$work/service.log" && break; sleep 0.1; done
python3 - "$bootstrap" "$orders" <<'PY'
import json, subprocess, sys, threading, time
bootstrap, orders = sys.argv[1], int(sys.argv[2])
received, sent = {}, {}
consumer = subprocess.Popen(["kcat", "-C", "-b", bootstrap, "-t", "inventory.updated", "-o", "end", "-q", "-u", "-X", "fetch.wait.max.ms=5",
                             "-f", "%s\n"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
def read():
    for line in consumer.stdout:
        try:
            order = json.loads(line).get("orderId") or ""
        except ValueError:
            continue
        if order.startswith("lat-") and order not in received:
            received[order] = time.monotonic()
threading.Thread(target=read, daemon=True).start()
time.sleep(4)  # kcat joins and reaches the end of each partition
producer = subprocess.Popen(["kcat", "-P", "-b", bootstrap, "-t", "order.created", "-K", "\t", "-X", "linger.ms=0", "-u"],
                            stdin=subprocess.PIPE, text=True)
# Warm-up orders are left out of the figures.
for i in range(orders + 50):
    order = "lat-%d" % i
    producer.stdin.write('%s\t{"orderId":"%s","items":[{"productId":"latency","quantity":1}]}\n' % (order, order))
    producer.stdin.flush()
    if i >= 50:
        sent[order] = time.monotonic()
    time.sleep(0.01)
producer.stdin.close()
deadline = time.monotonic() + 30
while len([o for o in sent if o in received]) < len(sent) and time.monotonic() < deadline:
    time.sleep(0.1)
consumer.terminate()
latencies = sorted((received[o] - sent[o]) * 1000 for o in sent if o in received)
if not latencies:
    print("end-to-end latency: no inventory.updated received"); sys.exit(1)
def percentile(p): return latencies[min(len(latencies) - 1, int(p / 100.0 * len(latencies)))]
print("%-52s p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d/%d orders)" % (
    "end-to-end: order.created -> inventory.updated", percentile(50), percentile(99), latencies[-1],
    len(latencies), len(sent)))
PY
