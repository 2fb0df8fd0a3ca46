#!/usr/bin/env bash
# bench/citus.sh: `make bench-citus`, where Citus is installed in the PostgreSQL of pg_config. In one
# run, on the same machine: a throwaway PostgreSQL and a throwaway Citus cluster (a coordinator and
# two workers, distributed as docs/operations.md says), each stocked with the same products, and
# pgbench (-M prepared) against each of them with the same scripts:
#   - inventory_reserve of one hot product, 1 client (Citus: routed to the worker that holds it);
#   - inventory_reserve of random products, 8 clients (routed);
#   - inventory_reserve_order of two random products, 1 and 8 clients (Citus: on the coordinator,
#     across workers whenever the two products live on different ones).
# For each: calls per second, and the CPU time each server spent per call while the calls ran
# (from /proc, for every process of the server: backends, Citus's connections, background work).
# A routed call should cost the worker that holds the product what the same call costs one
# PostgreSQL, and the other worker nothing: the work of a single-product call stays on its shards.
# CPU time on a shared machine is noisy (and three servers share its cores), so the hot reserve is
# also counted in instructions: the server serving the calls restarted under valgrind's callgrind,
# two sessions of 200 and 600 calls after 100 warm-up calls, and the difference of the serving
# backend's instructions divided by 400 (Citus: the worker's backend for the coordinator's calls).
# A call's instructions depend on the rows its indexes hold, so they are counted first, when both
# databases hold the same rows: the products, and a history of 100 reservations of each (with
# their ledger rows and events), made by the same batches on both. The throughput rows come after,
# and leave each database with as many more rows as it served calls.
# The worker does not receive the client's statement: the coordinator sends its own text of the
# call (each argument cast, the defaults written out, the result's columns named) over TLS, as
# Citus connects to the nodes with sslmode=require. A second line of one PostgreSQL therefore runs
# that text, taken from Citus's log of its remote commands, over TLS: the same statement and
# transport as the worker's, so the two differ only by where the call runs. The first line stays
# the comparison the issue asks for: the client's call on one PostgreSQL.
# One machine cannot show Citus's scaling; the calls per second compare the coordinator's extra hop.
# Ratios are the result, not absolute numbers: each row takes BENCH_ROUNDS (default 2) interleaved
# rounds of 1 s warm-up + BENCH_SECONDS (default 5) measured, keeping the best round.
# Ports: BENCH_PORT (one PostgreSQL, default 25460), BENCH_CITUS_COORDINATOR_PORT (25720),
# BENCH_CITUS_WORKER1_PORT (25721), BENCH_CITUS_WORKER2_PORT (25722).
set -euo pipefail

bench_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(dirname "$bench_dir")
single_port=${BENCH_PORT:-25460}
export CITUS_COORDINATOR_PORT=${BENCH_CITUS_COORDINATOR_PORT:-25720}
export CITUS_WORKER1_PORT=${BENCH_CITUS_WORKER1_PORT:-25721}
export CITUS_WORKER2_PORT=${BENCH_CITUS_WORKER2_PORT:-25722}
seconds=${BENCH_SECONDS:-5}
rounds=${BENCH_ROUNDS:-2}
warmup_seconds=1
database=benchdb
products=1000
on_hand=1000000000

fail() {
    echo "bench-citus: $*" >&2
    exit 1
}
"$repo_dir/scripts/citus-cluster.sh" available ||
    fail "Citus is not installed in the PostgreSQL of $(pg_config --bindir); there is nothing to measure (docs/operations.md)"
if ! [[ $seconds =~ ^[0-9]+$ && $rounds =~ ^[0-9]+$ ]] || ((seconds < 3 || rounds < 1)); then
    fail "BENCH_SECONDS must be at least 3 and BENCH_ROUNDS at least 1"
fi

scratch=$(mktemp -d /tmp/pg_inventory_bench_citus.XXXXXX)
chmod 755 "$scratch"
cleanup() {
    "$repo_dir/scripts/citus-cluster.sh" stop "$scratch/citus" >/dev/null 2>&1 || true
    "$repo_dir/scripts/pg-cluster.sh" stop "$scratch/single" >/dev/null 2>&1 || true
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# synchronous_commit = off on every server: the code path is measured, not this machine's fsync.
conf="synchronous_commit = off
max_wal_size = '8GB'
checkpoint_timeout = '1h'"
PG_EXTRA_CONF=$conf timeout 180 "$repo_dir/scripts/pg-cluster.sh" start "$scratch/single" "$single_port" "$database" \
    >"$scratch/single.log" 2>&1 || fail "could not start one PostgreSQL (see $scratch/single.log)"
CITUS_EXTRA_CONF=$conf timeout 300 "$repo_dir/scripts/citus-cluster.sh" start "$scratch/citus" "$database" \
    >"$scratch/citus.log" 2>&1 || fail "could not start the Citus cluster: $(tail -n 5 "$scratch/citus.log")"

sql() {  # sql PORT ARGS...
    local port=$1
    shift
    timeout 600 psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$database" "$@"
}
# Each product stocked by a call of its own, so Citus routes it to the worker that holds it.
for n in $(seq 1 $((2 * products))); do echo "SELECT count(*) FROM inventory_set_stock('$n', $on_hand);"; done \
    >"$scratch/stock.sql"
for port in "$single_port" "$CITUS_COORDINATOR_PORT"; do
    sql "$port" -c "SET client_min_messages = warning" -c "SELECT inventory_unschedule_reaper()" >/dev/null
    sql "$port" -f "$scratch/stock.sql" >/dev/null
done
# The same history in both: 100 reservations of each product (a day's ttl, so none falls due during
# the run), by one batch of 50 requests per product at a time (routed on Citus).
history=100
python3 - "$products" "$history" >"$scratch/history.sql" <<'PY'
import json, sys
products, history = int(sys.argv[1]), int(sys.argv[2])
for n in range(1, 2 * products + 1):
    for batch in range(history // 50):
        requests = [{"order_id": f"history-{n}-{batch}-{i}", "ttl_seconds": 86400,
                     "lines": [{"product_id": str(n), "quantity": 1}]} for i in range(50)]
        print(f"SELECT count(*) FROM inventory_reserve_batch('{n}', '{json.dumps(requests)}');")
PY
for port in "$single_port" "$CITUS_COORDINATOR_PORT"; do
    made=$(sql "$port" -f "$scratch/history.sql" | awk '{ total += $1 } END { print total + 0 }')
    ((made == 2 * products * history)) || fail "the history on $port made $made reservations, not $((2 * products * history))"
done
node_of() {  # node_of PRODUCT: the worker port that holds it
    sql "$CITUS_COORDINATOR_PORT" -c "SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
        WHERE p.shardid = get_shard_id_for_distribution_column('inventory.stock', '$1')"
}
hot_node=$(node_of 1)

# server_ticks DIR: "pid ticks" of every process of the server on DIR (CPU ticks, user + system).
server_ticks() {
    local postmaster stat
    postmaster=$(head -n 1 "$1/data/postmaster.pid")
    for stat in /proc/[0-9]*/stat; do
        { read -r -a fields <"$stat"; } 2>/dev/null || continue
        # PostgreSQL's processes are named "postgres", so the fields do not shift
        if [ "${fields[0]}" = "$postmaster" ] || [ "${fields[3]}" = "$postmaster" ]; then
            echo "${fields[0]} $((fields[13] + fields[14]))"
        fi
    done
}

# ticks_between BEFORE AFTER: the ticks the processes spent between two server_ticks listings (a
# process that ended in between is left out; one that started counts from zero).
ticks_between() {
    awk 'NR == FNR { before[$1] = $2; next } { total += $2 - ($1 in before ? before[$1] : 0) } END { print total + 0 }' \
        <(echo "$1") <(echo "$2")
}
ticks_per_second=$(getconf CLK_TCK)
commits() { sql "$1" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$database'"; }

# run SCRIPT CLIENTS PRODUCTS PORT DIRS...: one pgbench run against PORT; prints its calls per
# second (after the warm-up) and then, per data directory in DIRS, the microseconds of CPU its server
# spent per call over the measured window.
run() {
    local script=$1 clients=$2 product_count=$3 port=$4
    shift 4
    local dirs=("$@") before=() after=() calls_before calls_after output dir i
    pgbench -n -M prepared -h 127.0.0.1 -p "$port" -U postgres -c "$clients" -j $((clients < 2 ? clients : 2)) \
        -T $((warmup_seconds + seconds)) -P 1 -D products="$product_count" -f "$bench_dir/sql/$script.sql" "$database" \
        >"$scratch/pgbench.log" 2>&1 &
    local pgbench_pid=$!
    sleep "$warmup_seconds.5"
    calls_before=$(commits "$port")
    for dir in "${dirs[@]}"; do before+=("$(server_ticks "$dir")"); done
    sleep $((seconds - 1))
    calls_after=$(commits "$port")
    for dir in "${dirs[@]}"; do after+=("$(server_ticks "$dir")"); done
    wait "$pgbench_pid" || fail "pgbench $script with $clients clients on $port failed: $(tail -n 5 "$scratch/pgbench.log")"
    output=$(cat "$scratch/pgbench.log")
    grep -q '^number of failed transactions: 0 ' <<<"$output" || fail "pgbench $script had failed transactions: $output"
    awk -v warmup="$warmup_seconds" '$1 == "progress:" && $2 + 0 > warmup { sum += $4; n++ }
                                     END { printf "%.0f", (n > 0 ? sum / n : 0) }' <<<"$output"
    for i in "${!dirs[@]}"; do
        awk -v ticks="$(ticks_between "${before[i]}" "${after[i]}")" -v calls=$((calls_after - calls_before)) -v hz="$ticks_per_second" \
            'BEGIN { printf " %.0f", (calls > 0 ? ticks * 1000000 / hz / calls : 0) }'
    done
    echo
}

# row LABEL SCRIPT CLIENTS PRODUCTS: the best of the rounds on one PostgreSQL and on Citus, interleaved.
row() {
    local label=$1 script=$2 clients=$3 product_count=$4 round single citus best_single="0 0" best_citus="0 0 0 0"
    for ((round = 1; round <= rounds; round++)); do
        single=$(run "$script" "$clients" "$product_count" "$single_port" "$scratch/single")
        citus=$(run "$script" "$clients" "$product_count" "$CITUS_COORDINATOR_PORT" "$scratch/citus/coordinator" \
            "$scratch/citus/$hot_worker" "$scratch/citus/$other_worker")
        ((${single%% *} > ${best_single%% *})) && best_single=$single
        ((${citus%% *} > ${best_citus%% *})) && best_citus=$citus
    done
    read -r s_rate s_cpu <<<"$best_single"
    read -r c_rate c_coordinator c_worker c_other <<<"$best_citus"
    printf '%-45s %7s %8s %8s %6s %7s %8s %8s %8s %10s\n' "$label" "$clients" "$s_rate" "$c_rate" \
        "$(awk -v a="$c_rate" -v b="$s_rate" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
        "$s_cpu" "$c_coordinator" "$c_worker" "$c_other" \
        "$(awk -v a="$c_worker" -v o="$c_other" -v b="$s_cpu" 'BEGIN { printf "%.2f", (b > 0 ? (a + o) / b : 0) }')"
}

if [ "$hot_node" = "$CITUS_WORKER1_PORT" ]; then
    hot_worker=worker1 other_worker=worker2
else
    hot_worker=worker2 other_worker=worker1
fi
echo "pg_inventory on Citus against one PostgreSQL, on the same machine"
echo "  $(sql "$CITUS_COORDINATOR_PORT" -c "SELECT citus_version()" | cut -d, -f1), $(pg_config --version)"
echo "  one PostgreSQL on $single_port; coordinator on $CITUS_COORDINATOR_PORT, workers on $CITUS_WORKER1_PORT and $CITUS_WORKER2_PORT"
echo "  synchronous_commit = off everywhere; pgbench -M prepared; $rounds interleaved rounds of ${warmup_seconds} s + ${seconds} s, best kept"
echo "  $((2 * products)) products with on_hand $on_hand; the hot product '1' lives on the worker on $hot_node"
echo "  (column 'worker A'), the other worker is 'worker B'"
echo "  /s: calls per second; µs: CPU time of every process of a server per call while the calls ran;"
echo "  wkrs/PG: both workers' µs per call over one PostgreSQL's"
echo "  load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) on $(nproc) cores"

# callgrind_server DATADIR PORT [SERVER_OPTIONS]: restarts the server on DATADIR under callgrind, every
# process writing its own file in $scratch/callgrind.
callgrind_server() {
    local dir=$1 port=$2 options=${3:-} i
    if (cd / && runuser -u postgres -- "$(pg_config --bindir)/pg_ctl" -D "$dir/data" status >/dev/null); then
        (cd / && runuser -u postgres -- "$(pg_config --bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null)
    fi
    rm -rf "$scratch/callgrind"
    mkdir -p "$scratch/callgrind"
    chown postgres "$scratch/callgrind"
    (cd / && runuser -u postgres -- bash -c "valgrind --tool=callgrind --callgrind-out-file=$scratch/callgrind/cg.%p \
        $(pg_config --bindir)/postgres -D $dir/data $options >$scratch/callgrind/server.log 2>&1 &")
    for i in $(seq 1 300); do
        psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d "$database" -c 'SELECT 1' >/dev/null 2>&1 && return
        sleep 1
    done
    fail "the server on $port did not start under valgrind: $(tail -n 5 "$scratch/callgrind/server.log")"
}

# The client's hot reserve; ORDER stands for each call's new order id.
client_call="SELECT count(*) FROM inventory_reserve('ORDER', '1', 1, 'main');"

# The service's routed batch: 50 requests of one reservation each, all of the hot product; ORDER-n
# stands for each request's new order id.
batch_call="SELECT count(*) FROM inventory_reserve_batch('1', '$(python3 -c 'import json; print(json.dumps(
    [{"order_id": f"ORDER-{i}", "lines": [{"product_id": "1", "quantity": 1}]} for i in range(50)]))')');"

# serving_instructions CLIENT_PORT WARMUP CALLS STATEMENT: one session of WARMUP + CALLS statements;
# prints the instructions of the backend that served them (the largest callgrind file the session
# left).
serving_instructions() {
    local port=$1 warmup=$2 calls=$3 statement=$4 before after file largest=0 total
    before=$(ls "$scratch/callgrind" | sort)
    for i in $(seq 1 $((warmup + calls))); do
        echo "${statement//ORDER/cg-$calls-$i-$RANDOM}"
    done >"$scratch/calls.sql"
    sql "$port" -f "$scratch/calls.sql" >/dev/null
    sleep 3
    after=$(ls "$scratch/callgrind" | sort)
    for file in $(comm -13 <(echo "$before") <(echo "$after") | grep '^cg\.'); do
        total=$(sed -n 's/^totals: //p' "$scratch/callgrind/$file")
        [ -n "$total" ] && ((total > largest)) && largest=$total
    done
    echo "$largest"
}

# instructions_per_call DATADIR SERVER_PORT CLIENT_PORT [STATEMENT [SERVER_OPTIONS]]: the serving
# backend's instructions per call: 400 calls after 100 warm-up ones (batches: 40 after 10).
instructions_per_call() {
    local dir=$1 server_port=$2 client_port=$3 statement=${4:-$client_call} options=${5:-} scale=1 short long
    [ "$statement" = "$batch_call" ] && scale=10
    callgrind_server "$dir" "$server_port" "$options"
    short=$(serving_instructions "$client_port" $((100 / scale)) $((200 / scale)) "$statement")
    long=$(serving_instructions "$client_port" $((100 / scale)) $((600 / scale)) "$statement")
    (cd / && runuser -u postgres -- "$(pg_config --bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null)
    echo $(((long - short) / (400 / scale)))
}

# worker_statement: the text of the hot reserve that the coordinator sends to the worker.
worker_statement() {
    local text
    text=$(sql "$CITUS_COORDINATOR_PORT" -c "SET citus.log_remote_commands = on" -c "SET client_min_messages = log" \
        -c "${client_call//ORDER/cg-worker-statement}" 2>&1 >/dev/null | sed -n 's/^[A-Z]*:  issuing //p' | head -n 1)
    [[ $text == *"'cg-worker-statement'"* ]] || fail "could not read the statement Citus sends to the worker: $text"
    echo "${text//cg-worker-statement/ORDER};"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

sent_statement=$(worker_statement)
single_instructions=$(instructions_per_call "$scratch/single" "$single_port" "$single_port")
worker_port=$hot_node
worker_instructions=$(instructions_per_call "$scratch/citus/$hot_worker" "$worker_port" "$CITUS_COORDINATOR_PORT")
# The worker's certificate (made by CREATE EXTENSION citus) serves one PostgreSQL's TLS.
tls="-c ssl=on -c ssl_cert_file=$scratch/citus/$hot_worker/data/server.crt -c ssl_key_file=$scratch/citus/$hot_worker/data/server.key"
single_sent_instructions=$(PGSSLMODE=require instructions_per_call "$scratch/single" "$single_port" "$single_port" \
    "$sent_statement" "$tls")
single_batch_instructions=$(instructions_per_call "$scratch/single" "$single_port" "$single_port" "$batch_call")
worker_batch_instructions=$(instructions_per_call "$scratch/citus/$hot_worker" "$worker_port" "$CITUS_COORDINATOR_PORT" \
    "$batch_call")
echo
echo "instructions on the server that runs the call (callgrind), both databases holding the same rows:"
echo "$((2 * products)) products and $((2 * products * history)) reservations, with their ledger rows and events"
echo "per hot reserve (inventory_reserve, 400 calls after 100 warm-up):"
printf '  one PostgreSQL %9s  (the client'"'"'s call)\n' "$single_instructions"
printf '  Citus worker A %9s  (%s of one PostgreSQL; the call routed by the coordinator)\n' \
    "$worker_instructions" "$(ratio "$worker_instructions" "$single_instructions")"
printf '  one PostgreSQL %9s  (sent what the worker receives: Citus'"'"'s text of the call, over TLS;\n' \
    "$single_sent_instructions"
printf '                            worker A is %s of it)\n' "$(ratio "$worker_instructions" "$single_sent_instructions")"
echo "instructions per batch of 50 reservations of the hot product (inventory_reserve_batch, as the service sends it;"
echo "40 batches after 10 warm-up):"
printf '  one PostgreSQL %9s  (%s a reservation)\n' "$single_batch_instructions" $((single_batch_instructions / 50))
printf '  Citus worker A %9s  (%s a reservation; %s of one PostgreSQL; the batch routed by the coordinator)\n' \
    "$worker_batch_instructions" $((worker_batch_instructions / 50)) "$(ratio "$worker_batch_instructions" "$single_batch_instructions")"
for dir in "$scratch/single" "$scratch/citus/$hot_worker"; do
    (cd / && runuser -u postgres -- "$(pg_config --bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start >/dev/null) ||
        fail "could not start the server on $dir again after counting instructions"
done
echo
printf '%-45s %7s %8s %8s %6s %7s %8s %8s %8s %10s\n' workload clients "PG/s" "Citus/s" ratio \
    "PG µs" "coord µs" "wkr A µs" "wkr B µs" "wkrs/PG"
row "reserve, hot product (routed to worker A)" reserve_c 1 1
row "reserve, random products (routed)" reserve_c 8 "$products"
row "order of two random products (coordinator)" order_two 1 "$products"
row "order of two random products (coordinator)" order_two 8 "$products"

echo "  load after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
