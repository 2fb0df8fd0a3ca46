#!/usr/bin/env bash
# bench/flash_sale.sh (part of make bench): a shop's worst day, with default durability (fsync and
# synchronous_commit on). Starts its own PostgreSQL on 127.0.0.1 and runs:
#   1. The sale: one product with 10,000 units; 32 pgbench clients buy 1 or 2 units per order in
#      batches of 16 orders (inventory_reserve_batch) until it is sold out; a fifth of the orders
#      have a 1-second ttl and are never paid, so their units expire and are sold again (expired on
#      the spot when the stock runs short). A reader reads the product's stock all along. Reports
#      time to sell out, reservations/s, units reclaimed by expiry, units oversold (must be 0) and
#      the read latency p50/p99 during the sale.
#   2. Reads after a burst: 100,000 reservations on one product in batches of 64 (8 clients) while
#      one reader reads that product and another reads a fresh product, both all along and for 5 s
#      after; reports the reads' rate and p50/p99 during and after the burst, and the hot/fresh
#      ratios (target: within 2x).
# Bounded: every load is a pgbench run with a time or transaction limit; the whole run takes about
# 2 minutes. Exits non-zero only when the benchmark itself fails or stock is oversold.
#   env: BENCH_FLASH_PORT (25465)
set -euo pipefail

bench_dir=$(cd "$(dirname "$0")" && pwd)
repo_dir=$(dirname "$bench_dir")
port=${BENCH_FLASH_PORT:-25465}
database=flashdb
units=10000
cluster_dir=$(mktemp -d /tmp/pg_inventory_flash.XXXXXX)
chmod 755 "$cluster_dir"
work=$cluster_dir/work
mkdir -p "$work"

cleanup() {
    "$repo_dir/scripts/pg-cluster.sh" stop "$cluster_dir/pg" >/dev/null 2>&1 || true
    rm -rf "$cluster_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "bench: $*" >&2
    exit 1
}
sql() { timeout 300 psql -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$database" "$@"; }
bench() { timeout 300 pgbench -n -M prepared -h 127.0.0.1 -p "$port" -U postgres "$@" "$database"; }

# Default durability: fsync and synchronous_commit on. Checkpoints are spread out of the way.
PG_FSYNC=on PG_EXTRA_CONF="max_wal_size = '8GB'" timeout 180 "$repo_dir/scripts/pg-cluster.sh" start \
    "$cluster_dir/pg" "$port" "$database" >/dev/null || fail "could not start the cluster in $cluster_dir"
[ "$(sql -c "SHOW fsync")/$(sql -c "SHOW synchronous_commit")" = on/on ] || fail "durability is not the default"
sql -c "SET client_min_messages = warning" -c "SELECT inventory_unschedule_reaper()" >/dev/null

# latency_summary LOG... FROM TO: "rate p50 p99" (reads/s, ms) of the transactions in pgbench -l
# logs that started between epoch seconds FROM and TO.
latency_summary() {
    local logs=("${@:1:$#-2}") from=${*: -2:1} to=${*: -1}
    awk -v from="$from" -v to="$to" '{ t = $5 + $6 / 1e6 - $3 / 1e6; if (t >= from && t <= to) print $3 / 1000 }' "${logs[@]}" |
        sort -n | awk -v span="$(echo "$to - $from" | bc)" '{ v[NR] = $1 } END {
            if (NR == 0) { print "0 - -"; exit }
            printf "%.0f %.2f %.2f\n", NR / span, v[int(NR * 0.5) + (NR * 0.5 > int(NR * 0.5))], v[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))] }'
}

cat >"$work/read.sql" <<'EOF'
SELECT available FROM inventory_stock_levels WHERE product_id = :product;
EOF

# read_until STOP_FILE PRODUCT LOG_PREFIX: reads the product's stock in 2-second pgbench runs (each
# ends by itself and writes its whole latency log) until the stop file exists.
read_until() {
    local run=0
    until [ -f "$1" ]; do
        run=$((run + 1))
        bench -c 1 -T 2 -l --log-prefix="$3.$run" -D product="$2" -f "$work/read.sql" >/dev/null 2>&1 || return 1
    done
}

# 1. The sale --------------------------------------------------------------------------------------

sql >/dev/null <<SQL
SELECT inventory_set_stock('flash', $units);
CREATE SCHEMA flash;
-- 50 batches of 16 orders of 1 or 2 units; '{o}' is the call's order prefix. A fifth of the orders
-- live 1 second (never paid); the others hold their units for the default ttl.
CREATE TABLE flash.batches AS
SELECT template, (SELECT jsonb_agg(jsonb_build_object(
           'order_id', '{o}-' || n,
           'ttl_seconds', CASE WHEN random() < 0.2 THEN 1 END,
           'lines', jsonb_build_array(jsonb_build_object('product_id', 'flash',
                                                         'quantity', 1 + (random() < 0.5)::int))))::text
                    FROM generate_series(1, 16) n WHERE template > 0) AS requests
  FROM generate_series(1, 50) template;
SQL
cat >"$work/buy.sql" <<'EOF'
\set template random(1, 50)
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve_batch(
    (SELECT replace(requests, '{o}', :order::text)::jsonb FROM flash.batches WHERE template = :template));
EOF
bench -c 1 -T 25 -l --log-prefix="$work/sale_read" -D product=flash -f "$work/read.sql" >/dev/null 2>&1 &
reader=$!
sleep 1
bench -c 32 -j 2 -T 20 -f "$work/buy.sql" >"$work/buy.log" 2>&1 || fail "the buyers failed: $(tail -n 5 "$work/buy.log")"
wait "$reader" || fail "the sale's reader failed"
grep -q '^number of failed transactions: 0 ' "$work/buy.log" || fail "buyers' transactions failed: $(grep failed "$work/buy.log")"

read -r first rush_end rush last reservations expired oversold long_units <<<"$(sql -F ' ' <<'SQL'
WITH first_sold_out AS (
    SELECT min(created_at) AS at FROM inventory.ledger
     WHERE product_id = 'flash' AND reason = 'reserve' AND on_hand_after = reserved_after)
SELECT extract(epoch FROM min(l.created_at)),
       extract(epoch FROM (SELECT at FROM first_sold_out)),
       count(*) FILTER (WHERE l.created_at <= (SELECT at FROM first_sold_out)),
       extract(epoch FROM max(l.created_at) FILTER (WHERE r.status = 'active' AND r.expires_at > now() + interval '1 minute')),
       count(*) FILTER (WHERE l.reason = 'reserve'),
       (SELECT coalesce(sum(quantity), 0) FROM inventory.reservations WHERE product_id = 'flash' AND status = 'expired'),
       (SELECT greatest(reserved - on_hand, 0) + greatest((SELECT coalesce(sum(quantity), 0) FROM inventory.reservations
                 WHERE product_id = 'flash' AND status IN ('active', 'confirmed')) - on_hand, 0)
          FROM inventory.stock WHERE product_id = 'flash'),
       (SELECT coalesce(sum(quantity), 0) FROM inventory.reservations
         WHERE product_id = 'flash' AND status = 'active' AND expires_at > now() + interval '1 minute')
  FROM inventory.ledger l LEFT JOIN inventory.reservations r ON r.id = l.reservation_id
 WHERE l.product_id = 'flash' AND l.reason = 'reserve';
SQL
)"
[ "$long_units" = "$units" ] || fail "the sale did not sell out within its 20 s: $long_units of $units units held by paid orders"
sale_seconds=$(echo "$last - $first" | bc)
rush_seconds=$(echo "$rush_end - $first" | bc)
read -r sale_reads sale_p50 sale_p99 <<<"$(latency_summary "$work"/sale_read.* "$first" "$last")"

echo "flash sale, default durability (fsync on, synchronous_commit on): $units units of one product,"
echo "  32 clients, batches of 16 orders of 1-2 units, a fifth of the orders never paid (1 s ttl)"
awk -v s="$sale_seconds" -v rs="$rush_seconds" -v rush="$rush" -v r="$reservations" -v e="$expired" -v o="$oversold" \
    -v rr="$sale_reads" -v p50="$sale_p50" -v p99="$sale_p99" 'BEGIN {
    printf "  first sold out after %.2f s: %d reservations, %.0f reservations/s\n", rs, rush, rush / rs
    printf "  sold out for good after %.2f s (unpaid units expire after 1 s, on the spot, and sell again): %d reservations,\n", s, r
    printf "  %d units reclaimed by expiry, %d units oversold\n", e, o
    printf "  reads of the product during the sale: %s/s, p50 %s ms, p99 %s ms\n", rr, p50, p99 }'
[ "$oversold" = 0 ] || fail "stock was oversold by $oversold units"

# 2. Reads during and after 100,000 reservations on one product --------------------------------------

sql >/dev/null <<'SQL'
SELECT inventory_set_stock('burst', 1000000000);
SELECT inventory_set_stock('fresh', 1000000000);
CREATE TABLE flash.burst AS
SELECT template, (SELECT jsonb_agg(jsonb_build_object('order_id', '{o}-' || n,
           'lines', jsonb_build_array(jsonb_build_object('product_id', 'burst', 'quantity', 1))))::text
                    FROM generate_series(1, 64) n WHERE template > 0) AS requests
  FROM generate_series(1, 10) template;
SQL
cat >"$work/burst.sql" <<'EOF'
\set template random(1, 10)
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve_batch(
    (SELECT replace(requests, '{o}', :order::text)::jsonb FROM flash.burst WHERE template = :template));
EOF
read_until "$work/burst_done" burst "$work/hot_read" &
hot_reader=$!
read_until "$work/burst_done" fresh "$work/fresh_read" &
fresh_reader=$!
sleep 1
burst_start=$(date +%s.%N)
bench -c 8 -j 2 -t 196 -f "$work/burst.sql" >"$work/burst.log" 2>&1 || fail "the burst failed: $(tail -n 5 "$work/burst.log")"
burst_end=$(date +%s.%N)
touch "$work/burst_done"
wait "$hot_reader" "$fresh_reader" || fail "a reader failed during the burst"
after_start=$(date +%s.%N)
bench -c 1 -T 5 -l --log-prefix="$work/hot_after" -D product=burst -f "$work/read.sql" >/dev/null 2>&1 &
hot_reader=$!
bench -c 1 -T 5 -l --log-prefix="$work/fresh_after" -D product=fresh -f "$work/read.sql" >/dev/null 2>&1 &
fresh_reader=$!
wait "$hot_reader" "$fresh_reader" || fail "a reader failed after the burst"
after_end=$(date +%s.%N)
burst_reservations=$(sql -c "SELECT count(*) FROM inventory.reservations WHERE product_id = 'burst'")
[ "$burst_reservations" -ge 100000 ] || fail "the burst made $burst_reservations reservations, not 100,000"

read -r hot_during hot_during_p50 hot_during_p99 <<<"$(latency_summary "$work"/hot_read.* "$burst_start" "$burst_end")"
read -r fresh_during fresh_during_p50 fresh_during_p99 <<<"$(latency_summary "$work"/fresh_read.* "$burst_start" "$burst_end")"
read -r hot_after hot_after_p50 hot_after_p99 <<<"$(latency_summary "$work"/hot_after.* "$after_start" "$after_end")"
read -r fresh_after fresh_after_p50 fresh_after_p99 <<<"$(latency_summary "$work"/fresh_after.* "$after_start" "$after_end")"
echo
echo "stock reads during and after $burst_reservations reservations on one product (8 clients, batches of 64),"
echo "  one reader on that product and one on a fresh product at the same time"
printf '  %-22s %10s %9s %9s %12s\n' window reads/s p50_ms p99_ms "hot/fresh"
awk -v h="$hot_during" -v f="$fresh_during" -v hp50="$hot_during_p50" -v hp99="$hot_during_p99" \
    -v fp50="$fresh_during_p50" -v fp99="$fresh_during_p99" \
    -v ha="$hot_after" -v fa="$fresh_after" -v hap50="$hot_after_p50" -v hap99="$hot_after_p99" \
    -v fap50="$fresh_after_p50" -v fap99="$fresh_after_p99" 'BEGIN {
    printf "  %-22s %10d %9s %9s\n", "fresh, during", f, fp50, fp99
    printf "  %-22s %10d %9s %9s %11.2fx\n", "hot, during", h, hp50, hp99, (h > 0 ? f / h : 0)
    printf "  %-22s %10d %9s %9s\n", "fresh, right after", fa, fap50, fap99
    printf "  %-22s %10d %9s %9s %11.2fx\n", "hot, right after", ha, hap50, hap99, (ha > 0 ? fa / ha : 0)
    worst = (h > 0 ? f / h : 99); if (ha > 0 && fa / ha > worst) worst = fa / ha
    printf "  hot reads are at worst %.2fx slower than fresh ones (target: within 2x: %s)\n", worst, (worst <= 2 ? "met" : "MISSED") }'
