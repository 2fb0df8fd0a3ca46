-- 06_availability.sql
-- Reads: inventory_available (one warehouse or all), inventory_check (boolean, never an error
-- for short stock) and the inventory_stock_levels view (available leaves out overdue
-- reservations, low_stock flag). Covers confirmed and active reservations counting, overdue
-- reservations not counting before the reaper runs, IN002 (unknown product or warehouse), 22023
-- (invalid arguments) and that reads change nothing.
-- Runs in one transaction that is rolled back; uses only products named 'tap-06-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(50);
\ir include/helpers.sql

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-06-%')
        + (SELECT count(*) FROM inventory.reservations WHERE product_id LIKE 'tap-06-%'),
          0::bigint, 'precondition: no stock or reservation rows of tap-06-* products exist');

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-06-a', 10, 'main', 'Alpha', 3);
    PERFORM inventory_set_stock('tap-06-a', 5, 'tap-06-w2');
    PERFORM inventory_set_stock('tap-06-b', 0);
END
$$;

-- inventory_available -------------------------------------------------------------------------

SELECT is(inventory_available('tap-06-a'), 15::bigint, 'available without a warehouse sums every warehouse');
SELECT is(inventory_available('tap-06-a', 'main'), 10::bigint, 'available of one warehouse');
SELECT is(inventory_available('tap-06-a', 'tap-06-w2'), 5::bigint, 'available of another warehouse');
SELECT is(inventory_available('tap-06-b'), 0::bigint, 'a product with no stock has 0 available, not an error');

DO $$ BEGIN PERFORM inventory_reserve('tap-06-o1', 'tap-06-a', 4, 'main'); END $$;
SELECT is(inventory_available('tap-06-a'), 11::bigint, 'an active reservation counts against the total');
SELECT is(inventory_available('tap-06-a', 'main'), 6::bigint, '... and against its warehouse');
SELECT is(inventory_available('tap-06-a', 'tap-06-w2'), 5::bigint, '... and not against other warehouses');
DO $$ BEGIN PERFORM inventory_confirm(id) FROM inventory.reservations WHERE order_id = 'tap-06-o1'; END $$;
SELECT is(inventory_available('tap-06-a', 'main'), 6::bigint, 'a confirmed reservation still counts');

-- inventory_check -----------------------------------------------------------------------------

SELECT is(inventory_check('tap-06-a', 11), true, 'check of exactly the total available is true');
SELECT is(inventory_check('tap-06-a', 12), false, 'check of one more than available is false, not an error');
SELECT is(inventory_check('tap-06-a', 6, 'main'), true, 'check within one warehouse: true');
SELECT is(inventory_check('tap-06-a', 7, 'main'), false, 'check within one warehouse: false');
SELECT is(inventory_check('tap-06-a', 5, 'tap-06-w2'), true, 'check in another warehouse');
SELECT is(inventory_check('tap-06-b', 1), false, 'check of a product with no stock is false');
SELECT is(inventory_check('tap-06-a', 1000000000), false, 'check of inventory.max_quantity is false');

-- Overdue reservations do not count before the reaper runs ------------------------------------

DO $$
BEGIN
    PERFORM inventory_reserve('tap-06-o2', 'tap-06-a', 6, 'main');
    PERFORM inventory_reserve('tap-06-o3', 'tap-06-a', 2, 'tap-06-w2');
END
$$;
SELECT is(inventory_available('tap-06-a', 'main'), 0::bigint, 'setup: main is fully reserved');
DO $$ BEGIN PERFORM pg_temp.tap_make_overdue('tap-06-o2', 'tap-06-o3'); END $$;
SELECT is(inventory_available('tap-06-a', 'main'), 6::bigint, 'an overdue reservation does not count in its warehouse');
SELECT is(inventory_available('tap-06-a'), 11::bigint, 'overdue reservations do not count in the total');
SELECT is(inventory_check('tap-06-a', 6, 'main'), true, 'check does not count the overdue reservation');
SELECT is(inventory_check('tap-06-a', 7, 'main'), false, '... but still counts the confirmed one');
SELECT results_eq(
    $$SELECT reserved, available FROM inventory.stock WHERE product_id = 'tap-06-a' AND warehouse = 'main'$$,
    $$VALUES (10::bigint, 0::bigint)$$,
    'the stock row itself is unchanged until the reaper or a reservation expires them');

-- inventory_stock_levels ----------------------------------------------------------------------

SELECT has_view('inventory_stock_levels', 'the view inventory_stock_levels exists');
SELECT columns_are('inventory_stock_levels',
    ARRAY['product_id', 'warehouse', 'name', 'on_hand', 'reserved', 'available', 'low_stock_threshold',
          'low_stock', 'version', 'updated_at'],
    'the view has the documented columns');
SELECT results_eq(
    $$SELECT warehouse, name, on_hand, reserved, available, low_stock_threshold, low_stock
        FROM inventory_stock_levels WHERE product_id = 'tap-06-a' ORDER BY warehouse$$,
    $$VALUES ('main'::text, 'Alpha'::text, 10::bigint, 10::bigint, 6::bigint, 3::bigint, false),
             ('tap-06-w2', NULL, 5, 2, 5, NULL, false)$$,
    'the view shows on_hand and reserved as stored and available without overdue reservations');
SELECT results_eq(
    $$SELECT v.version, v.updated_at FROM inventory_stock_levels v WHERE product_id = 'tap-06-a' ORDER BY warehouse$$,
    $$SELECT s.version, s.updated_at FROM inventory.stock s WHERE product_id = 'tap-06-a' ORDER BY warehouse$$,
    'the view shows the stock row''s version and updated_at');
SELECT is((SELECT count(*) FROM inventory_stock_levels WHERE product_id LIKE 'tap-06-%'),
          (SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-06-%'),
          'one view row per stock row');
DO $$ BEGIN PERFORM inventory_set_stock('tap-06-a', 5, 'tap-06-w2', NULL, 5); END $$;
SELECT is((SELECT low_stock FROM inventory_stock_levels WHERE product_id = 'tap-06-a' AND warehouse = 'tap-06-w2'), true,
          'low_stock is true when available is at the threshold');
DO $$ BEGIN PERFORM inventory_set_stock('tap-06-a', 5, 'tap-06-w2', NULL, 4); END $$;
SELECT is((SELECT low_stock FROM inventory_stock_levels WHERE product_id = 'tap-06-a' AND warehouse = 'tap-06-w2'), false,
          'low_stock is false when available is above the threshold');
SELECT is((SELECT low_stock FROM inventory_stock_levels WHERE product_id = 'tap-06-b'), false,
          'low_stock is false without a threshold');
UPDATE inventory.reservations SET expires_at = now() + interval '1 minute' WHERE order_id = 'tap-06-o3';
SELECT is((SELECT low_stock FROM inventory_stock_levels WHERE product_id = 'tap-06-a' AND warehouse = 'tap-06-w2'), true,
          'low_stock uses available with live reservations (3 <= 4)');

-- Refusals ------------------------------------------------------------------------------------

CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-06-') AS state;
SELECT throws_ok($$SELECT inventory_available('tap-06-nothing')$$, 'IN002', NULL, 'available of an unknown product: IN002');
SELECT throws_ok($$SELECT inventory_available('tap-06-a', 'tap-06-nowhere')$$, 'IN002', NULL,
                 'available in a warehouse that does not stock the product: IN002');
SELECT throws_ok($$SELECT inventory_check('tap-06-nothing', 1)$$, 'IN002', NULL, 'check of an unknown product: IN002');
SELECT throws_ok($$SELECT inventory_check('tap-06-a', 1, 'tap-06-nowhere')$$, 'IN002', NULL,
                 'check in an unknown warehouse: IN002');
SELECT throws_matching($$SELECT inventory_check('tap-06-a', 1, 'tap-06-nowhere')$$, 'tap-06-a.*tap-06-nowhere',
                       'the IN002 message names product and warehouse');
SELECT throws_ok($$SELECT inventory_available(NULL)$$, '22023', NULL, 'available: NULL product_id');
SELECT throws_ok($$SELECT inventory_available('')$$, '22023', NULL, 'available: empty product_id');
SELECT throws_ok($$SELECT inventory_available(repeat('p', 201))$$, '22023', NULL, 'available: product_id of 201 bytes');
SELECT throws_ok($$SELECT inventory_available(E'tap-06-a\x03')$$, '22023', NULL, 'available: product_id with a control character');
SELECT throws_ok($$SELECT inventory_available('tap-06-a', '')$$, '22023', NULL, 'available: empty warehouse');
SELECT throws_ok($$SELECT inventory_check(NULL, 1)$$, '22023', NULL, 'check: NULL product_id');
SELECT throws_ok($$SELECT inventory_check('tap-06-a', NULL)$$, '22023', NULL, 'check: NULL quantity');
SELECT throws_ok($$SELECT inventory_check('tap-06-a', 0)$$, '22023', NULL, 'check: zero quantity');
SELECT throws_ok($$SELECT inventory_check('tap-06-a', -3)$$, '22023', NULL, 'check: negative quantity');
SELECT throws_ok($$SELECT inventory_check('tap-06-a', 1000000001)$$, '22023', NULL,
                 'check: quantity above inventory.max_quantity');
SELECT throws_ok($$SELECT inventory_check('tap-06-a', 1, E'w\n')$$, '22023', NULL, 'check: warehouse with a newline');

SELECT lives_ok($$SELECT inventory_available('tap-06-a'), inventory_check('tap-06-a', 1), count(*) FROM inventory_stock_levels$$,
                'reads succeed');
SELECT is(pg_temp.tap_state('tap-06-'), (SELECT state FROM tap_before),
          'reads and refused reads changed no stock, reservation, ledger or outbox row');
SELECT is((SELECT count(*) FROM inventory.reservations WHERE product_id = 'tap-06-a' AND status = 'active' AND expires_at < now()),
          1::bigint, 'reads did not expire the overdue reservation');

SELECT * FROM finish();
ROLLBACK;
