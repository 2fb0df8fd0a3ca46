#!/usr/bin/env bash
# bench/http.sh (part of make bench): wrk against inventory-svc on loopback. Starts its own
# PostgreSQL (.bench/http-pg, port 55475) and service, loads 10,000 products, then measures
# GET /health (the HTTP floor), GET /v1/stock/{id} and POST /v1/reservations on random products and
# on one hot product, each with and without a "Connection: keep-alive" header, and prints requests/s,
# p50 and p99 with the ratio to /health in the same header mode. Bounded: about 2 minutes.
#   env: INVENTORY_SVC_BIN, BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_THREADS (2)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
binary=$(realpath -m "${INVENTORY_SVC_BIN:-$repo/build/frontend/inventory-svc}")
seconds=${BENCH_SECONDS:-5}
connections=${BENCH_CONNECTIONS:-32}
threads=${BENCH_THREADS:-2}
work=${BENCH_SCRATCH_DIR:-$repo/.bench}/http
pg_dir=${BENCH_SCRATCH_DIR:-$repo/.bench}/http-pg
pg_port=55475
products=10000
service_pid=""

command -v wrk >/dev/null || { echo "bench/http.sh: wrk is required (apt-get install wrk)" >&2; exit 1; }
[ -x "$binary" ] || { echo "bench/http.sh: build the service first ($binary)" >&2; exit 1; }

cleanup() {
    [ -n "$service_pid" ] && kill -TERM "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
    "$repo/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
}
trap cleanup EXIT

mkdir -p "$work" "$pg_dir"
PG_FSYNC=off "$repo/scripts/pg-cluster.sh" start "$pg_dir" "$pg_port" benchdb >/dev/null

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

# Every run starts from the same stock: 10,000 products plus one hot product, each with plenty.
{
    echo "product_id,on_hand"
    for i in $(seq $products); do echo "bench-$i,1000000000"; done
    echo "hot,1000000000"
} >"$work/stock.csv"
curl -sf -H 'Content-Type: text/csv' --data-binary @"$work/stock.csv" "$base/v1/stock/import" >/dev/null

cat >"$work/get_random.lua" <<EOF
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v1/stock/bench-" .. math.random(1, $products))
end
EOF
cat >"$work/post.lua" <<'EOF'
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
EOF
sed -i "s/PRODUCTS/$products/" "$work/post.lua"

# run NAME PATH [wrk args...]: prints "NAME rps p50 p99 non2xx".
run() {
    local name=$1 path=$2
    shift 2
    local output
    output=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 5s --latency "$base$path" "$@" 2>&1)
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$output")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$output")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$output")
    errors=$(awk '/Non-2xx/ {print $NF}' <<<"$output")
    echo "$name ${rps:-0} ${p50:-?} ${p99:-?} ${errors:-0}"
}

results=$work/results.txt
: >"$results"
for mode in none keep-alive; do
    header=()
    [ "$mode" = keep-alive ] && header=(-H "Connection: keep-alive")
    echo "running ($mode): /health, stock random, stock hot, reserve random, reserve hot (${seconds}s each)" >&2
    {
        run "$mode GET_/health" /health "${header[@]}"
        run "$mode GET_/v1/stock/{id}_random" / -s "$work/get_random.lua" "${header[@]}"
        run "$mode GET_/v1/stock/{id}_hot" /v1/stock/hot "${header[@]}"
        run "$mode POST_/v1/reservations_random" / -s "$work/post.lua" "${header[@]}" -- random "r$$-$mode"
        run "$mode POST_/v1/reservations_hot" / -s "$work/post.lua" "${header[@]}" -- hot "h$$-$mode"
    } >>"$results"
done

echo
echo "inventory-svc HTTP benchmark: wrk -t$threads -c$connections -d${seconds}s on loopback, $(nproc) cores shared"
awk '
    { mode = $1; if ($2 == "GET_/health") floor[mode] = $3; rows[NR] = $0 }
    END {
        printf "%-11s %-34s %12s %10s %10s %9s %8s\n", "connection", "route", "requests/s", "p50", "p99", "vs health", "non-2xx"
        for (i = 1; i <= NR; i++) {
            split(rows[i], f, " ")
            name = f[2]; gsub("_", " ", name)
            ratio = floor[f[1]] > 0 ? f[3] / floor[f[1]] : 0
            printf "%-11s %-34s %12.0f %10s %10s %8.2fx %8s\n", (f[1] == "none" ? "(no header)" : "keep-alive"), name, f[3], f[4], f[5], ratio, f[6]
        }
    }' "$results"
