#!/usr/bin/env bash
# bench/run.sh: the SQL benchmark behind `make bench`. Starts a throwaway PostgreSQL cluster on
# 127.0.0.1, stocks 1000 products, and measures with pgbench (-M prepared), in one run, the
# transactions per second of
#   - a bare single-row UPDATE of a stock row (bench/sql/update.sql),
#   - the PL/pgSQL reference reserve (bench/reference_reserve.sql, bench/sql/reserve_reference.sql),
#   - the C inventory_reserve with its default NOTIFY and with inventory.notify_channel = ''
#     (bench/sql/reserve_c.sql),
# on random products and on one hot product, at 1, 8 and 32 clients, and prints them with the
# ratios C/reference and C/UPDATE. Ratios, not absolute numbers, are the result. The machines are
# shared and noisy, and noise only ever slows a run down, so each row takes several short rounds of
# the four variants, interleaved (the order reversed every other round), and keeps each variant's
# best round. The first second of every pgbench run is its warm-up (new backends load the library,
# prepare plans and fill caches) and is left out of its tps.
#
# Expects the extension to be installed already (`make bench` installs it first). Exits non-zero
# only when the benchmark itself fails (cluster, setup, a failed pgbench transaction, or row counts
# that show a run did not do the work it claims), never because the C code is slow.
# Settings: BENCH_SECONDS (default 4) measured per pgbench run after its warm-up, BENCH_ROUNDS
# (default 2) per row, BENCH_PORT (default 55460). With the defaults the run takes about 5 minutes.
set -euo pipefail

bench_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(dirname "$bench_dir")
port=${BENCH_PORT:-55460}
seconds=${BENCH_SECONDS:-4}
rounds=${BENCH_ROUNDS:-2}
warmup_seconds=1
database=benchdb
products=1000
on_hand=1000000000
client_counts=(1 8 32)
# The variants of a row, in the order of the table: name, pgbench script, PGOPTIONS.
variant_names=(update reference notify quiet)
declare -A variant_script=([update]=update [reference]=reserve_reference [notify]=reserve_c [quiet]=reserve_c)
declare -A variant_options=([update]='' [reference]='' [notify]='' [quiet]='-c inventory.notify_channel=')

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

# synchronous_commit = off: the benchmark measures the code path, not this machine's fsync. The
# large max_wal_size keeps checkpoints out of the runs; one is taken before every run instead.
export PG_EXTRA_CONF="synchronous_commit = off
max_wal_size = '8GB'
checkpoint_timeout = '1h'"
timeout 180 "$repo_dir/scripts/pg-cluster.sh" start "$cluster_dir" "$port" "$database" >/dev/null ||
    fail "could not start the throwaway cluster in $cluster_dir (see $cluster_dir/server.log)"

sql -f "$bench_dir/reference_reserve.sql"
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
        -c "UPDATE inventory.stock SET reserved = 0" \
        -c "VACUUM (ANALYZE) inventory.stock" -c "CHECKPOINT" >/dev/null
}

# measure SCRIPT CLIENTS PRODUCT_COUNT PGOPTIONS: prints the tps of one pgbench run, averaged over
# its per-second progress reports after the warm-up, after checking that it had no failed transaction and, for a reserve script, that every transaction
# wrote exactly one reservation, one ledger row and one outbox row.
measure() {
    local script=$1 clients=$2 product_count=$3 options=$4
    local output processed tps written

    reset_tables
    output=$(PGOPTIONS=$options timeout $((warmup_seconds + seconds + 120)) pgbench -n -M prepared \
        -h 127.0.0.1 -p "$port" -U postgres -c "$clients" -j $((clients < 2 ? clients : 2)) \
        -T $((warmup_seconds + seconds)) -P 1 -D products="$product_count" -f "$bench_dir/sql/$script.sql" "$database" 2>&1) ||
        fail "pgbench $script with $clients clients failed:"$'\n'"$output"
    grep -q '^number of failed transactions: 0 ' <<<"$output" ||
        fail "pgbench $script with $clients clients had failed transactions:"$'\n'"$output"
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$output")
    tps=$(awk -v warmup="$warmup_seconds" '$1 == "progress:" && $2 + 0 > warmup { sum += $4; n++ }
                                             END { if (n > 0) printf "%.1f", sum / n }' <<<"$output")
    if [ -z "$processed" ] || [ -z "$tps" ]; then
        fail "could not read pgbench's result:"$'\n'"$output"
    fi
    if [ "$script" != update ]; then
        written=$(sql -tA -c "SELECT (SELECT count(*) FROM inventory.reservations) || ' ' ||
                                     (SELECT count(*) FROM inventory.ledger) || ' ' ||
                                     (SELECT count(*) FROM inventory.outbox)")
        [ "$written" = "$processed $processed $processed" ] ||
            fail "$script with $clients clients processed $processed transactions but wrote $written reservation, ledger and outbox rows"
    fi
    echo "$tps"
}

echo "pg_inventory benchmark: inventory_reserve (C) against a bare UPDATE and a PL/pgSQL reference"
echo "  throwaway cluster on 127.0.0.1:$port with synchronous_commit = off (measures the code path, not fsync)"
echo "  pgbench -M prepared; per row $rounds interleaved rounds of ${warmup_seconds} s warm-up + ${seconds} s measured per variant, best round kept"
echo "  $products products with on_hand $on_hand; 1 unit per call, new order id per call"
echo "  random = any of the $products products; hot = product '1' only; tables reset before every run"
echo "  C+N = inventory_reserve with its default NOTIFY; C = with inventory.notify_channel = '' (no NOTIFY, like the reference)"
echo

printf '%-8s %7s %9s %9s %9s %9s %8s %8s %8s  %s\n' workload clients UPDATE PL/pgSQL C+N C \
    C+N/PL C/PL C/UPDATE 'C >= PL/pgSQL'
results=()
declare -A best
for workload in random hot; do
    product_count=$([ "$workload" = random ] && echo "$products" || echo 1)
    for clients in "${client_counts[@]}"; do
        best=([update]=0 [reference]=0 [notify]=0 [quiet]=0)
        for ((round = 1; round <= rounds; round++)); do
            order=()
            for variant in "${variant_names[@]}"; do
                if ((round % 2 == 0)); then order=("$variant" "${order[@]}"); else order+=("$variant"); fi
            done
            for variant in "${order[@]}"; do
                tps=$(measure "${variant_script[$variant]}" "$clients" "$product_count" \
                    "${variant_options[$variant]}")
                best[$variant]=$(awk -v a="${best[$variant]}" -v b="$tps" 'BEGIN { print (b > a ? b : a) }')
            done
        done
        row="$workload $clients ${best[update]} ${best[reference]} ${best[notify]} ${best[quiet]}"
        results+=("$row")
        awk '{
            held = ($6 >= $4 ? "yes" : "NO") " (C+N: " ($5 >= $4 ? "yes" : "NO") ")"
            printf "%-8s %7d %9.0f %9.0f %9.0f %9.0f %8.2f %8.2f %8.2f  %s\n",
                   $1, $2, $3, $4, $5, $6, $5 / $4, $6 / $4, $6 / $3, held
        }' <<<"$row"
    done
done

printf '%s\n' "${results[@]}" | awk '
    { rows++; held += ($6 >= $4); held_notify += ($5 >= $4)
      log_quiet += log($6 / $4); log_notify += log($5 / $4); log_update += log($6 / $3) }
    END {
        printf "\nsummary: C >= PL/pgSQL reference in %d of %d rows without NOTIFY, %d of %d with NOTIFY;", held, rows, held_notify, rows
        printf " geometric means C/PL %.2f, C+N/PL %.2f, C/UPDATE %.2f\n", exp(log_quiet / rows), exp(log_notify / rows), exp(log_update / rows)
    }'
