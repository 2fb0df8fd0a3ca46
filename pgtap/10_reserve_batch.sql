-- 10_reserve_batch.sql
-- inventory_reserve_batch: many reservation requests in one call.
-- Equivalence: a mixed batch (several products and warehouses, a split allocation, idempotent
-- repeats whole and partial, an idempotency conflict, short and invalid requests, a row drained in
-- the middle of the batch with its out_of_stock alert, two requests of one order, summed lines,
-- per-request ttl and actor, on-the-spot expiry) gives exactly what the same requests give run one
-- after another with inventory_reserve_order: outcomes and messages, reservations, ledger rows
-- with their versions and actors, outbox events in order with their before/after quantities and
-- alerts, and stock rows. The two runs use twin products ('tap-10-s-*' one by one, 'tap-10-b-*' in
-- one batch) set up identically.
-- Also: the result's shape, shortages at the moment of decision, on-the-spot expiry of only as many
-- overdue reservations as the shortfall needs (oldest first) and none for a request that ends
-- short, each stock row written once per batch, the request bound, whole-call errors, and grants.
-- Runs in one transaction that is rolled back; uses only products named 'tap-10-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(41);
\ir include/helpers.sql

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-10-%'), 0::bigint,
          'precondition: no stock rows of tap-10-* products exist');

-- The same stock and history for one twin: a/main 6, a/east 3, b 2, c 10 with three overdue
-- reservations (deadlines 3, 2 and 1 minutes ago) of 2 each, d 9 with a threshold of 6; order o1
-- already holds 1 of d.
CREATE FUNCTION pg_temp.tap_twin(prefix text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    minutes integer;
BEGIN
    PERFORM inventory_set_stock(prefix || 'a', 6, 'main');
    PERFORM inventory_set_stock(prefix || 'a', 3, 'east');
    PERFORM inventory_set_stock(prefix || 'b', 2);
    PERFORM inventory_set_stock(prefix || 'c', 10);
    PERFORM inventory_set_stock(prefix || 'd', 9, 'main', 'Dee', 6);
    FOR minutes IN 1..3 LOOP
        PERFORM inventory_reserve(prefix || 'old' || minutes, prefix || 'c', 2);
        UPDATE inventory.reservations SET expires_at = now() - make_interval(mins => 4 - minutes)
         WHERE order_id = prefix || 'old' || minutes;
    END LOOP;
    UPDATE inventory.stock SET next_expiry = now() - interval '3 minutes' WHERE product_id = prefix || 'c';
    PERFORM inventory_reserve(prefix || 'o1', prefix || 'd', 1);
END
$$;

-- The requests, with {p} standing for the twin's prefix.
CREATE TEMP TABLE tap_requests AS
SELECT replace($json$[
  {"order_id": "{p}o2", "lines": [{"product_id": "{p}a", "quantity": 4}]},
  {"order_id": "{p}o3", "lines": [{"product_id": "{p}a", "quantity": 4}, {"product_id": "{p}b", "quantity": 1}]},
  {"order_id": "{p}o2", "lines": [{"product_id": "{p}a", "quantity": 4}]},
  {"order_id": "{p}o4", "lines": [{"product_id": "{p}b", "quantity": 5}]},
  {"order_id": "{p}o5", "lines": []},
  {"order_id": "{p}o6", "lines": [{"product_id": "{p}nope", "quantity": 1}]},
  {"order_id": "{p}o2", "lines": [{"product_id": "{p}a", "quantity": 5}]},
  {"order_id": "{p}o7", "lines": [{"product_id": "{p}b", "quantity": 1}]},
  {"order_id": "{p}o8", "lines": [{"product_id": "{p}b", "quantity": 1}]},
  {"order_id": "{p}o9", "lines": [{"product_id": "{p}c", "quantity": 8}]},
  {"order_id": "{p}o10", "lines": [{"product_id": "{p}c", "quantity": 20}]},
  {"order_id": "{p}o11", "lines": [{"product_id": "{p}d", "quantity": 1}, {"product_id": "{p}d", "quantity": 2}],
   "ttl_seconds": 60, "actor": "alice"},
  {"order_id": "{p}o1", "lines": [{"product_id": "{p}d", "quantity": 1}, {"product_id": "{p}a", "quantity": 1, "warehouse": "main"}]},
  {"order_id": "{p}o12", "lines": [{"product_id": "{p}a", "quantity": 1, "warehouse": "west"}]},
  {"order_id": "{p}o13", "lines": [{"product_id": "{p}d", "quantity": 3}, {"product_id": "{p}a", "quantity": 9}]},
  {"order_id": "{p}o14", "lines": [{"product_id": "{p}d", "quantity": 0}]}
]$json$, '{p}', 'tap-10-' || twin || '-') AS requests, twin
  FROM (VALUES ('s'), ('b')) t(twin);

-- Outcomes as inventory_reserve_order gives them one by one: reserved or repeated by whether a row
-- was created, short for IN001, invalid for any other error (each in its own subtransaction, as
-- a separate call would be).
CREATE TEMP TABLE tap_sequential (request_index integer, outcome text, error_code text, error_message text,
                                  rows_returned text);
CREATE FUNCTION pg_temp.tap_run_sequentially() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    request jsonb;
    position integer := 0;
    returned text;
    created_any boolean;
BEGIN
    FOR request IN SELECT jsonb_array_elements(requests::jsonb) FROM tap_requests WHERE twin = 's' LOOP
        BEGIN
            PERFORM set_config('inventory.actor', coalesce(request->>'actor', ''), true);
            SELECT string_agg(format('%s/%s/%s/%s/%s', r.product_id, r.warehouse, r.quantity, r.status, r.created),
                              ', ' ORDER BY ordinality), bool_or(r.created)
              INTO returned, created_any
              FROM inventory_reserve_order(request->>'order_id', request->'lines',
                                           make_interval(secs => (request->>'ttl_seconds')::double precision))
                   WITH ORDINALITY r;
            INSERT INTO tap_sequential VALUES (position, CASE WHEN created_any THEN 'reserved' ELSE 'repeated' END,
                                               NULL, NULL, returned);
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO tap_sequential VALUES (position, CASE WHEN SQLSTATE = 'IN001' THEN 'short' ELSE 'invalid' END,
                                               SQLSTATE, SQLERRM, NULL);
        END;
        PERFORM set_config('inventory.actor', '', true);
        position := position + 1;
    END LOOP;
END
$$;

DO $$ BEGIN PERFORM pg_temp.tap_twin('tap-10-s-'); PERFORM pg_temp.tap_twin('tap-10-b-'); END $$;

DO $$ BEGIN PERFORM pg_temp.tap_run_sequentially(); END $$;
CREATE TEMP TABLE tap_versions_before AS
SELECT product_id, warehouse, version FROM inventory.stock WHERE product_id LIKE 'tap-10-b-%';
CREATE TEMP TABLE tap_updates_by_batch AS
SELECT -n_tup_upd AS before FROM pg_stat_xact_user_tables WHERE relid = 'inventory.stock'::regclass;
CREATE TEMP TABLE tap_batch AS
SELECT * FROM inventory_reserve_batch((SELECT requests::jsonb FROM tap_requests WHERE twin = 'b'));
UPDATE tap_updates_by_batch
   SET before = before + (SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'inventory.stock'::regclass);

-- Names of the batch twin written as the sequential twin's, for comparison.
CREATE FUNCTION pg_temp.tap_s(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT replace(value, 'tap-10-b-', 'tap-10-s-')
$$;

-- Equivalence ---------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT request_index, outcome, error_code, pg_temp.tap_s(error_message),
             (SELECT string_agg(format('%s/%s/%s/%s/%s', pg_temp.tap_s(r.product_id), r.warehouse, r.quantity,
                                       r.status, r.created), ', ' ORDER BY ordinality)
                FROM unnest(reservations) WITH ORDINALITY r)
        FROM tap_batch ORDER BY request_index$$,
    $$SELECT request_index, outcome, error_code, error_message, rows_returned FROM tap_sequential ORDER BY request_index$$,
    'every request gets the outcome, message and rows it gets from inventory_reserve_order one by one');
SELECT results_eq(
    $$SELECT outcome, count(*)::integer FROM tap_sequential GROUP BY outcome ORDER BY outcome$$,
    $$VALUES ('invalid'::text, 5), ('repeated', 1), ('reserved', 6), ('short', 4)$$,
    'the batch mixes reserved, repeated, short and invalid requests');
SELECT results_eq(
    $$SELECT pg_temp.tap_s(order_id), pg_temp.tap_s(product_id), warehouse, quantity, status, expires_at, created_at, updated_at
        FROM inventory.reservations WHERE product_id LIKE 'tap-10-b-%' ORDER BY 1, 2, 3, status$$,
    $$SELECT order_id, product_id, warehouse, quantity, status, expires_at, created_at, updated_at
        FROM inventory.reservations WHERE product_id LIKE 'tap-10-s-%' ORDER BY 1, 2, 3, status$$,
    'the same reservations, deadlines and statuses');
SELECT results_eq(
    $$SELECT pg_temp.tap_s(l.product_id), l.warehouse, l.version, l.on_hand_delta, l.reserved_delta, l.on_hand_after,
             l.reserved_after, l.reason, l.note, pg_temp.tap_s(l.order_id), l.actor,
             pg_temp.tap_s(r.order_id) || '/' || r.warehouse
        FROM inventory.ledger l LEFT JOIN inventory.reservations r ON r.id = l.reservation_id
       WHERE l.product_id LIKE 'tap-10-b-%' ORDER BY 1, 2, 3$$,
    $$SELECT l.product_id, l.warehouse, l.version, l.on_hand_delta, l.reserved_delta, l.on_hand_after,
             l.reserved_after, l.reason, l.note, l.order_id, l.actor, r.order_id || '/' || r.warehouse
        FROM inventory.ledger l LEFT JOIN inventory.reservations r ON r.id = l.reservation_id
       WHERE l.product_id LIKE 'tap-10-s-%' ORDER BY 1, 2, 3$$,
    'the same ledger rows: one per reservation and expiry, each with its own version, reason and actor');
SELECT results_eq(
    $$SELECT pg_temp.tap_s(aggregateid), warehouse, version, aggregatetype, type,
             pg_temp.tap_s(payload->>'productId'), payload->>'version', payload->>'reason',
             payload->>'previousQuantity', payload->>'newQuantity', payload->>'onHand', payload->>'reserved',
             payload->>'available', payload->>'lowStockThreshold', pg_temp.tap_s(payload->>'orderId'),
             (payload->>'reservationId' IS NULL)
        FROM inventory.outbox WHERE aggregateid LIKE 'tap-10-b-%' ORDER BY seq$$,
    $$SELECT aggregateid, warehouse, version, aggregatetype, type, payload->>'productId', payload->>'version',
             payload->>'reason', payload->>'previousQuantity', payload->>'newQuantity', payload->>'onHand',
             payload->>'reserved', payload->>'available', payload->>'lowStockThreshold', payload->>'orderId',
             (payload->>'reservationId' IS NULL)
        FROM inventory.outbox WHERE aggregateid LIKE 'tap-10-s-%' ORDER BY seq$$,
    'the same events in the same order, alerts included, with the same before/after quantities');
SELECT results_eq(
    $$SELECT pg_temp.tap_s(product_id), warehouse, on_hand, reserved, version, low_stock_threshold, next_expiry
        FROM inventory.stock WHERE product_id LIKE 'tap-10-b-%' ORDER BY 1, 2$$,
    $$SELECT product_id, warehouse, on_hand, reserved, version, low_stock_threshold, next_expiry
        FROM inventory.stock WHERE product_id LIKE 'tap-10-s-%' ORDER BY 1, 2$$,
    'the same stock rows, versions and next deadlines');
SELECT results_eq(
    $$SELECT o.payload->>'reservationId' = l.reservation_id::text AND o.id::text = o.payload->>'eventId'
        FROM inventory.outbox o JOIN inventory.ledger l
          ON l.product_id = o.aggregateid AND l.warehouse = o.warehouse AND l.version = o.version
       WHERE o.aggregateid LIKE 'tap-10-b-%' AND o.type = 'inventory.updated' AND l.reservation_id IS NOT NULL
       GROUP BY 1$$,
    $$VALUES (true)$$,
    'each batch event names its own reservation and carries its id as eventId');
SELECT * FROM pg_temp.tap_consistency('tap-10-b-');

-- What the batch decided, request by request --------------------------------------------------

SELECT is((SELECT count(*)::integer FROM tap_batch), 16, 'one row per request');
SELECT results_eq($$SELECT request_index FROM tap_batch$$, $$SELECT generate_series(0, 15)$$,
                  'rows come in input order with the 0-based request index');
SELECT results_eq(
    $$SELECT order_id, outcome FROM tap_batch WHERE request_index IN (0, 1, 2) ORDER BY request_index$$,
    $$VALUES ('tap-10-b-o2'::text, 'reserved'::text), ('tap-10-b-o3', 'reserved'), ('tap-10-b-o2', 'repeated')$$,
    'a later request of the same order sees the earlier one: an exact repeat is repeated');
SELECT results_eq(
    $$SELECT r.warehouse, r.quantity FROM tap_batch b, unnest(b.reservations) r WHERE b.request_index = 1
       ORDER BY r.product_id, r.warehouse$$,
    $$VALUES ('east'::text, 3::bigint), ('main', 1), ('main', 1)$$,
    'a line is split across warehouses, most available first (a: east 3 then main 1; b: 1)');
SELECT is((SELECT shortages FROM tap_batch WHERE request_index = 3),
          '[{"product_id": "tap-10-b-b", "warehouse": null, "requested": 5, "available": 1}]'::jsonb,
          'a short request reports each short line with what was available at that moment');
SELECT results_eq(
    $$SELECT request_index, error_code FROM tap_batch WHERE outcome = 'invalid' ORDER BY request_index$$,
    $$VALUES (4, '22023'::text), (5, 'IN002'), (6, 'IN005'), (13, 'IN002'), (15, '22023')$$,
    'invalid requests carry their SQLSTATE: bad lines 22023, unknown product or warehouse IN002, conflict IN005');
SELECT results_eq(
    $$SELECT request_index, outcome, shortages->0->>'available' FROM tap_batch WHERE request_index IN (7, 8) ORDER BY 1$$,
    $$VALUES (7, 'reserved'::text, NULL::text), (8, 'short', '0')$$,
    'a request drains a row in the middle of the batch: the next one finds it empty');
SELECT ok((SELECT reservations IS NULL AND shortages IS NULL FROM tap_batch WHERE request_index = 5)
          AND (SELECT error_code IS NULL AND error_message IS NULL AND shortages IS NULL FROM tap_batch WHERE request_index = 0),
          'reservations only for granted requests, shortages only for short ones, errors only for refused ones');
SELECT results_eq(
    $$SELECT r.product_id, r.quantity, r.created FROM tap_batch b, unnest(b.reservations) WITH ORDINALITY r
       WHERE b.request_index = 12 ORDER BY ordinality$$,
    $$VALUES ('tap-10-b-d'::text, 1::bigint, false), ('tap-10-b-a', 1, true)$$,
    'a partial repeat returns the held reservation first, then the new one, and counts as reserved');
SELECT results_eq(
    $$SELECT r.quantity, r.expires_at - now(), l.actor
        FROM tap_batch b, unnest(b.reservations) r JOIN inventory.ledger l ON l.reservation_id = r.reservation_id
       WHERE b.request_index = 11$$,
    $$VALUES (3::bigint, interval '60 seconds', 'alice'::text)$$,
    'lines of one product are summed; the request''s ttl_seconds and actor are its own');
SELECT is((SELECT actor FROM inventory.ledger l JOIN inventory.reservations r ON r.id = l.reservation_id
            WHERE r.order_id = 'tap-10-b-o2'), NULL, 'a request without actor records the setting (empty: none)');

-- On-the-spot expiry --------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT order_id, status FROM inventory.reservations WHERE order_id LIKE 'tap-10-b-old%' ORDER BY order_id$$,
    $$VALUES ('tap-10-b-old1'::text, 'expired'::text), ('tap-10-b-old2', 'expired'), ('tap-10-b-old3', 'active')$$,
    'a request short by 4 expires only the two oldest overdue reservations (2 each), not the third');
SELECT is((SELECT error_message FROM tap_batch WHERE request_index = 10),
          'insufficient stock for order "tap-10-b-o10": product "tap-10-b-c": requested 20, available 2',
          'a request still short after counting the overdue stock is short, with that stock counted as available');
SELECT is((SELECT count(*) FROM inventory.ledger WHERE product_id = 'tap-10-b-c' AND reason = 'expire'), 2::bigint,
          '... and expires nothing: the overdue reservation stays for the reaper');
SELECT ok((SELECT next_expiry = (SELECT expires_at FROM inventory.reservations WHERE order_id = 'tap-10-b-old3')
             FROM inventory.stock WHERE product_id = 'tap-10-b-c'),
          'the row''s next_expiry moves to the deadline of its oldest remaining active reservation');

-- Each stock row written once -----------------------------------------------------------------

SELECT is((SELECT before FROM tap_updates_by_batch)::integer,
          (SELECT count(*)::integer FROM inventory.stock s JOIN tap_versions_before b USING (product_id, warehouse)
            WHERE s.version <> b.version),
          'the batch updated each stock row it changed exactly once');
SELECT results_eq(
    $$SELECT s.version - b.version FROM inventory.stock s JOIN tap_versions_before b USING (product_id, warehouse)
       WHERE product_id = 'tap-10-b-b'$$,
    $$VALUES (2::bigint)$$,
    '... while its version rose once per reservation (two on b)');

-- A hot row in one batch ----------------------------------------------------------------------

DO $$ BEGIN PERFORM inventory_set_stock('tap-10-hot', 100); END $$;
CREATE TEMP TABLE tap_hot AS
SELECT * FROM inventory_reserve_batch(
    (SELECT jsonb_agg(jsonb_build_object('order_id', 'tap-10-h' || n,
                                         'lines', jsonb_build_array(jsonb_build_object('product_id', 'tap-10-hot', 'quantity', 7))))
       FROM generate_series(1, 20) n));
SELECT results_eq($$SELECT outcome, count(*)::integer FROM tap_hot GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('reserved'::text, 14), ('short', 6)$$,
                  '20 buyers of 7 from 100 units in one batch: 14 grants, then 6 shortages (never oversold)');
SELECT results_eq($$SELECT on_hand, reserved, version FROM inventory.stock WHERE product_id = 'tap-10-hot'$$,
                  $$VALUES (100::bigint, 98::bigint, 15::bigint)$$,
                  'the hot row holds every grant, one version each');
SELECT results_eq(
    $$SELECT type, count(*)::integer FROM inventory.outbox WHERE aggregateid = 'tap-10-hot' GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('inventory.updated'::text, 15)$$,
    'one inventory.updated event per change');

-- inventory_reserve_batch(product_id, requests): one product's requests, routable by product -----

SELECT inventory_set_stock('tap-10-one', 5);
SELECT results_eq(
    $$SELECT request_index, order_id, outcome, error_code, error_message,
             (SELECT sum(r.quantity) FROM unnest(reservations) r)
        FROM inventory_reserve_batch('tap-10-one', '[
          {"order_id": "tap-10-p1", "lines": [{"product_id": "tap-10-one", "quantity": 3}]},
          {"order_id": "tap-10-p2", "lines": [{"product_id": "tap-10-one", "quantity": 1},
                                             {"product_id": "tap-10-hot", "quantity": 1}]},
          {"order_id": "tap-10-p3", "lines": [{"product_id": "tap-10-one", "quantity": 3}]},
          {"order_id": "tap-10-p1", "lines": [{"product_id": "tap-10-one", "quantity": 3}]}]')$$,
    $$VALUES (0, 'tap-10-p1'::text, 'reserved'::text, NULL::text, NULL::text, 3::numeric),
             (1, 'tap-10-p2', 'invalid', '22023',
              'requests[1] names product "tap-10-hot", not the batch''s product "tap-10-one"', NULL),
             (2, 'tap-10-p3', 'short', 'IN001',
              'insufficient stock for order "tap-10-p3": product "tap-10-one": requested 3, available 2', NULL),
             (3, 'tap-10-p1', 'repeated', NULL, NULL, 3)$$,
    'the product-scoped batch decides its product''s requests in order; a request of another product is invalid (22023)');
SELECT results_eq($$SELECT on_hand, reserved, version FROM inventory.stock WHERE product_id = 'tap-10-one'$$,
                  $$VALUES (5::bigint, 3::bigint, 2::bigint)$$,
                  'only the granted request changed the product''s row');
SELECT is((SELECT count(*)::integer FROM inventory.reservations WHERE order_id = 'tap-10-p2'), 0,
          'the request that named another product reserved nothing, of either product');
SELECT throws_ok($$SELECT * FROM inventory_reserve_batch(NULL::text, '[]')$$, '22023', 'product_id must not be null',
                 'product-scoped batch with a NULL product: 22023');
SELECT ok(has_function_privilege('inventory_writer', 'inventory_reserve_batch(text, jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('inventory_reader', 'inventory_reserve_batch(text, jsonb)', 'EXECUTE'),
          'writers may call the product-scoped batch, readers may not');

-- Whole-call errors, bound and grants ---------------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_reserve_batch(NULL)$$, '22023', 'requests must not be null',
                 'requests NULL: 22023');
SELECT throws_ok($$SELECT * FROM inventory_reserve_batch('{"order_id": "x"}')$$, '22023',
                 'requests must be a JSON array of objects', 'requests not an array: 22023');
SELECT throws_ok($$SELECT * FROM inventory_reserve_batch('[]')$$, '22023', 'requests must not be empty',
                 'no requests: 22023');
SET LOCAL inventory.max_batch_requests = 2;
SELECT throws_ok($$SELECT * FROM inventory_reserve_batch('[{}, {}, {}]')$$, '22023',
                 'requests has 3 entries, more than inventory.max_batch_requests (2)',
                 'more requests than inventory.max_batch_requests: 22023');
RESET inventory.max_batch_requests;
SELECT results_eq(
    $$SELECT error_message FROM inventory_reserve_batch('[1, {"order_id": "tap-10-x", "lines": [], "extra": 1},
        {"order_id": 7, "lines": []}, {"order_id": "tap-10-x", "lines": [{"product_id": "tap-10-hot", "quantity": 1}],
         "ttl_seconds": -5}, {"order_id": "tap-10-x", "lines": [{"product_id": "tap-10-hot", "quantity": 1}],
         "actor": 3}]')$$,
    $$VALUES ('requests[0] must be a JSON object'::text), ('requests[1] has an unknown key "extra"'),
             ('order_id must be a string'), ('ttl must be positive'), ('actor must be a string')$$,
    'malformed requests are invalid on their own, with a precise message');
SELECT ok(has_function_privilege('inventory_writer', 'inventory_reserve_batch(jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('inventory_reader', 'inventory_reserve_batch(jsonb)', 'EXECUTE'),
          'writers may call inventory_reserve_batch, readers may not');

SELECT * FROM finish();
ROLLBACK;
