-- 03_reserve_order.sql
-- inventory_reserve_order: several lines of one order, all or nothing. Covers the returned rows,
-- lines of the same product summed before checking (also when one line names a warehouse and
-- another does not), allocation across warehouses, all-or-nothing refusals (IN001, IN002),
-- idempotent repeats (whole and partial) and IN005, every malformed "lines" document (22023: not
-- an array, empty, too many lines, non-object element, unknown key, missing product_id or
-- quantity, fractional, negative, zero, string, null and oversized quantities, bad ids), bad
-- order ids and ttls, and that a refused call changes nothing.
-- Runs in one transaction that is rolled back; uses only products named 'tap-03-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(73);
\ir include/helpers.sql

-- A call of inventory_reserve_order with lines given as JSON text, for throws_ok.
CREATE FUNCTION pg_temp.tap_call(lines text) RETURNS text LANGUAGE sql AS $$
SELECT format('SELECT * FROM inventory_reserve_order(%L, %L::jsonb)', 'tap-03-bad', lines)
$$;

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-03-%')
        + (SELECT count(*) FROM inventory.reservations WHERE product_id LIKE 'tap-03-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-03-%'),
          0::bigint, 'precondition: no stock, reservation or ledger rows of tap-03-* products exist');

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-03-a', 10);
    PERFORM inventory_set_stock('tap-03-b', 5);
    PERFORM inventory_set_stock('tap-03-c', 4, 'tap-03-w1');
    PERFORM inventory_set_stock('tap-03-c', 6, 'tap-03-w2');
    PERFORM inventory_set_stock('tap-03-d', 3);
    PERFORM inventory_set_stock('tap-03-e', 10, 'tap-03-w1');
    PERFORM inventory_set_stock('tap-03-e', 4, 'tap-03-w2');
END
$$;

-- Happy path --------------------------------------------------------------------------------

CREATE TEMP TABLE tap_o1 AS
SELECT * FROM inventory_reserve_order('tap-03-o1',
    '[{"product_id": "tap-03-a", "quantity": 2}, {"product_id": "tap-03-b", "quantity": 1}]');
SELECT results_eq(
    $$SELECT order_id, product_id, warehouse, quantity, status, created FROM tap_o1 ORDER BY product_id$$,
    $$VALUES ('tap-03-o1'::text, 'tap-03-a'::text, 'main'::text, 2::bigint, 'active'::text, true),
             ('tap-03-o1', 'tap-03-b', 'main', 1, 'active', true)$$,
    'reserve_order returns one new reservation per line');
SELECT is((SELECT count(DISTINCT expires_at) FROM tap_o1 WHERE expires_at = now() + current_setting('inventory.reservation_ttl')::interval),
          1::bigint, 'every line expires after inventory.reservation_ttl');
SELECT results_eq(
    $$SELECT product_id, reserved FROM inventory.stock WHERE product_id IN ('tap-03-a', 'tap-03-b') ORDER BY 1$$,
    $$VALUES ('tap-03-a'::text, 2::bigint), ('tap-03-b', 1)$$,
    'each line raised reserved of its product');
SELECT results_eq(
    $$SELECT id, quantity FROM inventory.reservations WHERE order_id = 'tap-03-o1' ORDER BY product_id$$,
    $$SELECT reservation_id, quantity FROM tap_o1 ORDER BY product_id$$,
    'the returned rows are the stored reservations');
SELECT is((SELECT count(*) FROM inventory.ledger WHERE order_id = 'tap-03-o1' AND reason = 'reserve'), 2::bigint,
          'one ledger row per line');

SELECT results_eq(
    $$SELECT product_id, quantity FROM inventory_reserve_order('tap-03-o2',
        '[{"product_id": "tap-03-a", "quantity": 1}, {"product_id": "tap-03-a", "quantity": 2}]')$$,
    $$VALUES ('tap-03-a'::text, 3::bigint)$$,
    'lines naming the same product are summed into one reservation');
-- tap-03-a: on_hand 10, reserved 5
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 3}, {"product_id": "tap-03-a", "quantity": 3}]'),
                 'IN001', NULL, 'summed lines that together exceed what is available (5): IN001');

SELECT results_eq(
    $$SELECT product_id, warehouse, quantity FROM inventory_reserve_order('tap-03-o4',
        '[{"product_id": "tap-03-c", "quantity": 1, "warehouse": "tap-03-w1"},
          {"product_id": "tap-03-b", "quantity": 1, "warehouse": null}]') ORDER BY product_id$$,
    $$VALUES ('tap-03-b'::text, 'main'::text, 1::bigint), ('tap-03-c', 'tap-03-w1', 1)$$,
    'a line may name its warehouse; "warehouse": null means any');
-- tap-03-c available: w1 3, w2 6
SELECT results_eq(
    $$SELECT warehouse, quantity FROM inventory_reserve_order('tap-03-o5',
        '[{"product_id": "tap-03-c", "quantity": 8}]') ORDER BY quantity DESC$$,
    $$VALUES ('tap-03-w2'::text, 6::bigint), ('tap-03-w1', 2)$$,
    'a line without a warehouse takes the most available warehouse first and splits');

-- One line names a warehouse, another line of the same product names none: together 5 of
-- tap-03-e (w1 10, w2 4) must be reserved, at least 2 of them in w1.
SELECT lives_ok(
    $$SELECT * FROM inventory_reserve_order('tap-03-o6',
        '[{"product_id": "tap-03-e", "quantity": 2, "warehouse": "tap-03-w1"},
          {"product_id": "tap-03-e", "quantity": 3}]')$$,
    'lines of one product with and without a warehouse are reserved together');
SELECT results_eq(
    $$SELECT coalesce(sum(quantity), 0)::bigint, coalesce(sum(quantity) FILTER (WHERE warehouse = 'tap-03-w1'), 0) >= 2
        FROM inventory.reservations WHERE order_id = 'tap-03-o6' AND status = 'active'$$,
    $$VALUES (5::bigint, true)$$,
    'the order holds 5 of the product, at least 2 of them in the named warehouse');
SELECT results_eq(
    $$SELECT warehouse, quantity FROM inventory.reservations WHERE order_id = 'tap-03-o6'$$,
    $$VALUES ('tap-03-w1'::text, 5::bigint)$$,
    'served from the same warehouse (w1 has most left), the two lines became one reservation of 5');
SELECT results_eq(
    $$SELECT warehouse, quantity, created FROM inventory_reserve_order('tap-03-o6',
        '[{"product_id": "tap-03-e", "quantity": 2, "warehouse": "tap-03-w1"},
          {"product_id": "tap-03-e", "quantity": 3}]')$$,
    $$VALUES ('tap-03-w1'::text, 5::bigint, false)$$,
    'repeating that order is recognised as an idempotent repeat');

SELECT results_eq(
    $$SELECT quantity FROM inventory_reserve_order('tap-03-o9', '[{"product_id": "tap-03-a", "quantity": 2.0}]')$$,
    $$VALUES (2::bigint)$$,
    'a quantity written as 2.0 is a whole number');
SELECT results_eq(
    $$SELECT expires_at FROM inventory_reserve_order('tap-03-o8', '[{"product_id": "tap-03-d", "quantity": 1}]',
                                                     '45 seconds')$$,
    $$VALUES (now() + interval '45 seconds')$$,
    'an explicit ttl sets expires_at of every line');

-- Idempotent repeats --------------------------------------------------------------------------

CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-03-') AS state;
SELECT results_eq(
    $$SELECT reservation_id, created FROM inventory_reserve_order('tap-03-o1',
        '[{"product_id": "tap-03-b", "quantity": 1}, {"product_id": "tap-03-a", "quantity": 2}]') ORDER BY product_id$$,
    $$SELECT reservation_id, false FROM tap_o1 ORDER BY product_id$$,
    'a repeat (lines in another order) returns the existing reservations with created = false');
SELECT results_eq(
    $$SELECT quantity, created FROM inventory_reserve_order('tap-03-o2',
        '[{"product_id": "tap-03-a", "quantity": 2}, {"product_id": "tap-03-a", "quantity": 1}]')$$,
    $$VALUES (3::bigint, false)$$,
    'a repeat whose lines sum to the held quantity is recognised');
SELECT is(pg_temp.tap_state('tap-03-'), (SELECT state FROM tap_before),
          'idempotent repeats change no stock, reservation, ledger or outbox row');
SELECT results_eq(
    $$SELECT product_id, created FROM inventory_reserve_order('tap-03-o1',
        '[{"product_id": "tap-03-a", "quantity": 2}, {"product_id": "tap-03-b", "quantity": 1},
          {"product_id": "tap-03-d", "quantity": 1}]') ORDER BY product_id$$,
    $$VALUES ('tap-03-a'::text, false), ('tap-03-b', false), ('tap-03-d', true)$$,
    'a repeat with a new line returns the old lines unchanged and reserves the new one');
SELECT is((SELECT count(*) FROM inventory.ledger WHERE order_id = 'tap-03-o1'), 3::bigint,
          'only the new line wrote a ledger row');

DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-03-') AS state;

SELECT throws_ok($$SELECT * FROM inventory_reserve_order('tap-03-o1',
                     '[{"product_id": "tap-03-a", "quantity": 3}, {"product_id": "tap-03-b", "quantity": 1}]')$$,
                 'IN005', NULL, 'a repeat with a different quantity for one line: IN005');

-- All or nothing ------------------------------------------------------------------------------

-- tap-03-a available 3 (10 - 2 - 3 - 2), tap-03-d available 1
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1}, {"product_id": "tap-03-d", "quantity": 4}]'),
                 'IN001', NULL, 'one short line refuses the whole order: IN001');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 9}, {"product_id": "tap-03-d", "quantity": 4}]'),
                 'IN001', NULL, 'several short lines: IN001');
SELECT throws_matching(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1}, {"product_id": "tap-03-d", "quantity": 4}]'),
                       'tap-03-d.*requested 4, available 1',
                       'the IN001 message names the short product and its quantities');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1}, {"product_id": "tap-03-nothing", "quantity": 1}]'),
                 'IN002', NULL, 'one unknown product refuses the whole order: IN002');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1, "warehouse": "tap-03-w9"}]'),
                 'IN002', NULL, 'a line naming a warehouse that does not stock the product: IN002');

-- 22023: malformed lines ----------------------------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_reserve_order('tap-03-bad', NULL)$$, '22023', NULL, 'lines NULL');
SELECT throws_ok(pg_temp.tap_call('{"product_id": "tap-03-a", "quantity": 1}'), '22023', NULL, 'lines is an object, not an array');
SELECT throws_ok(pg_temp.tap_call('"tap-03-a"'), '22023', NULL, 'lines is a string');
SELECT throws_ok(pg_temp.tap_call('5'), '22023', NULL, 'lines is a number');
SELECT throws_ok(pg_temp.tap_call('null'), '22023', NULL, 'lines is JSON null');
SELECT throws_ok(pg_temp.tap_call('[]'), '22023', NULL, 'lines is empty');
SELECT throws_ok(pg_temp.tap_call('[1]'), '22023', NULL, 'an element is a number');
SELECT throws_ok(pg_temp.tap_call('["tap-03-a"]'), '22023', NULL, 'an element is a string');
SELECT throws_ok(pg_temp.tap_call('[null]'), '22023', NULL, 'an element is null');
SELECT throws_ok(pg_temp.tap_call('[[{"product_id": "tap-03-a", "quantity": 1}]]'), '22023', NULL, 'an element is an array');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1}, 2]'), '22023', NULL,
                 'a later element is not an object');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1, "qty": 1}]'), '22023', NULL, 'an unknown key');
SELECT throws_ok(pg_temp.tap_call('[{"quantity": 1}]'), '22023', NULL, 'no product_id');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a"}]'), '22023', NULL, 'no quantity');
SELECT throws_ok(pg_temp.tap_call('[{}]'), '22023', NULL, 'an empty object');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1.5}]'), '22023', NULL, 'a fractional quantity');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": -1}]'), '22023', NULL, 'a negative quantity');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 0}]'), '22023', NULL, 'a zero quantity');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": "2"}]'), '22023', NULL, 'a quantity given as a string');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": null}]'), '22023', NULL, 'a null quantity');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": true}]'), '22023', NULL, 'a boolean quantity');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1000000001}]'), '22023', NULL,
                 'a quantity above inventory.max_quantity');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1e30}]'), '22023', NULL,
                 'a quantity beyond bigint');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": 5, "quantity": 1}]'), '22023', NULL, 'a product_id that is a number');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": null, "quantity": 1}]'), '22023', NULL, 'a null product_id');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "", "quantity": 1}]'), '22023', NULL, 'an empty product_id');
SELECT throws_ok(pg_temp.tap_call(format('[{"product_id": "%s", "quantity": 1}]', repeat('p', 201))), '22023', NULL,
                 'a product_id of 201 bytes');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-\u0001", "quantity": 1}]'), '22023', NULL,
                 'a product_id with a control character');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1, "warehouse": 7}]'), '22023', NULL,
                 'a warehouse that is a number');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1, "warehouse": ""}]'), '22023', NULL,
                 'an empty warehouse');
SELECT throws_matching(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1}, {"product_id": "tap-03-a", "quantity": 1.5}]'),
                       'lines\[1\]\.quantity', 'the message names the offending line and key');
SET LOCAL inventory.max_order_lines = 2;
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 1}, {"product_id": "tap-03-b", "quantity": 1},
                                    {"product_id": "tap-03-d", "quantity": 1}]'),
                 '22023', NULL, 'more lines than inventory.max_order_lines');
SET LOCAL inventory.max_order_lines TO DEFAULT;
SET LOCAL inventory.max_quantity = 5;
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-a", "quantity": 3}, {"product_id": "tap-03-a", "quantity": 3}]'),
                 '22023', NULL, 'lines of one product whose sum exceeds inventory.max_quantity');
SELECT throws_ok(pg_temp.tap_call('[{"product_id": "tap-03-c", "quantity": 3, "warehouse": "tap-03-w1"},
                                    {"product_id": "tap-03-c", "quantity": 3, "warehouse": "tap-03-w2"}]'),
                 '22023', NULL,
                 'inventory.max_quantity caps a product''s lines together, also when they name different warehouses');
SELECT throws_matching(pg_temp.tap_call('[{"product_id": "tap-03-c", "quantity": 3, "warehouse": "tap-03-w1"},
                                          {"product_id": "tap-03-c", "quantity": 3}]'),
                       'lines of product "tap-03-c" ask for 6 together, more than inventory.max_quantity \(5\)',
                       '... and with and without a warehouse; the message names the product and the total');
SET LOCAL inventory.max_quantity TO DEFAULT;

-- 22023: order id and ttl ---------------------------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_reserve_order(NULL, '[{"product_id": "tap-03-a", "quantity": 1}]')$$,
                 '22023', NULL, 'NULL order_id');
SELECT throws_ok($$SELECT * FROM inventory_reserve_order('', '[{"product_id": "tap-03-a", "quantity": 1}]')$$,
                 '22023', NULL, 'empty order_id');
SELECT throws_ok($$SELECT * FROM inventory_reserve_order(repeat('o', 201), '[{"product_id": "tap-03-a", "quantity": 1}]')$$,
                 '22023', NULL, 'order_id of 201 bytes');
SELECT throws_ok($$SELECT * FROM inventory_reserve_order(E'o\x05', '[{"product_id": "tap-03-a", "quantity": 1}]')$$,
                 '22023', NULL, 'order_id with a control character');
SELECT throws_ok($$SELECT * FROM inventory_reserve_order('tap-03-bad', '[{"product_id": "tap-03-a", "quantity": 1}]', '0 seconds')$$,
                 '22023', NULL, 'ttl of zero');
SELECT throws_ok($$SELECT * FROM inventory_reserve_order('tap-03-bad', '[{"product_id": "tap-03-a", "quantity": 1}]', '-1 hour')$$,
                 '22023', NULL, 'negative ttl');
SELECT throws_ok($$SELECT * FROM inventory_reserve_order('tap-03-bad', '[{"product_id": "tap-03-a", "quantity": 1}]', '8 days')$$,
                 '22023', NULL, 'ttl above inventory.max_reservation_ttl');

SELECT is(pg_temp.tap_state('tap-03-'), (SELECT state FROM tap_before),
          'refused calls changed no stock, reservation, ledger or outbox row');
SELECT is((SELECT count(*) FROM inventory.reservations WHERE order_id = 'tap-03-bad'), 0::bigint,
          'no refused call left a reservation');

-- Consistency ---------------------------------------------------------------------------------

SELECT * FROM pg_temp.tap_consistency('tap-03-');

SELECT * FROM finish();
ROLLBACK;
