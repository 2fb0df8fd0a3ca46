-- 01_stock_admin.sql
-- Stock administration: inventory_set_stock (create and update), inventory_restock,
-- inventory_adjust and inventory_remove. Covers the rows they return and write, the ledger reason
-- and note they leave, IN002 (unknown product or warehouse), IN006 (on_hand below reserved),
-- 22023 (NULL, empty, over-long and control-character ids and texts; zero, negative and absurd
-- quantities) and that a refused call changes nothing.
-- Runs in one transaction that is rolled back; uses only products named 'tap-01-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(89);
\ir include/helpers.sql

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-01-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-01-%')
        + (SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-01-%'),
          0::bigint, 'precondition: no stock, ledger or outbox rows of tap-01-* products exist');

-- inventory_set_stock -------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT product_id, warehouse, name, on_hand, reserved, available, low_stock_threshold, version
        FROM inventory_set_stock('tap-01-a', 10)$$,
    $$VALUES ('tap-01-a'::text, 'main'::text, NULL::text, 10::bigint, 0::bigint, 10::bigint, NULL::bigint, 1::bigint)$$,
    'set_stock creates a row in warehouse main by default and returns it');
SELECT results_eq(
    $$SELECT on_hand, reserved, version FROM inventory.stock WHERE product_id = 'tap-01-a'$$,
    $$VALUES (10::bigint, 0::bigint, 1::bigint)$$,
    'set_stock stored the new row');
SELECT results_eq(
    $$SELECT name, on_hand, low_stock_threshold, version
        FROM inventory_set_stock('tap-01-a', 25, 'main', 'Widget', 4)$$,
    $$VALUES ('Widget'::text, 25::bigint, 4::bigint, 2::bigint)$$,
    'set_stock updates on_hand, name and threshold of an existing row; version rises by one');
SELECT results_eq(
    $$SELECT name, on_hand, low_stock_threshold, version FROM inventory_set_stock('tap-01-a', 20)$$,
    $$VALUES ('Widget'::text, 20::bigint, 4::bigint, 3::bigint)$$,
    'set_stock keeps name and threshold when they are NULL');
SELECT results_eq(
    $$SELECT on_hand_delta, reserved_delta, on_hand_after, reason FROM inventory.ledger
       WHERE product_id = 'tap-01-a' ORDER BY version$$,
    $$VALUES (10::bigint, 0::bigint, 10::bigint, 'set'::text), (15, 0, 25, 'set'), (-5, 0, 20, 'set')$$,
    'set_stock writes the difference to the old on_hand in the ledger, reason set');
SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_set_stock('tap-01-a', 20)$$,
    $$VALUES (20::bigint, 4::bigint)$$,
    'set_stock to the current on_hand still counts as a change: version rises');
SELECT results_eq(
    $$SELECT l.on_hand_delta, l.reason, (SELECT count(*) FROM inventory.outbox o WHERE o.aggregateid = l.product_id
                                            AND o.warehouse = l.warehouse AND o.version = l.version
                                            AND o.type = 'inventory.updated')
        FROM inventory.ledger l WHERE product_id = 'tap-01-a' AND version = 4$$,
    $$VALUES (0::bigint, 'set'::text, 1::bigint)$$,
    '... with a zero-delta ledger row and one inventory.updated event (every call is audited)');
SELECT results_eq(
    $$SELECT warehouse, on_hand FROM inventory_set_stock('tap-01-a', 0, 'tap-01-wh2')$$,
    $$VALUES ('tap-01-wh2'::text, 0::bigint)$$,
    'set_stock accepts on_hand 0 and a named warehouse');
SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id = 'tap-01-a'), 2::bigint,
          'the product now has one row per warehouse');

-- inventory_restock ---------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT on_hand, reserved, available, version FROM inventory_restock('tap-01-a', 5)$$,
    $$VALUES (25::bigint, 0::bigint, 25::bigint, 5::bigint)$$,
    'restock adds to on_hand of warehouse main by default and returns the row');
SELECT results_eq(
    $$SELECT on_hand FROM inventory_restock('tap-01-a', 7, 'tap-01-wh2', 'delivery 42')$$,
    $$VALUES (7::bigint)$$,
    'restock adds to the named warehouse');
SELECT results_eq(
    $$SELECT on_hand_delta, reserved_delta, reason, note FROM inventory.ledger
       WHERE product_id = 'tap-01-a' AND warehouse = 'tap-01-wh2' ORDER BY version DESC LIMIT 1$$,
    $$VALUES (7::bigint, 0::bigint, 'restock'::text, 'delivery 42'::text)$$,
    'restock writes a ledger row with reason restock and the note');
SELECT is((SELECT on_hand FROM inventory.stock WHERE product_id = 'tap-01-a' AND warehouse = 'main'),
          25::bigint, 'restock of another warehouse left main alone');

-- inventory_adjust ----------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_adjust('tap-01-a', 3, 'stock count')$$,
    $$VALUES (28::bigint, 6::bigint)$$,
    'adjust with a positive delta raises on_hand');
SELECT results_eq(
    $$SELECT on_hand FROM inventory_adjust('tap-01-a', -4, 'shrinkage', 'main')$$,
    $$VALUES (24::bigint)$$,
    'adjust with a negative delta lowers on_hand');
SELECT results_eq(
    $$SELECT on_hand_delta, reason, note FROM inventory.ledger
       WHERE product_id = 'tap-01-a' AND warehouse = 'main' ORDER BY version DESC LIMIT 2$$,
    $$VALUES (-4::bigint, 'adjust'::text, 'shrinkage'::text), (3, 'adjust', 'stock count')$$,
    'adjust writes reason adjust with the caller''s reason as note');
SELECT results_eq(
    $$SELECT on_hand FROM inventory_adjust('tap-01-a', -7, 'write-off', 'tap-01-wh2')$$,
    $$VALUES (0::bigint)$$,
    'adjust may bring on_hand down to exactly zero');

-- inventory_remove ----------------------------------------------------------------------------

SELECT lives_ok($$SELECT inventory_remove('tap-01-a', 'tap-01-wh2')$$, 'remove deletes a row that holds no reservations');
SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id = 'tap-01-a' AND warehouse = 'tap-01-wh2'),
          0::bigint, 'the removed row is gone');
SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id = 'tap-01-a' AND warehouse = 'main'),
          1::bigint, 'the product''s other warehouse is untouched');
DO $$ BEGIN PERFORM inventory_set_stock('tap-01-r', 9, 'main', 'Removed soon'); END $$;
SELECT lives_ok($$SELECT inventory_remove('tap-01-r')$$, 'remove works on warehouse main by default');
SELECT results_eq(
    $$SELECT on_hand_delta, on_hand_after, reason FROM inventory.ledger
       WHERE product_id = 'tap-01-r' ORDER BY version DESC LIMIT 1$$,
    $$VALUES (-9::bigint, 0::bigint, 'remove'::text)$$,
    'remove first takes the whole on_hand out through the ledger');
SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_set_stock('tap-01-r', 4)$$,
    $$VALUES (4::bigint, 3::bigint)$$,
    'a removed product can be stocked again; its version continues after the ledger''s last');
SELECT is((SELECT sum(on_hand_delta) FROM inventory.ledger WHERE product_id = 'tap-01-r'), 4::numeric,
          'the recreated row''s ledger still sums to its on_hand');

-- IN002: unknown product or warehouse ---------------------------------------------------------

SELECT throws_ok($$SELECT inventory_restock('tap-01-nothing', 1)$$, 'IN002', NULL,
                 'restock of an unknown product: IN002');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', 1, 'tap-01-nowhere')$$, 'IN002', NULL,
                 'restock in a warehouse that does not stock the product: IN002');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-nothing', 1, 'count')$$, 'IN002', NULL,
                 'adjust of an unknown product: IN002');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', -1, 'count', 'tap-01-nowhere')$$, 'IN002', NULL,
                 'adjust in an unknown warehouse: IN002');
SELECT throws_ok($$SELECT inventory_remove('tap-01-nothing')$$, 'IN002', NULL,
                 'remove of an unknown product: IN002');
SELECT throws_ok($$SELECT inventory_remove('tap-01-a', 'tap-01-wh2')$$, 'IN002', NULL,
                 'removing a row twice: IN002');
SELECT throws_matching($$SELECT inventory_restock('tap-01-nothing', 1, 'tap-01-nowhere')$$,
                       'tap-01-nothing.*tap-01-nowhere',
                       'the IN002 message names the product and the warehouse');

-- IN006: on_hand below reserved ---------------------------------------------------------------

DO $$ BEGIN PERFORM inventory_set_stock('tap-01-b', 10); END $$;
SELECT ok((SELECT count(*) FROM inventory_reserve('tap-01-order-1', 'tap-01-b', 8, 'main')) = 1,
          'setup: 8 of tap-01-b are reserved');
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-01-') AS state;
SELECT throws_ok($$SELECT inventory_adjust('tap-01-b', -3, 'shrinkage')$$, 'IN006', NULL,
                 'adjust that leaves on_hand below reserved: IN006');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-b', -11, 'shrinkage')$$, 'IN006', NULL,
                 'adjust that makes on_hand negative: IN006');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-b', 7)$$, 'IN006', NULL,
                 'set_stock below reserved: IN006');
SELECT throws_ok($$SELECT inventory_remove('tap-01-b')$$, 'IN006', NULL,
                 'remove while stock is reserved: IN006');
SELECT throws_matching($$SELECT inventory_set_stock('tap-01-b', 7)$$, 'tap-01-b.*main.*7.*8',
                       'the IN006 message names product, warehouse, the new on_hand and the reserved quantity');
SELECT is(pg_temp.tap_state('tap-01-'), (SELECT state FROM tap_before),
          'refused IN006 calls changed no stock, reservation, ledger or outbox row');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory_adjust('tap-01-b', -2, 'shrinkage')$$,
                  $$VALUES (8::bigint, 8::bigint)$$, 'adjust down to exactly reserved is allowed');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory_set_stock('tap-01-b', 8)$$,
                  $$VALUES (8::bigint, 8::bigint)$$, 'set_stock to exactly reserved is allowed');

-- 22023: invalid arguments --------------------------------------------------------------------

DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-01-') AS state;

SELECT throws_ok($$SELECT inventory_set_stock(NULL, 1)$$, '22023', NULL, 'set_stock: NULL product_id');
SELECT throws_ok($$SELECT inventory_set_stock('', 1)$$, '22023', NULL, 'set_stock: empty product_id');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-' || repeat('x', 194), 1)$$, '22023', NULL,
                 'set_stock: product_id of 201 bytes');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-' || repeat('é', 97), 1)$$, '22023', NULL,
                 'set_stock: product_id of 201 bytes in 104 characters (the limit counts bytes)');
SELECT throws_ok($$SELECT inventory_set_stock(E'tap-01-\x01', 1)$$, '22023', NULL,
                 'set_stock: product_id with a control character');
SELECT throws_ok($$SELECT inventory_set_stock(E'tap-01-\n', 1)$$, '22023', NULL,
                 'set_stock: product_id with a newline');
SELECT throws_ok($$SELECT inventory_set_stock(E'tap-01-\x7f', 1)$$, '22023', NULL,
                 'set_stock: product_id with DEL');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', NULL)$$, '22023', NULL, 'set_stock: NULL on_hand');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', -1)$$, '22023', NULL, 'set_stock: negative on_hand');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1000000001)$$, '22023', NULL,
                 'set_stock: on_hand above inventory.max_quantity');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1, NULL)$$, '22023', NULL, 'set_stock: NULL warehouse');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1, '')$$, '22023', NULL, 'set_stock: empty warehouse');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1, repeat('w', 201))$$, '22023', NULL,
                 'set_stock: warehouse of 201 bytes');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1, E'w\t1')$$, '22023', NULL,
                 'set_stock: warehouse with a tab');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1, 'main', '')$$, '22023', NULL, 'set_stock: empty name');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1, 'main', repeat('n', 1001))$$, '22023', NULL,
                 'set_stock: name of 1001 bytes');
SELECT throws_ok($$SELECT inventory_set_stock('tap-01-c', 1, 'main', NULL, -1)$$, '22023', NULL,
                 'set_stock: negative low_stock_threshold');

SELECT throws_ok($$SELECT inventory_restock('tap-01-a', 0)$$, '22023', NULL, 'restock: zero quantity');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', -5)$$, '22023', NULL, 'restock: negative quantity');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', NULL)$$, '22023', NULL, 'restock: NULL quantity');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', 1000000001)$$, '22023', NULL,
                 'restock: quantity above inventory.max_quantity');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', 9223372036854775807)$$, '22023', NULL,
                 'restock: quantity of 2^63-1');
SELECT throws_ok($$SELECT inventory_restock(NULL, 1)$$, '22023', NULL, 'restock: NULL product_id');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', 1, NULL)$$, '22023', NULL, 'restock: NULL warehouse');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', 1, 'main', '')$$, '22023', NULL, 'restock: empty note');
SELECT throws_ok($$SELECT inventory_restock('tap-01-a', 1, 'main', E'bad\x02note')$$, '22023', NULL,
                 'restock: note with a control character');

SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', 0, 'count')$$, '22023', NULL, 'adjust: zero delta');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', NULL, 'count')$$, '22023', NULL, 'adjust: NULL delta');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', 1000000001, 'count')$$, '22023', NULL,
                 'adjust: delta above inventory.max_quantity');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', -1000000001, 'count')$$, '22023', NULL,
                 'adjust: delta below -inventory.max_quantity');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', -9223372036854775808, 'count')$$, '22023', NULL,
                 'adjust: delta of -2^63');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', 1, NULL)$$, '22023', NULL, 'adjust: NULL reason');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', 1, '')$$, '22023', NULL, 'adjust: empty reason');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', 1, repeat('r', 1001))$$, '22023', NULL,
                 'adjust: reason of 1001 bytes');
SELECT throws_ok($$SELECT inventory_adjust('', 1, 'count')$$, '22023', NULL, 'adjust: empty product_id');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-a', 1, 'count', NULL)$$, '22023', NULL, 'adjust: NULL warehouse');

SELECT throws_ok($$SELECT inventory_remove(NULL)$$, '22023', NULL, 'remove: NULL product_id');
SELECT throws_ok($$SELECT inventory_remove('tap-01-a', NULL)$$, '22023', NULL, 'remove: NULL warehouse');
SELECT throws_ok($$SELECT inventory_remove('tap-01-a', E'ma\rin')$$, '22023', NULL,
                 'remove: warehouse with a control character');

SELECT is(pg_temp.tap_state('tap-01-'), (SELECT state FROM tap_before),
          'refused 22023 calls changed no stock, reservation, ledger or outbox row');
SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-01-c%'), 0::bigint,
          'no refused set_stock created a row');

-- Boundaries ------------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT octet_length(product_id), on_hand FROM inventory_set_stock('tap-01-' || repeat('é', 96) || 'x', 3)$$,
    $$VALUES (200, 3::bigint)$$,
    'an id of exactly 200 bytes is accepted');
SET LOCAL inventory.max_quantity = 1000;
SELECT results_eq($$SELECT on_hand FROM inventory_set_stock('tap-01-d', 1000)$$, $$VALUES (1000::bigint)$$,
                  'on_hand equal to inventory.max_quantity is accepted');
SELECT throws_ok($$SELECT inventory_restock('tap-01-d', 1001)$$, '22023', NULL,
                 'a lowered inventory.max_quantity is enforced by restock');
SELECT results_eq($$SELECT on_hand FROM inventory_restock('tap-01-d', 1000)$$, $$VALUES (2000::bigint)$$,
                  'inventory.max_quantity limits one call, not the stock level');
SELECT throws_ok($$SELECT inventory_adjust('tap-01-d', -1001, 'count')$$, '22023', NULL,
                 'a lowered inventory.max_quantity is enforced by adjust');
SET LOCAL inventory.max_quantity TO DEFAULT;

-- Every successful change kept the ledger in step ---------------------------------------------

SELECT is_empty(
    $$SELECT s.product_id, s.warehouse FROM inventory.stock s
        LEFT JOIN (SELECT product_id, warehouse, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved,
                          max(version) AS version
                     FROM inventory.ledger GROUP BY 1, 2) l USING (product_id, warehouse)
       WHERE s.product_id LIKE 'tap-01-%'
         AND (l.on_hand IS DISTINCT FROM s.on_hand OR l.reserved IS DISTINCT FROM s.reserved
              OR l.version IS DISTINCT FROM s.version)$$,
    'ledger sums and last version equal every tap-01 stock row');
SELECT is((SELECT sum(on_hand_delta) FROM inventory.ledger WHERE product_id = 'tap-01-a' AND warehouse = 'tap-01-wh2'),
          0::numeric, 'the removed row''s ledger sums to zero');

SELECT * FROM finish();
ROLLBACK;
