#!/usr/bin/env bash
# bench/http.sh (part of make bench): wrk against inventory-svc on loopback, with the database's
# default durability (fsync and synchronous_commit on). Starts its own PostgreSQL (port
# BENCH_HTTP_PG_PORT, default 25475) and service, loads 10,000 products plus one hot product, then,
# for each connection count (32 and 256), measures
#   GET /health (the HTTP floor of the run), GET /v1/stock/{id} on random products,
#   POST /v1/reservations on random products and on the hot product,
#   and GET /v1/stock/hot while the hot product is being reserved: two wrk runs at once, the
#   reservations with the connection count, the reads by BENCH_READ_CONNECTIONS (8) shoppers who
#   each pause BENCH_READ_PAUSE_MS (2) between reads (a paced load, a few thousand reads/s, rather
#   than readers that take every cycle the reservations leave),
# and prints requests/s, p50 and p99 with the ratio to /health at the same connection count, then
# how the reservations were batched. Bounded: about 2 minutes.
#   env: INVENTORY_SVC_BIN, BENCH_SECONDS (5), BENCH_CONNECTIONS ("32 256"), BENCH_THREADS (2),
#        BENCH_READ_CONNECTIONS (8), BENCH_READ_PAUSE_MS (2), BENCH_SERVICE_THREADS (4), BENCH_POOL_SIZE (8),
#        BENCH_HTTP_PG_PORT (25475); other service settings (RESERVATION_LANES, ...) pass through.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
seconds=${BENCH_SECONDS:-5}
read -r -a connection_counts <<<"${BENCH_CONNECTIONS:-32 256}"
threads=${BENCH_THREADS:-2}
read_connections=${BENCH_READ_CONNECTIONS:-8}
read_pause_ms=${BENCH_READ_PAUSE_MS:-2}
work=${BENCH_SCRATCH_DIR:-$repo/.bench}/http
pg_dir=${BENCH_SCRATCH_DIR:-$repo/.bench}/http-pg
pg_port=${BENCH_HTTP_PG_PORT:-25475}
products=10000
service_pid=""

command -v wrk >/dev/null || { echo "bench/http.sh: wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -x "$binary" ] || { echo "bench/http.sh: build the service first ($binary)" >&2; exit 1; }

cleanup() {
    [ -n "$service_pid" ] && kill -TERM "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A fresh cluster every run: the reservations, ledger and events of earlier runs (about 170,000 of
# each per run) would otherwise pile up and slow every later run's figures.
"$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
rm -rf "$pg_dir"
mkdir -p "$work" "$pg_dir"
"$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" benchdb >/dev/null
durability=$(psql -X -At -h 127.0.0.1 -p "$pg_port" -U postgres -d benchdb \
    -c "SELECT 'fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit')")

AUTH_MODE=off DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/benchdb" HTTP_HOST=127.0.0.1 HTTP_PORT=0 \
    HTTP_THREADS=${BENCH_SERVICE_THREADS:-4} DB_POOL_SIZE=${BENCH_POOL_SIZE:-8} "$binary" >"$work/service.log" 2>&1 &
service_pid=$!
port=""
for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$work/service.log" | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/service.log"; exit 1; }
base=http://127.0.0.1:$port

# Every run starts from the same stock: 10,000 products plus one hot product, each with plenty,
# imported 1,000 rows per request (each import is one transaction, within the statement timeout).
for first in $(seq 1 1000 $products); do
    {
        echo "product_id,on_hand"
        for i in $(seq "$first" $((first + 999))); do echo "bench-$i,1000000000"; done
        [ "$first" = 1 ] && echo "hot,1000000000"
    } >"$work/stock.csv"
    curl -sf -H 'Content-Type: text/csv' --data-binary @"$work/stock.csv" "$base/v1/stock/import" >/dev/null
done

cat >"$work/get_random.lua" <<LUA
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/stock/bench-" .. math.random(1, $products))
end
LUA
cat >"$work/get_paced.lua" <<LUA
-- A shopper: reads the hot product, pauses, reads again.
request = function()
  return wrk.format("GET", "/v1/stock/hot")
end
delay = function()
  return $read_pause_ms
end
LUA
cat >"$work/post.lua" <<'LUA'
-- Each request reserves one unit for a new order (run tag, thread, counter), so every call is real work.
local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("thread_id", threads_made)
end
local counter = 0
function init(args)
  product_mode = args[1]
  run_tag = args[2]
  math.randomseed(os.time() + thread_id)
end
request = function()
  counter = counter + 1
  local product = product_mode == "hot" and "hot" or ("bench-" .. math.random(1, PRODUCTS))
  local body = '{"order_id":"' .. run_tag .. '-' .. thread_id .. '-' .. counter .. '","lines":[{"product_id":"' .. product .. '","quantity":1}]}'
  return wrk.format("POST", "/v1/reservations", {["Content-Type"] = "application/json"}, body)
end
LUA
sed -i "s/PRODUCTS/$products/" "$work/post.lua"

# summarize NAME CONNECTIONS WRK_OUTPUT: prints "CONNECTIONS NAME rps p50 p99 non2xx load", load
# being the 1-minute load average when the run ended (other work on the machine shows there).
summarize() {
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$3")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$3")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$3")
    errors=$(awk '/Non-2xx/ {print $NF}' <<<"$3")
    echo "$2 $1 ${rps:-0} ${p50:-?} ${p99:-?} ${errors:-0} $(cut -d' ' -f1 /proc/loadavg)"
}
# measure CONNECTIONS PATH [wrk args...]: one wrk run.
measure() {
    local connections=$1 path=$2
    shift 2
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s --latency "$base$path" "$@" 2>&1
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=$work/results.txt
: >"$results"
for connections in "${connection_counts[@]}"; do
    echo "running with $connections connections: /health, stock random, reserve random, reserve hot, reserve hot + stock hot (${seconds}s each)" >&2
    summarize GET_/health "$connections" "$(measure "$connections" /health)" >>"$results"
    summarize GET_/v1/stock/{id}_random "$connections" "$(measure "$connections" / -s "$work/get_random.lua")" >>"$results"
    summarize POST_/v1/reservations_random "$connections" \
        "$(measure "$connections" / -s "$work/post.lua" -- random "r$$-$connections")" >>"$results"
    summarize POST_/v1/reservations_hot "$connections" \
        "$(measure "$connections" / -s "$work/post.lua" -- hot "h$$-$connections")" >>"$results"
    measure "$connections" / -s "$work/post.lua" -- hot "hr$$-$connections" >"$work/hot-under-reads.txt" &
    writer=$!
    reads=$(wrk -t1 -c"$read_connections" -d"${seconds}s" --timeout 10s --latency -s "$work/get_paced.lua" "$base/" 2>&1)
    wait "$writer"
    summarize "POST_/v1/reservations_hot_(with_readers)" "$connections" "$(cat "$work/hot-under-reads.txt")" >>"$results"
    summarize "GET_/v1/stock/hot_(${read_connections}_shoppers,_during_hot_reserve)" "$connections" "$reads" >>"$results"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
metrics=$(curl -s "$base/metrics")
batches=$(awk '$1 == "inventory_reservation_batch_size_count" {print $2}' <<<"$metrics")
batched=$(awk '$1 == "inventory_reservation_batch_size_sum" {print $2}' <<<"$metrics")
shed=$(awk '/^inventory_reservation_requests_shed_total/ {sum += $2} END {print sum + 0}' <<<"$metrics")

echo
echo "inventory-svc HTTP benchmark: wrk -t$threads -d${seconds}s on loopback, $(nproc) cores shared; PostgreSQL $durability;"
echo "service HTTP_THREADS=${BENCH_SERVICE_THREADS:-4} DB_POOL_SIZE=${BENCH_POOL_SIZE:-8}; load average before $load_before, after $load_after"
awk '
    { if ($2 == "GET_/health") floor[$1] = $3; rows[NR] = $0 }
    END {
        printf "%5s %-52s %12s %10s %10s %9s %8s %6s\n", "conns", "route", "requests/s", "p50", "p99", "vs health", "non-2xx", "load"
        for (i = 1; i <= NR; i++) {
            split(rows[i], f, " ")
            name = f[2]; gsub("_", " ", name)
            ratio = floor[f[1]] > 0 ? f[3] / floor[f[1]] : 0
            printf "%5s %-52s %12.0f %10s %10s %8.2fx %8s %6s\n", f[1], name, f[3], f[4], f[5], ratio, f[6], f[7]
        }
    }' "$results"
if [ -n "$batches" ] && [ "$batches" != 0 ]; then
    awk -v b="$batches" -v r="$batched" -v s="$shed" \
        'BEGIN { printf "reservations: %d requests in %d inventory_reserve_batch calls (%.1f per batch); %d shed\n", r, b, r / b, s }'
fi
