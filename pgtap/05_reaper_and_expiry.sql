-- 05_reaper_and_expiry.sql
-- Expiry of overdue reservations: an overdue reservation never makes a new reservation fail (it
-- is expired on the spot when stock is short), nor a stock correction (set_stock, adjust, remove);
-- it does not count in inventory_available before the reaper runs; inventory_expire_reservations
-- (active -> expired, reserved given back, ledger and outbox rows, max_rows bound, 22023 for bad
-- max_rows); and inventory_schedule_reaper / inventory_unschedule_reaper with pg_cron (or their
-- behaviour without it).
-- Reservations are made overdue by moving expires_at into the past (now() is constant inside
-- the test transaction). Runs in one transaction that is rolled back; uses only products named
-- 'tap-05-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(55);
\ir include/helpers.sql

-- Makes every reservation of an order overdue.
CREATE FUNCTION pg_temp.tap_overdue(order_id text) RETURNS void LANGUAGE sql AS $$
SELECT pg_temp.tap_make_overdue(order_id)
$$;

-- The status of an order's (only) reservation.
CREATE FUNCTION pg_temp.tap_status(order_id text) RETURNS text LANGUAGE sql AS $$
SELECT string_agg(status, ',' ORDER BY created_at, warehouse) FROM inventory.reservations r WHERE r.order_id = $1
$$;

-- Overdue active reservations visible now (those the reaper will expire).
CREATE FUNCTION pg_temp.tap_overdue_count() RETURNS integer LANGUAGE sql AS $$
SELECT count(*)::integer FROM inventory.reservations WHERE status = 'active' AND expires_at < now()
$$;

-- pg_cron tests, run through dynamic SQL so that the file also runs where pg_cron is missing.
CREATE FUNCTION pg_temp.tap_reaper_tests() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    job bigint;
    again bigint;
    n bigint;
    removed boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN NEXT throws_ok('SELECT inventory_schedule_reaper()', '55000', NULL,
                              'without pg_cron, schedule_reaper raises 55000 with a hint');
        RETURN NEXT is(inventory_unschedule_reaper(), false, 'without pg_cron, unschedule_reaper returns false');
        RETURN NEXT skip('pg_cron is not installed in this database', 6);
        RETURN;
    END IF;

    job := inventory_schedule_reaper();
    EXECUTE $q$SELECT count(*) FROM cron.job WHERE jobid = $1 AND jobname = 'inventory-expire-reservations'
                 AND schedule = '* * * * *' AND command LIKE 'CALL %.inventory_expire_overdue()'
                 AND database = current_database()$q$ INTO n USING job;
    RETURN NEXT is(n, 1::bigint,
                   'schedule_reaper returns the id of a job that runs CALL inventory_expire_overdue() every minute here');
    again := inventory_schedule_reaper('*/5 * * * *');
    RETURN NEXT is(again, job, 'scheduling again keeps the job id');
    EXECUTE $q$SELECT count(*) FROM cron.job WHERE jobname = 'inventory-expire-reservations'$q$ INTO n;
    RETURN NEXT is(n, 1::bigint, 'there is still exactly one reaper job');
    EXECUTE $q$SELECT count(*) FROM cron.job WHERE jobid = $1 AND schedule = '*/5 * * * *'$q$ INTO n USING job;
    RETURN NEXT is(n, 1::bigint, 'scheduling again replaced the schedule');
    RETURN NEXT is(inventory_unschedule_reaper(), true, 'unschedule_reaper returns true');
    EXECUTE $q$SELECT count(*) FROM cron.job WHERE jobname = 'inventory-expire-reservations'$q$ INTO n;
    RETURN NEXT is(n, 0::bigint, 'unschedule_reaper removed the job');
    BEGIN
        removed := inventory_unschedule_reaper();
    EXCEPTION WHEN OTHERS THEN
        removed := NULL;
    END;
    RETURN NEXT is(removed, false, 'unschedule_reaper when no job is scheduled returns false instead of failing');
    PERFORM inventory_schedule_reaper();
    EXECUTE $q$SELECT count(*) FROM cron.job WHERE jobname = 'inventory-expire-reservations'$q$ INTO n;
    RETURN NEXT is(n, 1::bigint, 'schedule_reaper after unschedule creates the job again');
END
$$;

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-05-%')
        + (SELECT count(*) FROM inventory.reservations WHERE product_id LIKE 'tap-05-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-05-%'),
          0::bigint, 'precondition: no stock, reservation or ledger rows of tap-05-* products exist');

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-05-a', 5);
    PERFORM inventory_set_stock('tap-05-b', 10);
    PERFORM inventory_set_stock('tap-05-c', 4);
    PERFORM inventory_set_stock('tap-05-d', 6);
    PERFORM inventory_set_stock('tap-05-e', 10);
    PERFORM inventory_reserve('tap-05-o1', 'tap-05-a', 5);
    PERFORM pg_temp.tap_overdue('tap-05-o1');
END
$$;

-- An overdue reservation is free stock at read time -------------------------------------------

SELECT is(pg_temp.tap_status('tap-05-o1'), 'active', 'setup: the overdue reservation is still active');
SELECT is((SELECT reserved FROM inventory.stock WHERE product_id = 'tap-05-a'), 5::bigint,
          'the stock row still counts it as reserved');
SELECT is(inventory_available('tap-05-a'), 5::bigint, 'inventory_available does not count the overdue reservation');
SELECT is(inventory_check('tap-05-a', 5), true, 'inventory_check does not count it either');
SELECT is((SELECT available FROM inventory_stock_levels WHERE product_id = 'tap-05-a'), 5::bigint,
          'nor does the inventory_stock_levels view');

-- An overdue reservation never makes a new reservation fail -----------------------------------

SELECT results_eq(
    $$SELECT quantity, status, created FROM inventory_reserve('tap-05-o2', 'tap-05-a', 3)$$,
    $$VALUES (3::bigint, 'active'::text, true)$$,
    'a reservation that needs the overdue stock succeeds');
SELECT is(pg_temp.tap_status('tap-05-o1'), 'expired', 'the overdue reservation was expired on the spot');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'tap-05-a'$$,
                  $$VALUES (5::bigint, 3::bigint)$$, 'reserved now holds only the new reservation');
SELECT results_eq(
    $$SELECT reason, reserved_delta, order_id, reservation_id FROM inventory.ledger
       WHERE product_id = 'tap-05-a' AND reason = 'expire'$$,
    $$SELECT 'expire'::text, -5::bigint, 'tap-05-o1'::text, id FROM inventory.reservations WHERE order_id = 'tap-05-o1'$$,
    'the on-the-spot expiry is in the ledger');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'tap-05-a' AND type = 'inventory.updated'
              AND payload->>'reason' = 'expire' AND payload->>'orderId' = 'tap-05-o1'),
          1::bigint, 'the on-the-spot expiry wrote its inventory.updated event');
SELECT ok((SELECT expires_at > now() FROM inventory.reservations WHERE order_id = 'tap-05-o2'),
          'the new reservation expires in the future');

DO $$
BEGIN
    PERFORM inventory_reserve('tap-05-o3', 'tap-05-b', 6);
    PERFORM pg_temp.tap_overdue('tap-05-o3');
    PERFORM inventory_reserve('tap-05-o4', 'tap-05-b', 4);
END
$$;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-05-') AS state;
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-05-o5', 'tap-05-b', 7)$$, 'IN001', NULL,
                 'still short after counting the overdue stock (6 < 7): IN001');
SELECT is(pg_temp.tap_state('tap-05-'), (SELECT state FROM tap_before),
          'the refused call did not expire the overdue reservation nor change anything else');
SELECT results_eq(
    $$SELECT product_id, quantity FROM inventory_reserve_order('tap-05-o5',
        '[{"product_id": "tap-05-b", "quantity": 6}, {"product_id": "tap-05-c", "quantity": 1}]') ORDER BY 1$$,
    $$VALUES ('tap-05-b'::text, 6::bigint), ('tap-05-c', 1)$$,
    'reserve_order also expires overdue reservations on the spot');
SELECT is(pg_temp.tap_status('tap-05-o3'), 'expired', '... the overdue reservation of tap-05-b is expired');

-- An overdue reservation is honoured until something expires it
DO $$ BEGIN PERFORM inventory_reserve('tap-05-o14', 'tap-05-c', 1); PERFORM pg_temp.tap_overdue('tap-05-o14'); END $$;
DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-05-') AS state;
SELECT results_eq(
    $$SELECT status, created FROM inventory_reserve('tap-05-o14', 'tap-05-c', 1)$$,
    $$VALUES ('active'::text, false)$$,
    'a repeat for an overdue reservation still returns it (it counts as held)');
SELECT is(pg_temp.tap_state('tap-05-'), (SELECT state FROM tap_before), '... without expiring or extending it');
SELECT results_eq(
    $$SELECT status, expires_at FROM inventory_confirm((SELECT id FROM inventory.reservations WHERE order_id = 'tap-05-o14'))$$,
    $$VALUES ('confirmed'::text, NULL::timestamptz)$$,
    'an overdue reservation that was not expired yet can still be confirmed');
SELECT is(inventory_available('tap-05-c'), 2::bigint, 'once confirmed it counts against available stock again (4 - 1 - 1)');

-- Stock corrections are not blocked by overdue reservations -----------------------------------

DO $$ BEGIN PERFORM inventory_reserve('tap-05-o10', 'tap-05-d', 6); PERFORM pg_temp.tap_overdue('tap-05-o10'); END $$;
SELECT results_eq($$SELECT on_hand, reserved FROM inventory_set_stock('tap-05-d', 4)$$,
                  $$VALUES (4::bigint, 0::bigint)$$,
                  'set_stock below an overdue reservation succeeds');
SELECT is(pg_temp.tap_status('tap-05-o10'), 'expired', '... and expired it');
DO $$ BEGIN PERFORM inventory_reserve('tap-05-o11', 'tap-05-d', 4); PERFORM pg_temp.tap_overdue('tap-05-o11'); END $$;
SELECT results_eq($$SELECT on_hand, reserved FROM inventory_adjust('tap-05-d', -1, 'breakage')$$,
                  $$VALUES (3::bigint, 0::bigint)$$,
                  'adjust below an overdue reservation succeeds');
SELECT is(pg_temp.tap_status('tap-05-o11'), 'expired', '... and expired it');
DO $$ BEGIN PERFORM inventory_reserve('tap-05-o12', 'tap-05-d', 3); PERFORM pg_temp.tap_overdue('tap-05-o12'); END $$;
SELECT lives_ok($$SELECT inventory_remove('tap-05-d')$$, 'remove of a row held only by an overdue reservation succeeds');
SELECT is(pg_temp.tap_status('tap-05-o12'), 'expired', '... and expired it');
SELECT results_eq(
    $$SELECT sum(on_hand_delta)::bigint, sum(reserved_delta)::bigint FROM inventory.ledger WHERE product_id = 'tap-05-d'$$,
    $$VALUES (0::bigint, 0::bigint)$$,
    'the removed row''s ledger sums to zero');

-- inventory_expire_reservations ---------------------------------------------------------------

DO $$
BEGIN
    PERFORM inventory_reserve('tap-05-o6', 'tap-05-c', 2);
    PERFORM inventory_confirm(id) FROM inventory.reservations WHERE order_id = 'tap-05-o6';
    PERFORM inventory_reserve('tap-05-o7', 'tap-05-e', 1);
    PERFORM inventory_reserve('tap-05-o8', 'tap-05-e', 2);
    PERFORM inventory_reserve('tap-05-o9', 'tap-05-e', 3);
    PERFORM pg_temp.tap_overdue('tap-05-o7');
    PERFORM pg_temp.tap_overdue('tap-05-o8');
    PERFORM pg_temp.tap_overdue('tap-05-o9');
    PERFORM inventory_reserve('tap-05-o13', 'tap-05-e', 1);
END
$$;
CREATE TEMP TABLE tap_overdue_before AS SELECT pg_temp.tap_overdue_count() AS n;
SELECT cmp_ok((SELECT n FROM tap_overdue_before), '>=', 3, 'setup: at least our three reservations are overdue');
SELECT is(inventory_expire_reservations(1), 1, 'max_rows = 1 expires exactly one reservation');
SELECT is(pg_temp.tap_overdue_count(), (SELECT n - 1 FROM tap_overdue_before), '... and one fewer is overdue');
SELECT is(inventory_expire_reservations(), (SELECT n - 1 FROM tap_overdue_before),
          'a run with the default max_rows expires every other overdue reservation and returns how many');
SELECT is(pg_temp.tap_overdue_count(), 0, 'nothing is overdue any more');
SELECT is(inventory_expire_reservations(), 0, 'a second run has nothing to do');
SELECT results_eq(
    $$SELECT order_id, status FROM inventory.reservations WHERE product_id = 'tap-05-e' ORDER BY order_id$$,
    $$VALUES ('tap-05-o13'::text, 'active'::text), ('tap-05-o7', 'expired'), ('tap-05-o8', 'expired'), ('tap-05-o9', 'expired')$$,
    'overdue reservations are expired, a reservation that is not yet due stays active');
SELECT is(pg_temp.tap_status('tap-05-o6'), 'confirmed', 'a confirmed reservation never expires');
SELECT is(pg_temp.tap_status('tap-05-o2'), 'active', 'the reservation that is not due stays active');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'tap-05-e'$$,
                  $$VALUES (10::bigint, 1::bigint)$$, 'expiry gave the reserved stock back');
SELECT results_eq(
    $$SELECT order_id, reserved_delta FROM inventory.ledger WHERE product_id = 'tap-05-e' AND reason = 'expire' ORDER BY order_id$$,
    $$VALUES ('tap-05-o7'::text, -1::bigint), ('tap-05-o8', -2), ('tap-05-o9', -3)$$,
    'one expire ledger row per expired reservation');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'tap-05-e' AND type = 'inventory.updated'
              AND payload->>'reason' = 'expire'),
          3::bigint, 'one inventory.updated event per expired reservation');
SELECT results_eq(
    $$SELECT reservation_id, status FROM inventory_release((SELECT id FROM inventory.reservations WHERE order_id = 'tap-05-o7'))$$,
    $$SELECT id, 'expired'::text FROM inventory.reservations WHERE order_id = 'tap-05-o7'$$,
    'releasing an expired reservation is a no-op that returns it');
SELECT results_eq(
    $$SELECT quantity, created FROM inventory_reserve('tap-05-o7', 'tap-05-e', 4)$$,
    $$VALUES (4::bigint, true)$$,
    'an order whose reservation expired can reserve again');

SELECT throws_ok($$SELECT inventory_expire_reservations(NULL)$$, '22023', NULL, 'max_rows NULL: 22023');
SELECT throws_ok($$SELECT inventory_expire_reservations(0)$$, '22023', NULL, 'max_rows 0: 22023');
SELECT throws_ok($$SELECT inventory_expire_reservations(-1)$$, '22023', NULL, 'negative max_rows: 22023');
SELECT throws_ok($$SELECT inventory_expire_reservations(100001)$$, '22023', NULL, 'max_rows above 100000: 22023');

-- Consistency ---------------------------------------------------------------------------------

SELECT * FROM pg_temp.tap_consistency('tap-05-');

-- The reaper job --------------------------------------------------------------------------------

SELECT * FROM pg_temp.tap_reaper_tests();

SELECT * FROM finish();
ROLLBACK;
