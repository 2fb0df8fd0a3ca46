-- 12_retries.sql
-- Safe retries from SQL: request ids of inventory_restock, inventory_adjust and inventory_set_stock
-- (a repeat returns the first call's row and changes nothing, even after later changes or a
-- remove; other arguments under the same id are IN005; ids are per product and expire), the
-- Idempotency-Key store of the service (inventory_idempotency_begin / _complete: proceed, replay,
-- mismatch, expiry, IN005 on a second response), the reaper's purge of expired ids and keys, the
-- actor argument of every change (NULL: the inventory.actor setting), and the admin functions'
-- inventory.stock results, also after a column is added to the table.
-- Concurrent repeats (in_progress, a repeat that waits for its first call) are isolation specs.
-- Runs in one transaction that is rolled back; uses only products named 'tap-12-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(55);
\ir include/helpers.sql

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-12-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-12-%')
        + (SELECT count(*) FROM inventory.stock_requests WHERE product_id LIKE 'tap-12-%')
        + (SELECT count(*) FROM inventory.idempotency_keys WHERE subject LIKE 'tap-12-%'),
          0::bigint, 'precondition: no rows of tap-12-* products or subjects exist');

-- Request ids of stock changes ----------------------------------------------------------------

SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_set_stock('tap-12-a', 10, 'main', 'Mug', 2, 'set-1')$$,
    $$VALUES (10::bigint, 1::bigint)$$, 'set_stock with a request id creates the row');
SELECT results_eq(
    $$SELECT on_hand, version, name, low_stock_threshold FROM inventory_set_stock('tap-12-a', 10, 'main', 'Mug', 2, 'set-1')$$,
    $$VALUES (10::bigint, 1::bigint, 'Mug'::text, 2::bigint)$$, 'a repeat returns the first row');
SELECT is((SELECT count(*) FROM inventory.ledger WHERE product_id = 'tap-12-a'), 1::bigint,
          '... and writes no ledger row');
SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_restock('tap-12-a', 5, 'main', 'PO-1', 'restock-1')$$,
    $$VALUES (15::bigint, 2::bigint)$$, 'restock with a request id adds once');
SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_adjust('tap-12-a', -3, 'broken', 'main', 'adjust-1')$$,
    $$VALUES (12::bigint, 3::bigint)$$, 'adjust with a request id applies once');

CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-12-') AS state;
SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_restock('tap-12-a', 5, 'main', 'PO-1', 'restock-1')$$,
    $$VALUES (15::bigint, 2::bigint)$$,
    'a repeated restock returns the first call''s row, not the current one');
SELECT results_eq(
    $$SELECT on_hand, version FROM inventory_adjust('tap-12-a', -3, 'broken', 'main', 'adjust-1')$$,
    $$VALUES (12::bigint, 3::bigint)$$, 'a repeated adjust returns the first call''s row');
SELECT is(pg_temp.tap_state('tap-12-'), (SELECT state FROM tap_before), 'repeats change nothing');
SELECT throws_ok($$SELECT inventory_restock('tap-12-a', 6, 'main', 'PO-1', 'restock-1')$$, 'IN005', NULL,
                 'the same id with another quantity: IN005');
SELECT throws_ok($$SELECT inventory_restock('tap-12-a', 5, 'main', 'PO-2', 'restock-1')$$, 'IN005', NULL,
                 'the same id with another note: IN005');
SELECT throws_ok($$SELECT inventory_adjust('tap-12-a', 5, 'found', 'main', 'restock-1')$$, 'IN005', NULL,
                 'the same id for another operation: IN005');
SELECT throws_matching($$SELECT inventory_set_stock('tap-12-a', 11, 'main', 'Mug', 2, 'set-1')$$,
                       'request id "set-1" of product "tap-12-a" was already used by a different request',
                       'the IN005 message names the id and the product');
DO $$ BEGIN PERFORM inventory_set_stock('tap-12-a', 3, 'east'); END $$;
SELECT throws_ok($$SELECT inventory_restock('tap-12-a', 5, 'east', 'PO-1', 'restock-1')$$, 'IN005', NULL,
                 'the same id on another warehouse of the product: IN005');
SELECT results_eq(
    $$SELECT product_id, on_hand FROM inventory_set_stock('tap-12-b', 4, 'main', NULL, NULL, 'restock-1')$$,
    $$VALUES ('tap-12-b'::text, 4::bigint)$$, 'request ids are per product: another product may use the same id');
SELECT throws_ok($$SELECT inventory_restock('tap-12-a', 1, 'main', NULL, '')$$, '22023', NULL,
                 'an empty request id: 22023');
SELECT throws_ok($$SELECT inventory_restock('tap-12-a', 1, 'main', NULL, repeat('r', 201))$$, '22023', NULL,
                 'a request id of 201 bytes: 22023');

-- A repeat after the row was removed returns the first result and does not bring the row back.
DO $$ BEGIN PERFORM inventory_remove('tap-12-b'); END $$;
SELECT results_eq(
    $$SELECT product_id, on_hand FROM inventory_set_stock('tap-12-b', 4, 'main', NULL, NULL, 'restock-1')$$,
    $$VALUES ('tap-12-b'::text, 4::bigint)$$, 'a repeated set_stock after a remove returns the first row');
SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id = 'tap-12-b'), 0::bigint,
          '... and does not create the row again');

-- An expired id is forgotten: the call applies again, and its record replaces the old one.
UPDATE inventory.stock_requests SET expires_at = now() - interval '1 second'
 WHERE product_id = 'tap-12-a' AND request_id = 'restock-1';
SELECT results_eq(
    $$SELECT on_hand FROM inventory_restock('tap-12-a', 5, 'main', 'PO-1', 'restock-1')$$,
    $$VALUES (17::bigint)$$, 'after its expiry, a request id applies again');
SELECT ok((SELECT expires_at > now() FROM inventory.stock_requests WHERE product_id = 'tap-12-a' AND request_id = 'restock-1'),
          '... and is remembered again for inventory.idempotency_ttl');
SELECT is((SELECT expires_at - created_at FROM inventory.stock_requests
            WHERE product_id = 'tap-12-a' AND request_id = 'set-1'),
          interval '24 hours', 'request ids are kept 24 hours by default');

-- Typed results ------------------------------------------------------------------------------------

SELECT is(pg_typeof(inventory_restock('tap-12-a', 1))::text, 'inventory.stock',
          'restock returns a value of type inventory.stock, not an anonymous record');
SELECT is((inventory_adjust('tap-12-a', 1, 'count')).on_hand, 19::bigint, 'a field of the result reads by name');
SELECT is(pg_typeof(inventory_set_stock('tap-12-a', 19))::text, 'inventory.stock', 'set_stock returns inventory.stock');
ALTER TABLE inventory.stock ADD COLUMN tap_12_extra text;
SELECT results_eq(
    $$SELECT r.on_hand, r.tap_12_extra FROM inventory_restock('tap-12-a', 1) r$$,
    $$VALUES (20::bigint, NULL::text)$$,
    'after a column is added to inventory.stock, restock returns the new row type');
SELECT results_eq(
    $$SELECT r.on_hand, r.tap_12_extra FROM inventory_adjust('tap-12-a', -3, 'broken', 'main', 'adjust-1') r$$,
    $$VALUES (12::bigint, NULL::text)$$,
    '... and a repeat recorded before the change returns its row in the new type');
ALTER TABLE inventory.stock DROP COLUMN tap_12_extra;

-- The actor argument --------------------------------------------------------------------------------

SET LOCAL inventory.actor = 'setting-actor';
DO $$
BEGIN
    PERFORM inventory_set_stock('tap-12-c', 5, 'main', NULL, NULL, NULL, 'arg-set');
    PERFORM inventory_restock('tap-12-c', 1, 'main', NULL, NULL, 'arg-restock');
    PERFORM inventory_adjust('tap-12-c', -1, 'count', 'main', NULL, 'arg-adjust');
    PERFORM inventory_reserve('tap-12-o1', 'tap-12-c', 1, NULL, NULL, 'arg-reserve');
    PERFORM inventory_confirm_order('tap-12-o1', 'arg-confirm');
    PERFORM inventory_release_order('tap-12-o1', 'arg-release');
    PERFORM inventory_reserve_order('tap-12-o2', '[{"product_id": "tap-12-c", "quantity": 1}]', NULL, 'arg-order');
    PERFORM inventory_release_order('tap-12-o2');
    PERFORM inventory_restock('tap-12-c', 1);
END
$$;
SELECT results_eq(
    $$SELECT reason, actor FROM inventory.ledger WHERE product_id = 'tap-12-c' ORDER BY version$$,
    $$VALUES ('set'::text, 'arg-set'::text), ('restock', 'arg-restock'), ('adjust', 'arg-adjust'),
             ('reserve', 'arg-reserve'), ('confirm', 'arg-confirm'), ('release', 'arg-release'),
             ('reserve', 'arg-order'), ('release', 'setting-actor'), ('restock', 'setting-actor')$$,
    'every change records its actor argument, and the inventory.actor setting without one');
DO $$ BEGIN PERFORM inventory_remove('tap-12-c', 'main', 'arg-remove'); END $$;
SELECT is((SELECT actor FROM inventory.ledger WHERE product_id = 'tap-12-c' AND reason = 'remove'), 'arg-remove',
          'remove records its actor argument');
RESET inventory.actor;
SELECT throws_ok($$SELECT inventory_restock('tap-12-a', 1, 'main', NULL, NULL, repeat('a', 1001))$$, '22023', NULL,
                 'an actor of 1001 bytes: 22023');

-- The Idempotency-Key store ----------------------------------------------------------------------

SELECT results_eq(
    $$SELECT outcome, response_status FROM inventory_idempotency_begin('tap-12-alice', 'key-1', 'fp-1')$$,
    $$VALUES ('proceed'::text, NULL::integer)$$, 'a new key: proceed');
SELECT lives_ok(
    $$SELECT inventory_idempotency_complete('tap-12-alice', 'key-1', 'fp-1', 201, '{"order_id":"o"}', 'application/json')$$,
    'complete stores the first response');
SELECT results_eq(
    $$SELECT outcome, response_status, response_body, content_type
        FROM inventory_idempotency_begin('tap-12-alice', 'key-1', 'fp-1')$$,
    $$VALUES ('replay'::text, 201, '{"order_id":"o"}'::text, 'application/json'::text)$$,
    'the same key and fingerprint: replay with the stored status, body and media type');
SELECT results_eq(
    $$SELECT outcome, response_status FROM inventory_idempotency_begin('tap-12-alice', 'key-1', 'fp-2')$$,
    $$VALUES ('mismatch'::text, NULL::integer)$$, 'the same key with another fingerprint: mismatch');
SELECT results_eq(
    $$SELECT outcome FROM inventory_idempotency_begin('tap-12-bob', 'key-1', 'fp-2')$$,
    $$VALUES ('proceed'::text)$$, 'keys are per subject: another subject''s key is new');
SELECT throws_ok(
    $$SELECT inventory_idempotency_complete('tap-12-alice', 'key-1', 'fp-1', 201, 'x', NULL)$$, 'IN005', NULL,
    'a second response for a key: IN005');
SELECT lives_ok(
    $$SELECT inventory_idempotency_complete('', 'tap-12-key', 'fp-3', 204, NULL, NULL)$$,
    'an empty subject (no authentication) and a response without a body are stored');
SELECT results_eq(
    $$SELECT outcome, response_status, response_body IS NULL FROM inventory_idempotency_begin('', 'tap-12-key', 'fp-3')$$,
    $$VALUES ('replay'::text, 204, true)$$, '... and replayed');
SELECT is((SELECT expires_at - created_at FROM inventory.idempotency_keys WHERE subject = 'tap-12-alice'),
          interval '24 hours', 'keys are kept 24 hours by default');
UPDATE inventory.idempotency_keys SET expires_at = now() - interval '1 second' WHERE subject = 'tap-12-alice';
SELECT results_eq(
    $$SELECT outcome FROM inventory_idempotency_begin('tap-12-alice', 'key-1', 'fp-2')$$,
    $$VALUES ('proceed'::text)$$, 'an expired key is new again');
SELECT lives_ok(
    $$SELECT inventory_idempotency_complete('tap-12-alice', 'key-1', 'fp-2', 200, '{}', 'application/json')$$,
    '... and its new response replaces the expired one');
SELECT results_eq(
    $$SELECT fingerprint, response_status FROM inventory.idempotency_keys WHERE subject = 'tap-12-alice'$$,
    $$VALUES ('fp-2'::text, 200)$$, 'the key holds the new response');
SET LOCAL inventory.idempotency_ttl = '10min';
SELECT lives_ok(
    $$SELECT inventory_idempotency_complete('tap-12-carol', 'key-1', 'fp', 200, '{}', 'application/json')$$,
    'a key stored under a shorter inventory.idempotency_ttl');
SELECT is((SELECT expires_at - created_at FROM inventory.idempotency_keys WHERE subject = 'tap-12-carol'),
          interval '10 minutes', '... expires after that time');
RESET inventory.idempotency_ttl;
SELECT throws_ok($$SELECT * FROM inventory_idempotency_begin('tap-12-alice', NULL, 'fp')$$, '22023', NULL,
                 'a NULL key: 22023');
SELECT throws_ok($$SELECT * FROM inventory_idempotency_begin('tap-12-alice', '', 'fp')$$, '22023', NULL,
                 'an empty key: 22023');
SELECT throws_ok($$SELECT * FROM inventory_idempotency_begin('tap-12-alice', repeat('k', 256), 'fp')$$, '22023', NULL,
                 'a key of 256 bytes: 22023');
SELECT throws_ok($$SELECT * FROM inventory_idempotency_begin(NULL, 'key', 'fp')$$, '22023', NULL,
                 'a NULL subject: 22023');
SELECT throws_ok($$SELECT inventory_idempotency_complete('tap-12-dave', 'key', 'fp', 600, NULL, NULL)$$, '22023', NULL,
                 'a response status of 600: 22023');

-- The reaper purges what expired ---------------------------------------------------------------

UPDATE inventory.stock_requests SET expires_at = now() - interval '1 second' WHERE product_id = 'tap-12-a';
UPDATE inventory.idempotency_keys SET expires_at = now() - interval '1 second' WHERE subject LIKE 'tap-12-%';
SELECT lives_ok($$SELECT inventory_expire_reservations()$$, 'the reaper runs');
SELECT is((SELECT count(*) FROM inventory.stock_requests WHERE product_id = 'tap-12-a'), 0::bigint,
          'the reaper deleted the expired request ids');
SELECT is((SELECT count(*) FROM inventory.idempotency_keys WHERE subject LIKE 'tap-12-%'), 0::bigint,
          'the reaper deleted the expired Idempotency-Keys');
SELECT is((SELECT count(*) FROM inventory.idempotency_keys WHERE subject = '' AND idempotency_key = 'tap-12-key'), 1::bigint,
          '... and kept the key that has not expired');

SELECT * FROM pg_temp.tap_consistency('tap-12-');

SELECT * FROM finish();
ROLLBACK;
