#!/usr/bin/env bash
# tests/install/run.sh: checks CREATE EXTENSION pg_inventory in a database without pg_cron (it
# installs, says how to schedule the reaper, and inventory_schedule_reaper refuses with 55000),
# DROP and re-CREATE with the roles left from before, that the reaper still works on demand, and
# that pg_dump carries the extension's data (tables registered with pg_extension_config_dump),
# that ALTER EXTENSION ... UPDATE from 1.0 keeps the data and brings the new objects, that an
# update from 1.1 keeps its dead letters (as published) next to the 1.2 consumer, and that the
# install refuses a pre-existing role that can log in and warns about a group role it did not make.
# Uses PGHOST/PGPORT/PGUSER; creates and drops its own database. Ends with "N passed, N failed".
set -uo pipefail

database=install_check
passed=0
failed=0

# check NAME COMMAND... runs a command and records whether it succeeded.
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "not ok - $name"
        failed=$((failed + 1))
    fi
}

sql() { psql -X -v ON_ERROR_STOP=1 -d "$database" "$@"; }

PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $database" -c "CREATE DATABASE $database" >/dev/null
notice=$(sql -c "CREATE EXTENSION pg_inventory" 2>&1)
check "CREATE EXTENSION succeeds without pg_cron" sql -tAc "SELECT 1 FROM pg_extension WHERE extname = 'pg_inventory'"
check "the notice says pg_cron is missing" grep -q "pg_cron is not installed" <<<"$notice"
check "the notice says how to schedule the reaper" grep -q "inventory_schedule_reaper" <<<"$notice"
schedule_error=$(sql -c "SELECT inventory_schedule_reaper()" 2>&1 || true)
check "inventory_schedule_reaper refuses with a hint" grep -q "cron.schedule_in_database" <<<"$schedule_error"
check "inventory_schedule_reaper fails with SQLSTATE 55000" bash -c \
    "psql -X -d $database -v VERBOSITY=verbose -c 'SELECT inventory_schedule_reaper()' 2>&1 | grep -q 55000"
check "inventory_unschedule_reaper answers false" bash -c \
    "[ \"\$(psql -X -tA -d $database -c 'SELECT inventory_unschedule_reaper()')\" = f ]"
check "the reaper runs on demand" sql -tAc "
    SELECT inventory_set_stock('install-p', 5);
    SELECT count(*) FROM inventory_reserve('install-o', 'install-p', 2, NULL, '1 second');
    UPDATE inventory.reservations SET expires_at = now() - interval '1 minute' WHERE order_id = 'install-o';
    UPDATE inventory.stock SET next_expiry = now() - interval '1 minute' WHERE product_id = 'install-p';
    DO \$\$ BEGIN IF inventory_expire_reservations() <> 1 THEN RAISE 'nothing expired'; END IF; END \$\$;
    DO \$\$ BEGIN IF inventory_available('install-p') <> 5 THEN RAISE 'stock not back'; END IF; END \$\$;"
check "DROP EXTENSION removes the schema" sql -c "DROP EXTENSION pg_inventory" -c \
    "DO \$\$ BEGIN IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'inventory') THEN RAISE 'left behind'; END IF; END \$\$"
check "CREATE EXTENSION again reuses the existing roles" sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_inventory"
check "the roles keep their grants after re-creation" sql -tAc "
    DO \$\$ BEGIN IF NOT has_function_privilege('inventory_writer', 'inventory_reserve(text, text, bigint, text, interval, text)', 'EXECUTE')
    THEN RAISE 'grant missing'; END IF; END \$\$"

restored=${database}_restored
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $restored" -c "CREATE DATABASE $restored" >/dev/null
sql -qc "SELECT count(*) FROM inventory_set_stock('dump-p', 7); SELECT count(*) FROM inventory_reserve('dump-o', 'dump-p', 2)" >/dev/null
pg_dump -d "$database" | psql -X -q -d "$restored" >/dev/null 2>&1
check "pg_dump carries stock, reservations, ledger and outbox" bash -c "
    [ \"\$(psql -X -tA -d $restored -c \"SELECT (SELECT on_hand || '/' || reserved FROM inventory.stock WHERE product_id = 'dump-p')
        || ' ' || (SELECT count(*) FROM inventory.reservations WHERE order_id = 'dump-o')
        || ' ' || (SELECT count(*) FROM inventory.ledger WHERE product_id = 'dump-p')
        || ' ' || (SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'dump-p')\")\" = '7/2 1 2 2' ]"
check "a restored database goes on where the dump left off" bash -c "
    [ \"\$(psql -X -tA -d $restored -c \"SELECT count(*) FROM inventory_reserve('dump-o2', 'dump-p', 1);
        SELECT max(version) || ' ' || (SELECT max(seq) > 2 FROM inventory.outbox) FROM inventory.ledger WHERE product_id = 'dump-p'\" | tail -n 1)\" = '3 true' ]"

upgraded=${database}_upgraded
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $upgraded" -c "CREATE DATABASE $upgraded" >/dev/null
# The newest library serves version 1.0's objects until ALTER EXTENSION UPDATE runs (a package
# upgrade installs the library before the update): these calls run the new code on the old tables.
psql -X -q -d "$upgraded" -c "SET client_min_messages = error" -c "CREATE EXTENSION pg_inventory VERSION '1.0'" \
    -c "SELECT count(*) FROM inventory_set_stock('up-p', 9)" -c "SELECT count(*) FROM inventory_reserve('up-o', 'up-p', 4)" \
    -c "SELECT count(*) FROM inventory_reserve('up-gone', 'up-p', 1, NULL, '1 second')" >/dev/null
check "before the update the new library serves the old objects: reads, the reaper, a release of the expired order (a no-op)" bash -c "
    sleep 1.1
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT inventory_available('up-p')\")\" = 5 ] &&
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT inventory_expire_reservations()\")\" = 1 ] &&
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT count(*) FROM inventory_release_order('up-gone')\")\" = 1 ]"
check "before the update the 1.0 definitions call the new library with fewer arguments (no actor, no request id)" bash -c "
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT on_hand FROM inventory_set_stock('up-q', 3, 'main', 'Q', 1);
        SELECT on_hand FROM inventory_restock('up-q', 1, 'main', 'n');
        SELECT on_hand FROM inventory_adjust('up-q', -2, 'count', 'main')\" | tr '\n' ' ')\" = '3 4 2 ' ] &&
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT status FROM inventory_reserve('up-q-o', 'up-q', 1);
        SELECT status FROM inventory_ship((SELECT id FROM inventory.reservations WHERE order_id = 'up-q-o'))\" | tail -n 1)\" = shipped ]"
check "ALTER EXTENSION pg_inventory UPDATE reaches the control file's version" bash -c "
    psql -X -q -d $upgraded -c 'ALTER EXTENSION pg_inventory UPDATE' &&
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT extversion = default_version FROM pg_extension JOIN pg_available_extensions ON name = extname WHERE extname = 'pg_inventory'\")\" = t ]"
check "the update keeps stock and reservations" bash -c "
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT on_hand || '/' || reserved FROM inventory.stock WHERE product_id = 'up-p'\")\" = 9/4 ]"
check "the updated database has the objects of a fresh install" bash -c "
    members=\"SELECT string_agg(pg_describe_object(classid, objid, 0), ',' ORDER BY 1) FROM pg_depend
               WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_inventory') AND deptype = 'e'\"
    updated=\$(psql -X -tA -d $upgraded -c \"\$members\") && fresh=\$(psql -X -tA -d $restored -c \"\$members\") &&
    [[ \$fresh == *'function inventory_reserve_batch(jsonb)'* ]] && [ \"\$updated\" = \"\$fresh\" ]"
check "the update gives every stock row the next deadline of its active reservations" bash -c "
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT s.next_expiry = r.expires_at FROM inventory.stock s
        JOIN inventory.reservations r USING (product_id, warehouse) WHERE s.product_id = 'up-p' AND r.status = 'active'\")\" = t ]"
check "the update's functions work on the old data" bash -c "
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT inventory_claim_message('g', 't', 0, 0)\")\" = t ] &&
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT count(*) FROM inventory_release_order('up-o');
        SELECT reserved || ' v' || version FROM inventory.stock WHERE product_id = 'up-p'\" | tail -n 1)\" = '0 v5' ]"
check "the updated database takes request ids, actors and returns" bash -c "
    [ \"\$(psql -X -tA -d $upgraded -c \"SELECT on_hand FROM inventory_restock('up-q', 4, 'main', NULL, 'req-1', 'user:1');
        SELECT on_hand FROM inventory_restock('up-q', 4, 'main', NULL, 'req-1', 'user:1');
        SELECT returned_quantity FROM inventory_return((SELECT id FROM inventory.reservations WHERE order_id = 'up-q-o'), 1, true, 'back')\" | tr '\n' ' ')\" = '5 5 1 ' ]"

# Roles are shared by the cluster: the checks below change one of the four for a moment and put it
# back (also when the suite is interrupted).
roles=${database}_roles
marker='pg_inventory group role; created by CREATE EXTENSION pg_inventory'
restore_roles() {
    psql -X -q -d postgres -c "ALTER ROLE inventory_relay NOLOGIN" -c "COMMENT ON ROLE inventory_reader IS '$marker'" >/dev/null 2>&1
}
trap restore_roles EXIT
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $roles" -c "CREATE DATABASE $roles" >/dev/null
psql -X -q -d postgres -c "ALTER ROLE inventory_relay LOGIN" >/dev/null
refusal=$(psql -X -d "$roles" -v VERBOSITY=verbose -c "CREATE EXTENSION pg_inventory" 2>&1)
restore_roles
check "CREATE EXTENSION refuses an existing inventory_relay that can log in (55000)" \
    grep -q "ERROR:  55000: role inventory_relay already exists and can log in" <<<"$refusal"
check "... says how to make it a plain group" grep -q "ALTER ROLE inventory_relay NOLOGIN" <<<"$refusal"
check "... and installs nothing" bash -c "[ \"\$(psql -X -tA -d $roles -c \"SELECT count(*) FROM pg_extension WHERE extname = 'pg_inventory'\")\" = 0 ]"
psql -X -q -d postgres -c "COMMENT ON ROLE inventory_reader IS NULL" >/dev/null
warning=$(psql -X -d "$roles" -c "CREATE EXTENSION pg_inventory" 2>&1)
check "CREATE EXTENSION warns when it reuses a role it did not create, naming its members" \
    grep -q "WARNING:  pg_inventory reuses the existing role inventory_reader, which it did not create" <<<"$warning"
check "... and lists the members that gain its rights" grep -q "Its members (inventory_writer)" <<<"$warning"
check "... which from then on is marked as pg_inventory's: the next install is silent about roles" bash -c "
    psql -X -q -d $roles -c 'DROP EXTENSION pg_inventory' &&
    ! psql -X -d $roles -c 'CREATE EXTENSION pg_inventory' 2>&1 | grep -q 'reuses the existing role'"
restore_roles

# 1.1 published a dead letter before recording it: after the update such rows count as published,
# and the 1.2 consumer functions work next to them.
# value_is DATABASE EXPECTED QUERY: the query's single value equals EXPECTED.
value_is() { [ "$(psql -X -tA -d "$1" -c "$3")" = "$2" ]; }
from_1_1=${database}_from_1_1
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $from_1_1" -c "CREATE DATABASE $from_1_1" >/dev/null
psql -X -q -d "$from_1_1" -c "SET client_min_messages = error" -c "CREATE EXTENSION pg_inventory VERSION '1.1'" \
    -c "SELECT inventory_dead_letter('g', 'order.created', 0, 7, 'k', 'not json', 'payload is not JSON', 'malformed')" >/dev/null
psql -X -q -d "$from_1_1" -c 'ALTER EXTENSION pg_inventory UPDATE' >/dev/null
check "an update from 1.1 keeps its dead letters, as published" value_is "$from_1_1" 1/1 \
    "SELECT count(*) FILTER (WHERE published_at IS NOT NULL) || '/' || count(*) FROM inventory.dead_letters"
check "after the update from 1.1 a batch is consumed" value_is "$from_1_1" dead_letter \
    "SELECT outcome FROM inventory_consume_batch('g', '[{\"topic\": \"order.created\", \"partition\": 0, \"offset\": 8,
        \"identity\": \"position:order.created/0/8\", \"content\": \"x\", \"malformed\": \"bad\"}]')"
check "and its new dead letter waits for publication" value_is "$from_1_1" 1 \
    "SELECT count(*) FROM inventory.dead_letters WHERE published_at IS NULL"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $database" -c "DROP DATABASE IF EXISTS $restored" -c "DROP DATABASE IF EXISTS $upgraded" \
    -c "DROP DATABASE IF EXISTS $from_1_1" -c "DROP DATABASE IF EXISTS $roles" >/dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
