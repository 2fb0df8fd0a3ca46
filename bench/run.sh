#!/usr/bin/env bash
# bench/run.sh: the SQL benchmark behind `make bench`. Starts a throwaway PostgreSQL cluster on
# 127.0.0.1, stocks 1000 products, and measures with pgbench (-M prepared), in one run:
#   1. calls per second of
#        - a bare single-row UPDATE of a stock row (bench/sql/update.sql),
#        - the PL/pgSQL reference reserve (bench/reference_reserve.sql, bench/sql/reserve_reference.sql),
#        - the C inventory_reserve as installed (no NOTIFY) and with inventory.notify_channel set
#          (bench/sql/reserve_c.sql),
#      on random products and on one hot product, at 1, 8 and 32 clients, with the ratios C/reference,
#      C/UPDATE and the cost of notifying;
#   2. reservations per second of inventory_reserve_batch at batch sizes 1, 8, 32 and 128
#      (bench/sql/reserve_batch_one.sql, bench/sql/reserve_batch.sql), on the same workloads and
#      client counts, with the ratios to inventory_reserve and to the bare UPDATE of part 1, and the
#      flash-sale targets.
# "Random" draws from 10,000 products (a shop's catalogue, as bench/http.sh stocks): with fewer,
# concurrent batches of random products mostly wait for each other's row locks.
# Ratios, not absolute numbers, are the result. The machines are shared and noisy, and noise only
# ever slows a run down, so each row takes several short rounds of its variants, interleaved (the
# order reversed every other round), and keeps each variant's best round. The first second of every
# pgbench run is its warm-up (new backends load the library, prepare plans and fill caches) and is
# left out of its rate.
#
# Expects the extension to be installed already (`make bench` installs it first). Exits non-zero
# only when the benchmark itself fails (cluster, setup, a failed pgbench transaction, or row counts
# that show a run did not do the work it claims), never because the code is slow.
# Settings: BENCH_SECONDS (default 4) measured per pgbench run after its warm-up, BENCH_ROUNDS
# (default 2) per row, BENCH_PORT (default 25460). With the defaults the run takes about 12 minutes.
set -euo pipefail

bench_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(dirname "$bench_dir")
port=${BENCH_PORT:-25460}
seconds=${BENCH_SECONDS:-4}
rounds=${BENCH_ROUNDS:-2}
warmup_seconds=1
database=benchdb
products=10000
on_hand=1000000000
client_counts=(1 8 32)
batch_sizes=(1 8 32 128)
# The variants of a row of part 1, in the order of the table: name, pgbench script, PGOPTIONS.
variant_names=(update reference c notify)
declare -A variant_script=([update]=update [reference]=reserve_reference [c]=reserve_c [notify]=reserve_c)
declare -A variant_options=([update]='' [reference]='' [c]='' [notify]='-c inventory.notify_channel=inventory_outbox')

# pgbench may end before its last per-second progress report, so a run needs two measured seconds.
if ! [[ $seconds =~ ^[0-9]+$ && $rounds =~ ^[0-9]+$ ]] || ((seconds < 2 || rounds < 1)); then
    echo "bench: BENCH_SECONDS must be at least 2 and BENCH_ROUNDS at least 1" >&2
    exit 2
fi

cluster_dir=$(mktemp -d /tmp/pg_inventory_bench.XXXXXX)
cleanup() {
    "$repo_dir/scripts/pg-cluster.sh" stop "$cluster_dir" || true
    rm -rf "$cluster_dir" 2>/dev/null || sudo -n rm -rf "$cluster_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "bench: $*" >&2
    exit 1
}

sql() {
    timeout 300 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$database" "$@"
}

# synchronous_commit = off: the benchmark measures the code path, not this machine's fsync (the
# flash-sale scenario, bench/flash_sale.sh, measures with full durability). The large max_wal_size
# keeps checkpoints out of the runs; one is taken before every run instead.
export PG_EXTRA_CONF="synchronous_commit = off
max_wal_size = '8GB'
checkpoint_timeout = '1h'"
timeout 180 "$repo_dir/scripts/pg-cluster.sh" start "$cluster_dir" "$port" "$database" >/dev/null ||
    fail "could not start the throwaway cluster in $cluster_dir (see $cluster_dir/server.log)"

sql -f "$bench_dir/reference_reserve.sql"
sql -v products="$products" -f "$bench_dir/batch_templates.sql" >/dev/null
sql -tA >/dev/null <<SQL
SET client_min_messages = warning;
-- The reaper job has nothing to expire in a run this short; keep its minute ticks out of the numbers.
SELECT inventory_unschedule_reaper();
SELECT count(inventory_set_stock(n::text, $on_hand, 'main')) FROM generate_series(1, $products) n;
SQL

# The reference must write what inventory_reserve writes: the same filled columns in reservations
# and ledger, and the same payload fields in the outbox.
sql -tA >/dev/null \
    -c "SELECT count(*) FROM inventory_reserve('bench-parity-c', '1', 1, 'main')" \
    -c "SELECT count(*) FROM bench_reference.reserve('bench-parity-reference', '1', 1, 'main')"
mismatches=$(sql -tA <<'SQL'
WITH shapes AS (
    SELECT 'reservations' AS rows, r.order_id,
           (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(jsonb_strip_nulls(to_jsonb(r))) k) AS keys
      FROM inventory.reservations r
    UNION ALL
    SELECT 'ledger', l.order_id,
           (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(jsonb_strip_nulls(to_jsonb(l))) k)
      FROM inventory.ledger l
    UNION ALL
    SELECT 'outbox', o.payload->>'orderId',
           (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(o.payload) k)
               || ARRAY[o.aggregatetype, o.type]
      FROM inventory.outbox o)
SELECT rows FROM shapes WHERE order_id IN ('bench-parity-c', 'bench-parity-reference')
 GROUP BY rows HAVING count(*) <> 2 OR count(DISTINCT keys) <> 1;
SQL
)
[ -z "$mismatches" ] ||
    fail "the PL/pgSQL reference does not write what inventory_reserve writes in: ${mismatches//$'\n'/, }"

# reset_tables brings every run to the same start: no reservations, ledger or outbox rows, stock
# back to nothing reserved, dead rows vacuumed, and a fresh checkpoint.
reset_tables() {
    sql -c "TRUNCATE inventory.reservations, inventory.ledger, inventory.outbox" \
        -c "UPDATE inventory.stock SET reserved = 0, next_expiry = NULL" \
        -c "VACUUM (ANALYZE) inventory.stock" -c "CHECKPOINT" >/dev/null
}

# run_pgbench SCRIPT CLIENTS PGOPTIONS DEFINES...: prints the transactions per second of one
# pgbench run, averaged over its per-second progress reports after the warm-up, and its number of
# processed transactions, after checking that it had no failed transaction.
run_pgbench() {
    local script=$1 clients=$2 options=$3
    shift 3
    local output processed tps
    output=$(PGOPTIONS=$options timeout $((warmup_seconds + seconds + 120)) pgbench -n -M prepared \
        -h 127.0.0.1 -p "$port" -U postgres -c "$clients" -j $((clients < 2 ? clients : 2)) \
        -T $((warmup_seconds + seconds)) -P 1 "$@" -f "$bench_dir/sql/$script.sql" "$database" 2>&1) ||
        fail "pgbench $script with $clients clients failed:"$'\n'"$output"
    grep -q '^number of failed transactions: 0 ' <<<"$output" ||
        fail "pgbench $script with $clients clients had failed transactions:"$'\n'"$output"
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$output")
    tps=$(awk -v warmup="$warmup_seconds" '$1 == "progress:" && $2 + 0 > warmup { sum += $4; n++ }
                                             END { if (n > 0) printf "%.1f", sum / n }' <<<"$output")
    if [ -z "$processed" ] || [ -z "$tps" ]; then
        fail "could not read pgbench's result:"$'\n'"$output"
    fi
    echo "$tps $processed"
}

# require_written SCRIPT RESERVATIONS: fails unless the run wrote exactly one reservation, one
# ledger row and one outbox row per reservation it claims.
require_written() {
    local written
    written=$(sql -tA -c "SELECT (SELECT count(*) FROM inventory.reservations) || ' ' ||
                                 (SELECT count(*) FROM inventory.ledger) || ' ' ||
                                 (SELECT count(*) FROM inventory.outbox)")
    [ "$written" = "$2 $2 $2" ] ||
        fail "$1 claims $2 reservations but wrote $written reservation, ledger and outbox rows"
}

# measure SCRIPT CLIENTS PRODUCT_COUNT PGOPTIONS: prints the calls per second of one run of a
# part 1 variant.
measure() {
    local script=$1 clients=$2 product_count=$3 options=$4 result
    reset_tables
    result=$(run_pgbench "$script" "$clients" "$options" -D products="$product_count")
    [ "$script" = update ] || require_written "$script with $clients clients" "${result#* }"
    echo "${result% *}"
}

# measure_batch SIZE HOT CLIENTS: prints the reservations per second of one inventory_reserve_batch
# run. A batch of one is sent exactly as reserve_c.sql calls inventory_reserve, for comparison.
measure_batch() {
    local size=$1 hot=$2 clients=$3 result
    reset_tables
    if [ "$size" = 1 ]; then
        result=$(run_pgbench reserve_batch_one "$clients" '' -D products=$([ "$hot" = 1 ] && echo 1 || echo "$products"))
    else
        result=$(run_pgbench reserve_batch "$clients" '' -D size="$size" -D hot="$hot")
    fi
    require_written "reserve_batch size $size with $clients clients" $((${result#* } * size))
    awk -v tps="${result% *}" -v size="$size" 'BEGIN { printf "%.1f", tps * size }'
}

# best A B prints the larger of two rates.
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }

echo "pg_inventory benchmark: inventory_reserve and inventory_reserve_batch (C) against a bare UPDATE and a PL/pgSQL reference"
echo "  throwaway cluster on 127.0.0.1:$port with synchronous_commit = off (measures the code path, not fsync)"
echo "  pgbench -M prepared; per row $rounds interleaved rounds of ${warmup_seconds} s warm-up + ${seconds} s measured per variant, best round kept"
echo "  $products products with on_hand $on_hand; 1 unit per reservation, new order id per reservation"
echo "  random = any of the $products products; hot = product '1' only; tables reset before every run"
echo "  C = inventory_reserve as installed (no NOTIFY); C+N = with inventory.notify_channel set (NOTIFY per commit)"
echo

printf '%-8s %7s %9s %9s %9s %9s %8s %8s %8s\n' workload clients UPDATE PL/pgSQL C C+N \
    C/PL C/UPDATE C+N/C
declare -A calls_best
for workload in random hot; do
    product_count=$([ "$workload" = random ] && echo "$products" || echo 1)
    for clients in "${client_counts[@]}"; do
        declare -A best_rate=([update]=0 [reference]=0 [c]=0 [notify]=0)
        for ((round = 1; round <= rounds; round++)); do
            order=()
            for variant in "${variant_names[@]}"; do
                if ((round % 2 == 0)); then order=("$variant" "${order[@]}"); else order+=("$variant"); fi
            done
            for variant in "${order[@]}"; do
                rate=$(measure "${variant_script[$variant]}" "$clients" "$product_count" \
                    "${variant_options[$variant]}")
                best_rate[$variant]=$(best "${best_rate[$variant]}" "$rate")
            done
        done
        calls_best[$workload/$clients/update]=${best_rate[update]}
        calls_best[$workload/$clients/c]=${best_rate[c]}
        calls_best[$workload/$clients/notify]=${best_rate[notify]}
        awk -v w="$workload" -v n="$clients" -v u="${best_rate[update]}" -v r="${best_rate[reference]}" \
            -v c="${best_rate[c]}" -v cn="${best_rate[notify]}" 'BEGIN {
            printf "%-8s %7d %9.0f %9.0f %9.0f %9.0f %8.2f %8.2f %8.2f\n", w, n, u, r, c, cn, c / r, c / u, cn / c }'
    done
done

echo
echo "inventory_reserve_batch: reservations per second (each request one order of 1 unit)"
printf '%-8s %7s' workload clients
for size in "${batch_sizes[@]}"; do printf ' %9s' "batch $size"; done
printf ' %9s %10s %10s\n' "1/C" "best/C" "best/UPD"
declare -A batch_best
for workload in random hot; do
    hot=$([ "$workload" = hot ] && echo 1 || echo 0)
    for clients in "${client_counts[@]}"; do
        for size in "${batch_sizes[@]}"; do batch_best[$workload/$clients/$size]=0; done
        for ((round = 1; round <= rounds; round++)); do
            sizes=("${batch_sizes[@]}")
            if ((round % 2 == 0)); then sizes=($(printf '%s\n' "${batch_sizes[@]}" | tac)); fi
            for size in "${sizes[@]}"; do
                rate=$(measure_batch "$size" "$hot" "$clients")
                batch_best[$workload/$clients/$size]=$(best "${batch_best[$workload/$clients/$size]}" "$rate")
            done
        done
        line=$(printf '%-8s %7d' "$workload" "$clients")
        top=0
        for size in "${batch_sizes[@]}"; do
            line+=$(printf ' %9.0f' "${batch_best[$workload/$clients/$size]}")
            top=$(best "$top" "${batch_best[$workload/$clients/$size]}")
        done
        line+=$(awk -v one="${batch_best[$workload/$clients/1]}" -v top="$top" -v c="${calls_best[$workload/$clients/c]}" \
            -v u="${calls_best[$workload/$clients/update]}" 'BEGIN { printf " %9.2f %10.1f %10.2f", one / c, top / c, top / u }')
        echo "$line"
    done
done

# The targets of the flash-sale work, read off the tables above.
hot_best=0
random_best=0
worst_single=100
for clients in "${client_counts[@]}"; do
    for size in 32 128; do
        hot_best=$(best "$hot_best" "${batch_best[hot/$clients/$size]}")
        random_best=$(best "$random_best" "${batch_best[random/$clients/$size]}")
    done
    for workload in random hot; do
        worst_single=$(awk -v w="$worst_single" -v one="${batch_best[$workload/$clients/1]}" \
            -v c="${calls_best[$workload/$clients/c]}" 'BEGIN { r = one / c; print (r < w ? r : w) }')
    done
done
echo
awk -v hot="$hot_best" -v random="$random_best" -v single="$worst_single" 'BEGIN {
    printf "targets: one hot product %.0f reservations/s at batch 32+ (target >= 20000: %s); ", hot, (hot >= 20000 ? "met" : "MISSED")
    printf "random products %.0f (target >= 30000: %s); ", random, (random >= 30000 ? "met" : "MISSED")
    printf "batch of 1 at worst %.2f of inventory_reserve (target >= 0.90: %s)\n", single, (single >= 0.9 ? "met" : "MISSED")
}'
awk -v hot="${calls_best[hot/32/notify]}" -v hot_c="${calls_best[hot/32/c]}" \
    -v random="${calls_best[random/32/notify]}" -v random_c="${calls_best[random/32/c]}" 'BEGIN {
    printf "notifications: the default sends none (relays poll); turning NOTIFY on costs %.0f%% on one hot product and %.0f%% on random products at 32 clients\n", 100 * (1 - hot / hot_c), 100 * (1 - random / random_c)
}'
