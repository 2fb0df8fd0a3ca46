-- 02_reserve.sql
-- inventory_reserve: one product for one order. Covers the returned inventory_reservation rows,
-- the ttl (argument, inventory.reservation_ttl, inventory.max_reservation_ttl), allocation across
-- warehouses (most available first, splitting when needed, all or nothing), idempotent repeats
-- (same quantity returns the live rows with created = false and writes nothing; a different
-- quantity or warehouse is IN005), IN001 (insufficient stock), IN002 (unknown product or
-- warehouse), 22023 (invalid arguments) and that a refused call changes nothing.
-- Runs in one transaction that is rolled back; uses only products named 'tap-02-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(72);
\ir include/helpers.sql

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-02-%')
        + (SELECT count(*) FROM inventory.reservations WHERE product_id LIKE 'tap-02-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-02-%'),
          0::bigint, 'precondition: no stock, reservation or ledger rows of tap-02-* products exist');

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-02-a', 10);
    PERFORM inventory_set_stock('tap-02-m', 3, 'tap-02-w1');
    PERFORM inventory_set_stock('tap-02-m', 7, 'tap-02-w2');
    PERFORM inventory_set_stock('tap-02-m', 5, 'tap-02-w3');
    PERFORM inventory_set_stock('tap-02-s', 2, 'tap-02-w1');
    PERFORM inventory_set_stock('tap-02-s', 10, 'tap-02-w2');
    PERFORM inventory_set_stock('tap-02-t', 5, 'tap-02-wb');
    PERFORM inventory_set_stock('tap-02-t', 5, 'tap-02-wa');
END
$$;

-- Happy path --------------------------------------------------------------------------------

CREATE TEMP TABLE tap_r AS SELECT * FROM inventory_reserve('tap-02-o1', 'tap-02-a', 4);
SELECT results_eq(
    $$SELECT order_id, product_id, warehouse, quantity, status, created FROM tap_r$$,
    $$VALUES ('tap-02-o1'::text, 'tap-02-a'::text, 'main'::text, 4::bigint, 'active'::text, true)$$,
    'reserve returns one new active reservation with created = true');
SELECT is((SELECT expires_at FROM tap_r),
          now() + current_setting('inventory.reservation_ttl')::interval,
          'with ttl NULL the reservation expires after inventory.reservation_ttl');
SELECT is((SELECT created_at FROM tap_r), now(), 'created_at is the transaction time');
SELECT results_eq(
    $$SELECT id, order_id, product_id, warehouse, quantity, status, expires_at
        FROM inventory.reservations WHERE order_id = 'tap-02-o1'$$,
    $$SELECT reservation_id, order_id, product_id, warehouse, quantity, status, expires_at FROM tap_r$$,
    'the returned row is the stored reservation');
SELECT results_eq(
    $$SELECT on_hand, reserved, available FROM inventory.stock WHERE product_id = 'tap-02-a'$$,
    $$VALUES (10::bigint, 4::bigint, 6::bigint)$$,
    'reserve raises reserved and leaves on_hand alone');
SELECT results_eq(
    $$SELECT on_hand_delta, reserved_delta, reason, order_id, reservation_id FROM inventory.ledger
       WHERE product_id = 'tap-02-a' AND reason = 'reserve'$$,
    $$SELECT 0::bigint, 4::bigint, 'reserve'::text, 'tap-02-o1'::text, reservation_id FROM tap_r$$,
    'reserve writes one ledger row with the order and reservation ids');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'tap-02-a' AND type = 'inventory.updated'
              AND payload->>'reason' = 'reserve'),
          1::bigint, 'reserve writes one inventory.updated event');

SELECT is((SELECT expires_at FROM inventory_reserve('tap-02-o2', 'tap-02-a', 1, NULL, '30 seconds')),
          now() + interval '30 seconds', 'an explicit ttl sets expires_at');
SET LOCAL inventory.reservation_ttl = '2min';
SELECT is((SELECT expires_at FROM inventory_reserve('tap-02-o3', 'tap-02-a', 1)),
          now() + interval '2 minutes', 'inventory.reservation_ttl is the default ttl');
SET LOCAL inventory.reservation_ttl TO DEFAULT;
SELECT is((SELECT reserved FROM inventory.stock WHERE product_id = 'tap-02-a'), 6::bigint,
          'each reservation added its quantity to reserved');

-- Allocation across warehouses ---------------------------------------------------------------

SELECT results_eq(
    $$SELECT warehouse, quantity FROM inventory_reserve('tap-02-o4', 'tap-02-m', 2, 'tap-02-w1')$$,
    $$VALUES ('tap-02-w1'::text, 2::bigint)$$,
    'a named warehouse is used even when others have more');
-- available now: w1 1, w2 7, w3 5
SELECT results_eq(
    $$SELECT warehouse, quantity, created FROM inventory_reserve('tap-02-o5', 'tap-02-m', 9) ORDER BY quantity DESC$$,
    $$VALUES ('tap-02-w2'::text, 7::bigint, true), ('tap-02-w3', 2, true)$$,
    'without a warehouse, the most available warehouse is used first and the rest split off');
-- available now: w1 1, w2 0, w3 3
SELECT results_eq(
    $$SELECT warehouse, quantity FROM inventory_reserve('tap-02-o6', 'tap-02-m', 1)$$,
    $$VALUES ('tap-02-w3'::text, 1::bigint)$$,
    'a quantity that one warehouse can serve comes from the one with most available');
-- available now: w1 1, w2 0, w3 2
SELECT results_eq(
    $$SELECT warehouse, quantity FROM inventory_reserve('tap-02-o7', 'tap-02-m', 3) ORDER BY quantity DESC$$,
    $$VALUES ('tap-02-w3'::text, 2::bigint), ('tap-02-w1', 1)$$,
    'a reservation can take the last units of every warehouse');
SELECT results_eq(
    $$SELECT warehouse, quantity FROM inventory_reserve('tap-02-o10', 'tap-02-t', 1)$$,
    $$VALUES ('tap-02-wa'::text, 1::bigint)$$,
    'between warehouses with the same amount available, the name that sorts first wins');
SELECT is_empty($$SELECT 1 FROM inventory.stock WHERE product_id = 'tap-02-m' AND reserved <> on_hand$$,
                'every warehouse of tap-02-m is now fully reserved');
SELECT is((SELECT count(*) FROM inventory.ledger WHERE product_id = 'tap-02-m' AND reason = 'reserve'),
          (SELECT count(*) FROM inventory.reservations WHERE product_id = 'tap-02-m'),
          'one ledger row per reservation row (per stock row touched)');

-- Idempotent repeats --------------------------------------------------------------------------

CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-02-') AS state;
SELECT results_eq(
    $$SELECT reservation_id, quantity, status, created FROM inventory_reserve('tap-02-o1', 'tap-02-a', 4)$$,
    $$SELECT reservation_id, quantity, status, false FROM tap_r$$,
    'a repeat with the same quantity returns the existing reservation with created = false');
SELECT results_eq(
    $$SELECT reservation_id, warehouse, quantity, created FROM inventory_reserve('tap-02-o5', 'tap-02-m', 9)
       ORDER BY warehouse$$,
    $$SELECT id, warehouse, quantity, false FROM inventory.reservations WHERE order_id = 'tap-02-o5'
       ORDER BY warehouse$$,
    'a repeat of a split reservation returns every existing row');
SELECT results_eq(
    $$SELECT reservation_id, created FROM inventory_reserve('tap-02-o4', 'tap-02-m', 2, 'tap-02-w1')$$,
    $$SELECT id, false FROM inventory.reservations WHERE order_id = 'tap-02-o4'$$,
    'a repeat naming the same warehouse returns the existing reservation');
SELECT is(pg_temp.tap_state('tap-02-'), (SELECT state FROM tap_before),
          'idempotent repeats change no stock, reservation, ledger or outbox row');

SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o1', 'tap-02-a', 5)$$, 'IN005', NULL,
                 'a repeat with a larger quantity: IN005');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o1', 'tap-02-a', 3)$$, 'IN005', NULL,
                 'a repeat with a smaller quantity: IN005');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o4', 'tap-02-m', 2, 'tap-02-w2')$$, 'IN005', NULL,
                 'a repeat with the same quantity from another warehouse: IN005');
SELECT throws_matching($$SELECT * FROM inventory_reserve('tap-02-o1', 'tap-02-a', 5)$$,
                       'tap-02-o1.*4.*tap-02-a.*5',
                       'the IN005 message names the order, the held quantity, the product and the request');

SELECT ok((SELECT count(*) FROM inventory_confirm((SELECT id FROM inventory.reservations WHERE order_id = 'tap-02-o2'))) = 1,
          'setup: the reservation of tap-02-o2 is confirmed');
SELECT results_eq(
    $$SELECT status, expires_at, created FROM inventory_reserve('tap-02-o2', 'tap-02-a', 1)$$,
    $$VALUES ('confirmed'::text, NULL::timestamptz, false)$$,
    'a repeat returns a confirmed reservation unchanged');
SELECT ok((SELECT count(*) FROM inventory_release((SELECT id FROM inventory.reservations WHERE order_id = 'tap-02-o3'))) = 1,
          'setup: the reservation of tap-02-o3 is released');
SELECT results_eq(
    $$SELECT quantity, status, created FROM inventory_reserve('tap-02-o3', 'tap-02-a', 2)$$,
    $$VALUES (2::bigint, 'active'::text, true)$$,
    'after a release the order may reserve the product again, with another quantity');
SELECT is((SELECT count(*) FROM inventory.reservations WHERE order_id = 'tap-02-o3'), 2::bigint,
          'the released reservation is kept next to the new one');
SELECT is((SELECT reserved FROM inventory.stock WHERE product_id = 'tap-02-a'), 7::bigint,
          'reserved counts o1 (4), o2 (1, confirmed) and the new o3 (2)');

-- Refusals: IN001, IN002 ----------------------------------------------------------------------

DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-02-') AS state;

SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 4)$$, 'IN001', NULL,
                 'reserving more than is available (3 left): IN001');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-m', 1)$$, 'IN001', NULL,
                 'reserving from a product whose every warehouse is fully reserved: IN001');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-s', 3, 'tap-02-w1')$$, 'IN001', NULL,
                 'a named warehouse that is short: IN001 even when others have stock');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-s', 13)$$, 'IN001', NULL,
                 'more than all warehouses together: IN001');
SELECT throws_matching($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-s', 3, 'tap-02-w1')$$,
                       'tap-02-s.*tap-02-w1.*requested 3, available 2',
                       'the IN001 message names product, warehouse, requested and available quantities');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-unknown', 1)$$, 'IN002', NULL,
                 'an unknown product: IN002');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, 'tap-02-w9')$$, 'IN002', NULL,
                 'a warehouse that does not stock the product: IN002');
SELECT throws_matching($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, 'tap-02-w9')$$,
                       'tap-02-a.*tap-02-w9', 'the IN002 message names the product and the warehouse');

-- Refusals: 22023 -----------------------------------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_reserve(NULL, 'tap-02-a', 1)$$, '22023', NULL, 'NULL order_id');
SELECT throws_ok($$SELECT * FROM inventory_reserve('', 'tap-02-a', 1)$$, '22023', NULL, 'empty order_id');
SELECT throws_ok($$SELECT * FROM inventory_reserve(repeat('o', 201), 'tap-02-a', 1)$$, '22023', NULL,
                 'order_id of 201 bytes');
SELECT throws_ok($$SELECT * FROM inventory_reserve(E'tap-02-o\x1b', 'tap-02-a', 1)$$, '22023', NULL,
                 'order_id with a control character');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', NULL, 1)$$, '22023', NULL, 'NULL product_id');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', '', 1)$$, '22023', NULL, 'empty product_id');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-' || repeat('p', 194), 1)$$, '22023', NULL,
                 'product_id of 201 bytes');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', E'tap-02-a\n', 1)$$, '22023', NULL,
                 'product_id with a newline');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', NULL)$$, '22023', NULL, 'NULL quantity');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 0)$$, '22023', NULL, 'zero quantity');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', -1)$$, '22023', NULL, 'negative quantity');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1000000001)$$, '22023', NULL,
                 'quantity above inventory.max_quantity');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 9223372036854775807)$$, '22023', NULL,
                 'quantity of 2^63-1');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, '')$$, '22023', NULL, 'empty warehouse');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, repeat('w', 201))$$, '22023', NULL,
                 'warehouse of 201 bytes');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, E'ma\x1fin')$$, '22023', NULL,
                 'warehouse with a control character');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, NULL, '0 seconds')$$, '22023', NULL,
                 'ttl of zero');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, NULL, '-5 minutes')$$, '22023', NULL,
                 'negative ttl');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, NULL, '1 day -86400 seconds')$$, '22023', NULL,
                 'ttl whose parts add up to zero');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, NULL, '8 days')$$, '22023', NULL,
                 'ttl above inventory.max_reservation_ttl (7 days by default)');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, NULL, '1 mon')$$, '22023', NULL,
                 'ttl of a month (30 days) is above the maximum');
SET LOCAL inventory.max_reservation_ttl = 60;
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1, NULL, '61 seconds')$$, '22023', NULL,
                 'a lowered inventory.max_reservation_ttl is enforced');
SET LOCAL inventory.reservation_ttl = '61s';
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1)$$, '22023', NULL,
                 'a default ttl (inventory.reservation_ttl) above inventory.max_reservation_ttl is refused too');
SET LOCAL inventory.reservation_ttl TO DEFAULT;
SET LOCAL ROLE inventory_writer;
SET LOCAL inventory.reservation_ttl = '30d';
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 1)$$, '22023', NULL,
                 'a writer cannot outlast inventory.max_reservation_ttl through its own inventory.reservation_ttl');
RESET ROLE;
SET LOCAL inventory.reservation_ttl TO DEFAULT;
SET LOCAL inventory.max_quantity = 2;
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o8', 'tap-02-a', 3)$$, '22023', NULL,
                 'a lowered inventory.max_quantity is enforced');

SELECT is(pg_temp.tap_state('tap-02-'), (SELECT state FROM tap_before),
          'refused calls changed no stock, reservation, ledger or outbox row');

SELECT results_eq(
    $$SELECT quantity, expires_at FROM inventory_reserve('tap-02-o8', 'tap-02-a', 2, NULL, '60 seconds')$$,
    $$VALUES (2::bigint, now() + interval '60 seconds')$$,
    'ttl equal to inventory.max_reservation_ttl and quantity equal to inventory.max_quantity are accepted');
SET LOCAL inventory.max_reservation_ttl TO DEFAULT;
SET LOCAL inventory.max_quantity TO DEFAULT;
SELECT results_eq(
    $$SELECT octet_length(order_id), created FROM inventory_reserve(repeat('o', 200), 'tap-02-a', 1)$$,
    $$VALUES (200, true)$$,
    'an order_id of exactly 200 bytes is accepted');
SELECT throws_ok($$SELECT * FROM inventory_reserve('tap-02-o9', 'tap-02-a', 1)$$, 'IN001', NULL,
                 'the last unit is gone: the next reservation is refused');

-- Consistency ---------------------------------------------------------------------------------

SELECT * FROM pg_temp.tap_consistency('tap-02-');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-02-%' AND type = 'inventory.updated'),
          (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-02-%'),
          'one inventory.updated event per ledger row');

SELECT * FROM finish();
ROLLBACK;
