#!/usr/bin/env bash
# tests/stress/run.sh: the stress test of pg_inventory under real concurrency. Owns tests/stress/
# (this script, setup.sql, step.pgbench, checks.sql).
#
# Creates its own database (STRESS_DATABASE, default stressdb) with CREATE EXTENSION pg_inventory,
# then drives 32 pgbench clients making 320 calls each (10,240 mixed reserve, reserve_order, reserve_batch,
# idempotent repeat, confirm, release, ship (also of active reservations), their per-order forms,
# restock (also with request ids), return, adjust and reaper calls)
# over 4 products in 2 warehouses holding little stock. Each call goes through stress.step
# (setup.sql), which catches only SQLSTATE class IN; any other error aborts its pgbench client and
# fails the test. Afterwards checks.sql verifies the stock, reservation, ledger and outbox
# invariants. Prints one line per check and ends with "N passed, N failed"; exits non-zero when
# anything failed. Connection: PGHOST, PGPORT, PGUSER (a superuser). Bounded: pgbench is stopped
# after STRESS_TIMEOUT seconds (default 90); the whole run normally takes 10-30 s.
# On a Citus coordinator (tests/citus/run.sh): STRESS_CREATE_DATABASE and STRESS_DROP_DATABASE are
# commands, given the database name, that make and remove the database on every node; and
# STRESS_EXTRA_SCRIPT, a pgbench script that STRESS_EXTRA_CLIENTS (default 8) clients run
# STRESS_CALLS_PER_CLIENT times each beside the stress clients, on the same products, without
# logging calls (its ledger rows carry the actor 'routed'; the invariants cover them).
#
#   PGHOST=127.0.0.1 PGPORT=25450 PGUSER=postgres tests/stress/run.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
database=${STRESS_DATABASE:-stressdb}
clients=${STRESS_CLIENTS:-32}
calls_per_client=${STRESS_CALLS_PER_CLIENT:-320}
threads=${STRESS_THREADS:-4}
pgbench_timeout=${STRESS_TIMEOUT:-90}
expected_calls=$((clients * calls_per_client))
work=$(mktemp -d /tmp/pg-inventory-stress.XXXXXX)
passed=0
failed=0

psql_admin() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
psql_stress() { PGOPTIONS='-c client_min_messages=error -c statement_timeout=60s' psql -X -q -v ON_ERROR_STOP=1 -d "$database" "$@"; }

drop_database() {
    if [ -n "${STRESS_DROP_DATABASE:-}" ]; then
        $STRESS_DROP_DATABASE "$database"
    else
        psql_admin -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)"
    fi
}

create_database() {
    if [ -n "${STRESS_CREATE_DATABASE:-}" ]; then
        $STRESS_CREATE_DATABASE "$database"
    else
        psql_admin -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" -c "CREATE DATABASE \"$database\""
        psql_stress -c "CREATE EXTENSION pg_inventory"
    fi
}

cleanup() {
    if [ "${STRESS_KEEP_DATABASE:-0}" = 1 ]; then
        echo "# kept database $database (STRESS_KEEP_DATABASE=1)"
    else
        drop_database >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# report PASSED NAME DETAIL prints one check line and counts it.
report() {
    if [ "$1" = t ]; then
        echo "ok - $2: $3"
        passed=$((passed + 1))
    else
        echo "FAIL - $2: $3"
        failed=$((failed + 1))
    fi
}

echo "# stress: $clients clients x $calls_per_client calls on ${PGHOST:-default host}:${PGPORT:-5432}, database $database"
create_database >/dev/null
psql_stress -f "$here/setup.sql" >/dev/null

start=$(date +%s.%N)
pgbench_status=0
# synchronous_commit=off: commits do not wait for the WAL flush while holding row locks, which
# keeps the run short on slow disks; locking and visibility, which this test is about, are the same.
extra_status=0
if [ -n "${STRESS_EXTRA_SCRIPT:-}" ]; then
    PGOPTIONS='-c statement_timeout=30s -c synchronous_commit=off' timeout --kill-after=10 "$pgbench_timeout" \
        pgbench -n -c "${STRESS_EXTRA_CLIENTS:-8}" -j 2 -t "$calls_per_client" -f "$STRESS_EXTRA_SCRIPT" "$database" \
        >"$work/extra.log" 2>&1 &
    extra_pid=$!
fi
PGOPTIONS='-c statement_timeout=30s -c synchronous_commit=off' timeout --kill-after=10 "$pgbench_timeout" \
    pgbench -n -c "$clients" -j "$threads" -t "$calls_per_client" -f "$here/step.pgbench" "$database" \
    >"$work/pgbench.log" 2>&1 || pgbench_status=$?
if [ -n "${STRESS_EXTRA_SCRIPT:-}" ]; then
    wait "$extra_pid" || extra_status=$?
    extra_expected=$((${STRESS_EXTRA_CLIENTS:-8} * calls_per_client))
    extra_processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$work/extra.log")
    extra_aborted=$(grep -cE 'aborted|error' "$work/extra.log" || true)
    if [ "$extra_status" -eq 0 ] && [ "${extra_processed:-0}" -eq "$extra_expected" ] && [ "$extra_aborted" -eq 0 ]; then
        report t "the extra pgbench ($(basename "$STRESS_EXTRA_SCRIPT")) ran every call beside the stress clients" \
            "$extra_processed transactions"
    else
        report f "the extra pgbench ($(basename "$STRESS_EXTRA_SCRIPT")) ran every call beside the stress clients" \
            "exit $extra_status, processed ${extra_processed:-?} of $extra_expected, $extra_aborted error lines"
        grep -E 'aborted|error' "$work/extra.log" | sort | uniq -c | sort -rn | head -n 10 | sed 's/^/#   /'
    fi
fi
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
processed=$(sed -nE 's/^number of transactions actually processed: ([0-9]+).*/\1/p' "$work/pgbench.log")
tps=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$work/pgbench.log" | head -n 1)
aborted=$(grep -cE 'aborted|error' "$work/pgbench.log" || true)
if [ "$pgbench_status" -eq 0 ] && [ "${processed:-0}" -eq "$expected_calls" ] && [ "$aborted" -eq 0 ]; then
    report t "pgbench ran every call with no aborted client" \
        "$processed transactions in $(printf '%.1f' "$elapsed") s, $(printf '%.0f' "$tps") tps"
else
    report f "pgbench ran every call with no aborted client" \
        "exit $pgbench_status, processed ${processed:-?} of $expected_calls, $aborted error lines"
    grep -E 'aborted|error' "$work/pgbench.log" | sort | uniq -c | sort -rn | head -n 10 | sed 's/^/#   /'
fi

if psql_stress -At -F '|' -v expected_calls="$expected_calls" -f "$here/checks.sql" >"$work/checks.out" 2>&1; then
    while IFS='|' read -r name ok detail; do
        report "$ok" "$name" "$detail"
    done <"$work/checks.out"
else
    report f "checks.sql ran" "$(tr '\n' ' ' <"$work/checks.out")"
fi

echo "# outcomes by operation:"
psql_stress -At -F ' ' -c "SELECT '#   ' || op, string_agg(outcome || '=' || n, ' ' ORDER BY outcome)
    FROM (SELECT op, outcome, count(*) AS n FROM stress.calls GROUP BY op, outcome) o
    GROUP BY op ORDER BY op"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
