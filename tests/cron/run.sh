#!/usr/bin/env bash
# tests/cron/run.sh: proves that the pg_cron job 'inventory-expire-reservations', which
# CREATE EXTENSION pg_inventory schedules every minute, really runs and expires an overdue
# reservation, and a burst of them larger than the 1000 a run expired before 1.2 in the same run. Owns tests/cron/.
#
# Runs in TEST_DATABASE, the database cron.database_name points at (pg_cron and pg_inventory
# installed there), connecting with PGHOST, PGPORT, PGUSER (a superuser: it reads cron.* and
# removes its own rows). It stocks a product of its own, reserves 2 units with a ttl of 1 second,
# and a second product BURST (2500) times one unit with the same ttl, and polls (at most CRON_TEST_TIMEOUT seconds, default 150) until a succeeded run of the job that
# started after the reservation became overdue is recorded in cron.job_run_details and the
# reservation is expired. Then it checks the stock, the ledger and that the expiry was written
# during that run, and that the same run expired the whole burst. Its rows are removed on exit. Prints one line per check and ends with
# "N passed, N failed"; exits non-zero when anything failed.
#
#   TEST_DATABASE=concdb PGHOST=127.0.0.1 PGPORT=25450 PGUSER=postgres tests/cron/run.sh
set -euo pipefail

database=${TEST_DATABASE:?TEST_DATABASE must name the database cron.database_name points at}
timeout_seconds=${CRON_TEST_TIMEOUT:-150}
job=inventory-expire-reservations
product="cron-test-$$-$(date +%s)"
order="$product-order"
burst_product="$product-burst"
burst=2500
passed=0
failed=0

# sql STATEMENT... runs statements (each ending with ";") with :'product', :'order' and :'job' set;
# psql interpolates variables only in what it reads, not in -c, hence stdin.
sql() {
    printf '%s\n' "$@" | PGOPTIONS='-c client_min_messages=warning -c statement_timeout=30s' \
        psql -X -q -At -v ON_ERROR_STOP=1 -d "$database" -v product="$product" -v order="$order" -v job="$job" \
            -v burst_product="$burst_product" -v burst="$burst"
}

cleanup() {
    sql "DELETE FROM inventory.reservations WHERE product_id IN (:'product', :'burst_product');" \
        "DELETE FROM inventory.ledger WHERE product_id IN (:'product', :'burst_product');" \
        "DELETE FROM inventory.outbox WHERE aggregateid IN (:'product', :'burst_product');" \
        "DELETE FROM inventory.stock WHERE product_id IN (:'product', :'burst_product');" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# report NAME CONDITION_RESULT DETAIL prints one check line and counts it; CONDITION_RESULT is t/f.
report() {
    if [ "$2" = t ]; then
        echo "ok - $1${3:+: $3}"
        passed=$((passed + 1))
    else
        echo "FAIL - $1${3:+: $3}"
        failed=$((failed + 1))
    fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

job_state=$(sql "SELECT format('%s|%s: %s', active AND database = current_database(), schedule, command)
                   FROM cron.job WHERE jobname = :'job';" 2>&1 || true)
job_state=${job_state:-f|no job named $job}
report "the job is scheduled in this database" "$([ "${job_state%%|*}" = t ] && echo t || echo f)" \
    "${job_state#*|}"
[ "${job_state%%|*}" = t ] || finish

reserved=$(sql "SELECT inventory_set_stock(:'product', 5) IS NOT NULL;" \
               "SELECT count(*) FROM inventory_reserve(:'order', :'product', 2, NULL, interval '1 second');" \
               "SELECT reserved FROM inventory.stock WHERE product_id = :'product';" 2>&1 | tail -n 1 || true)
report "a reservation of 2 units with a ttl of 1 second holds stock" \
    "$([ "$reserved" = 2 ] && echo t || echo f)" "reserved $reserved"
[ "$reserved" = 2 ] || finish

# A burst: BURST one-unit reservations of another product, overdue together.
burst_reserved=$(sql "SELECT inventory_set_stock(:'burst_product', :burst) IS NOT NULL;" \
    "SELECT count(*) FROM generate_series(1, :burst) i,
            inventory_reserve(:'burst_product' || '-order-' || i, :'burst_product', 1, NULL, interval '1 second');" \
    "SELECT reserved FROM inventory.stock WHERE product_id = :'burst_product';" 2>&1 | tail -n 1 || true)
report "a burst of $burst one-unit reservations with a ttl of 1 second holds stock" \
    "$([ "$burst_reserved" = "$burst" ] && echo t || echo f)" "reserved $burst_reserved"

# Poll until a succeeded run that started after the reservation became overdue is recorded, and
# the reservation is no longer active.
start=$(date +%s)
state=""
while :; do
    state=$(sql "
        SELECT format('%s|%s', r.status,
                      (SELECT count(*) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                        WHERE j.jobname = :'job' AND d.status = 'succeeded'
                          AND d.start_time > r.expires_at))
          FROM inventory.reservations r WHERE r.order_id = :'order';") || state=""
    if [ -n "$state" ] && [ "${state%%|*}" != active ] && [ "${state#*|}" != 0 ]; then
        break
    fi
    if [ $(($(date +%s) - start)) -ge "$timeout_seconds" ]; then
        break
    fi
    sleep 2
done
waited=$(($(date +%s) - start))
runs_after=0
[ -n "$state" ] && runs_after=${state#*|}
report "a succeeded run of the job started after the reservation became overdue" \
    "$([ "$runs_after" -gt 0 ] && echo t || echo f)" "$runs_after run(s), waited ${waited} s"

status=${state%%|*}
report "the reservation is expired" "$([ "$status" = expired ] && echo t || echo f)" "status $status"

stock=$(sql "SELECT format('on_hand %s reserved %s', on_hand, reserved) FROM inventory.stock WHERE product_id = :'product';" || true)
report "the stock's reserved is back to 0" "$([ "$stock" = 'on_hand 5 reserved 0' ] && echo t || echo f)" "$stock"

ledger=$(sql "SELECT format('%s row(s), reserved_delta %s', count(*), min(l.reserved_delta))
                   FROM inventory.ledger l JOIN inventory.reservations r ON r.id = l.reservation_id
                  WHERE r.order_id = :'order' AND l.reason = 'expire';" || true)
report "the ledger has one 'expire' row giving the 2 units back" \
    "$([ "$ledger" = '1 row(s), reserved_delta -2' ] && echo t || echo f)" "$ledger"

# The expire row's created_at is now() of the transaction that wrote it: it must fall within a
# succeeded run of the job, which shows that the job (not some other caller) expired it. pg_cron
# reads the clock for start_time only after it has sent the command, so on a loaded machine the
# command's transaction can begin a little earlier: the window opens one second before.
by_job=$(sql "
    SELECT coalesce(string_agg(format('run %s %s..%s', d.runid, d.start_time, d.end_time), '; '), 'none')
      FROM inventory.ledger l
      JOIN inventory.reservations r ON r.id = l.reservation_id AND r.order_id = :'order'
      JOIN cron.job_run_details d ON d.status = 'succeeded'
                                 AND l.created_at BETWEEN d.start_time - interval '1 second' AND d.end_time
      JOIN cron.job j ON j.jobid = d.jobid AND j.jobname = :'job'
     WHERE l.reason = 'expire';" || true)
report "the expiry was written during a succeeded run of the job" \
    "$([ "$by_job" != none ] && echo t || echo f)" "$by_job"

# The job expires in short transactions until nothing is overdue: the run that expired the order's
# reservation expired the whole burst too (the job before 1.2, one call of the reaper, stopped at
# 1000).
burst_state=$(sql "
    WITH order_run AS (
        SELECT min(d.runid) AS runid
          FROM inventory.ledger l
          JOIN inventory.reservations r ON r.id = l.reservation_id AND r.order_id = :'order'
          JOIN cron.job_run_details d ON d.status = 'succeeded'
                                     AND l.created_at BETWEEN d.start_time - interval '1 second' AND d.end_time
          JOIN cron.job j ON j.jobid = d.jobid AND j.jobname = :'job'
         WHERE l.reason = 'expire')
    SELECT format('%s active, %s expired by that run, reserved %s',
                  (SELECT count(*) FROM inventory.reservations WHERE product_id = :'burst_product' AND status = 'active'),
                  (SELECT count(*) FROM inventory.ledger l, order_run o
                     JOIN cron.job_run_details d ON d.runid = o.runid
                    WHERE l.product_id = :'burst_product' AND l.reason = 'expire'
                      AND l.created_at BETWEEN d.start_time - interval '1 second' AND d.end_time),
                  (SELECT reserved FROM inventory.stock WHERE product_id = :'burst_product'));" || true)
report "the same run expired the whole burst of $burst (the job before 1.2 stopped at 1000)" \
    "$([ "$burst_state" = "0 active, $burst expired by that run, reserved 0" ] && echo t || echo f)" "$burst_state"

finish
