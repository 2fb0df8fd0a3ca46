-- 07_ledger_and_outbox.sql
-- The ledger and the outbox that every stock change writes in its own transaction.
-- Ledger: one row per change, versions 1..n without gaps per stock row, after-values equal the
-- running sums of the deltas, sums equal the stock row (zero for a removed row), reason, note,
-- order and reservation ids, database user and the inventory.actor setting.
-- Outbox: exactly one inventory.updated event per ledger row, with every payload field of
-- DESIGN section 4 (eventId = outbox id, type, productId, warehouse, version, reason,
-- previousQuantity, newQuantity, onHand, reserved, available, orderId, reservationId, ISO-8601 UTC
-- timestamp) matching the ledger; per-row seq order equals version order; alerts low_stock,
-- out_of_stock and back_in_stock on inventory.alerts; configurable topics; and the relay
-- functions inventory_outbox_fetch, inventory_outbox_ack and inventory_outbox_ack_events. The
-- relay checks hold on one PostgreSQL and on a Citus coordinator (tests/citus).
-- Runs in one transaction that is rolled back; uses only products named 'tap-07-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(56);
\ir include/helpers.sql

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-07-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-07-%')
        + (SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%'),
          0::bigint, 'precondition: no stock, ledger or outbox rows of tap-07-* products exist');

SET LOCAL inventory.actor = '';
DO $$
BEGIN
    PERFORM inventory_set_stock('tap-07-a', 10, 'main', 'Alpha', 3);         -- a/main v1
    PERFORM inventory_set_stock('tap-07-a', 4, 'tap-07-w2');                 -- a/w2 v1
    PERFORM inventory_set_stock('tap-07-b', 6, 'main', NULL, 4);             -- b v1
    PERFORM inventory_set_stock('tap-07-c', 2);                              -- c v1
END
$$;
SET LOCAL inventory.actor = 'alice';
DO $$
BEGIN
    PERFORM inventory_reserve('tap-07-o1', 'tap-07-a', 7, 'main');          -- a/main v2: available 3, low_stock
    PERFORM inventory_reserve('tap-07-o2', 'tap-07-a', 3, 'main');          -- v3: available 0, out_of_stock
    PERFORM inventory_release(id) FROM inventory.reservations WHERE order_id = 'tap-07-o2';  -- v4: back_in_stock
END
$$;
SET LOCAL inventory.actor = 'bob';
DO $$
BEGIN
    PERFORM inventory_confirm(id) FROM inventory.reservations WHERE order_id = 'tap-07-o1';  -- v5
    PERFORM inventory_ship(id) FROM inventory.reservations WHERE order_id = 'tap-07-o1';     -- v6
    PERFORM inventory_restock('tap-07-a', 5, 'main', 'delivery 7');         -- v7
    PERFORM inventory_adjust('tap-07-a', -1, 'stock count');                -- v8
    PERFORM inventory_reserve_order('tap-07-o3', '[{"product_id": "tap-07-a", "quantity": 2},
                                                   {"product_id": "tap-07-b", "quantity": 1}]');  -- a/main v9, b v2
    PERFORM inventory_reserve('tap-07-o4', 'tap-07-a', 1, 'tap-07-w2');     -- a/w2 v2
    PERFORM pg_temp.tap_make_overdue('tap-07-o4');
    PERFORM inventory_expire_reservations();                                -- a/w2 v3
    PERFORM inventory_reserve('tap-07-o5', 'tap-07-c', 2);                  -- c v2: out_of_stock
    PERFORM inventory_restock('tap-07-c', 1);                               -- c v3: back_in_stock
    PERFORM inventory_set_stock('tap-07-r', 2);                             -- r v1
    PERFORM inventory_remove('tap-07-r');                                   -- r v2
    PERFORM inventory_set_stock('tap-07-c', 3, 'main', NULL, 100);          -- c v4: threshold above available
END
$$;
SET LOCAL inventory.updated_topic = 'tap.custom.updated';
SET LOCAL inventory.alerts_topic = 'tap.custom.alerts';
DO $$ BEGIN PERFORM inventory_adjust('tap-07-b', -2, 'breakage'); END $$;   -- b v3: available 3 <= 4, low_stock
SET LOCAL inventory.updated_topic TO DEFAULT;
SET LOCAL inventory.alerts_topic TO DEFAULT;
SET LOCAL inventory.actor TO DEFAULT;

-- Ledger --------------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT array_agg(reason ORDER BY version) FROM inventory.ledger WHERE product_id = 'tap-07-a' AND warehouse = 'main'$$,
    $$VALUES (ARRAY['set', 'reserve', 'reserve', 'release', 'confirm', 'ship', 'restock', 'adjust', 'reserve'])$$,
    'one ledger row per change, with its reason, in order');
SELECT is_empty(
    $$SELECT product_id, warehouse FROM inventory.ledger WHERE product_id LIKE 'tap-07-%'
       GROUP BY 1, 2 HAVING min(version) <> 1 OR max(version) <> count(*) OR count(DISTINCT version) <> count(*)$$,
    'ledger versions run 1..n without gaps for every stock row');
SELECT is_empty(
    $$SELECT s.product_id, s.warehouse FROM inventory.stock s
        LEFT JOIN (SELECT product_id, warehouse, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved,
                          max(version) AS version
                     FROM inventory.ledger GROUP BY 1, 2) l USING (product_id, warehouse)
       WHERE s.product_id LIKE 'tap-07-%'
         AND (l.on_hand IS DISTINCT FROM s.on_hand OR l.reserved IS DISTINCT FROM s.reserved
              OR l.version IS DISTINCT FROM s.version)$$,
    'for every stock row the ledger deltas sum to on_hand and reserved, and its last version is the row''s');
SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-07-%'), 4::bigint,
          'the check above covered the four remaining stock rows');
SELECT results_eq(
    $$SELECT sum(on_hand_delta)::bigint, sum(reserved_delta)::bigint, count(*) FROM inventory.ledger WHERE product_id = 'tap-07-r'$$,
    $$VALUES (0::bigint, 0::bigint, 2::bigint)$$,
    'a removed row''s ledger stays and sums to zero');
SELECT is_empty(
    $$SELECT * FROM (
        SELECT on_hand_after, reserved_after,
               sum(on_hand_delta) OVER w AS on_hand_sum, sum(reserved_delta) OVER w AS reserved_sum
          FROM inventory.ledger WHERE product_id LIKE 'tap-07-%'
        WINDOW w AS (PARTITION BY product_id, warehouse ORDER BY version)) x
       WHERE on_hand_after <> on_hand_sum OR reserved_after <> reserved_sum$$,
    'on_hand_after and reserved_after are the running sums of the deltas');
SELECT results_eq(
    $$SELECT version, actor FROM inventory.ledger WHERE product_id = 'tap-07-a' AND warehouse = 'main' ORDER BY version$$,
    $$VALUES (1::bigint, NULL::text), (2, 'alice'), (3, 'alice'), (4, 'alice'), (5, 'bob'), (6, 'bob'), (7, 'bob'),
             (8, 'bob'), (9, 'bob')$$,
    'inventory.actor lands in ledger.actor (NULL when empty)');
SELECT is_empty($$SELECT 1 FROM inventory.ledger WHERE product_id LIKE 'tap-07-%' AND db_user <> session_user$$,
                'db_user is the session user in every ledger row');
SELECT is_empty($$SELECT 1 FROM inventory.ledger WHERE product_id LIKE 'tap-07-%' AND created_at <> now()$$,
                'created_at is the transaction time');
SELECT is_empty(
    $$SELECT l.version FROM inventory.ledger l
        LEFT JOIN inventory.reservations r ON r.id = l.reservation_id
       WHERE l.product_id LIKE 'tap-07-%' AND l.reason IN ('reserve', 'confirm', 'ship', 'release', 'expire')
         AND (r.id IS NULL OR r.order_id IS DISTINCT FROM l.order_id OR r.product_id <> l.product_id
              OR r.warehouse <> l.warehouse)$$,
    'every reservation move names its reservation and order in the ledger');
SELECT is_empty(
    $$SELECT 1 FROM inventory.ledger WHERE product_id LIKE 'tap-07-%'
       AND reason IN ('set', 'restock', 'adjust', 'remove') AND (order_id IS NOT NULL OR reservation_id IS NOT NULL)$$,
    'stock corrections name no order or reservation');
SELECT results_eq(
    $$SELECT reason, note FROM inventory.ledger WHERE product_id = 'tap-07-a' AND version IN (7, 8) ORDER BY version$$,
    $$VALUES ('restock'::text, 'delivery 7'::text), ('adjust', 'stock count')$$,
    'restock notes and adjust reasons are kept as the ledger note');

-- inventory.updated events ----------------------------------------------------------------------

SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%' AND type = 'inventory.updated'),
          (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-07-%'),
          'as many inventory.updated events as ledger rows');
SELECT is_empty(
    $$SELECT l.product_id, l.warehouse, l.version FROM inventory.ledger l
       WHERE l.product_id LIKE 'tap-07-%'
         AND (SELECT count(*) FROM inventory.outbox o
               WHERE o.aggregateid = l.product_id AND o.warehouse = l.warehouse AND o.version = l.version
                 AND o.type = 'inventory.updated') <> 1$$,
    'exactly one inventory.updated event per ledger row (same product, warehouse and version)');
SELECT results_eq(
    $$SELECT array_agg(version ORDER BY seq) FROM inventory.outbox
       WHERE aggregateid = 'tap-07-a' AND warehouse = 'main' AND type = 'inventory.updated'$$,
    $$VALUES (ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9]::bigint[])$$,
    'the events of a stock row carry versions rising by one, in seq order');
SELECT is_empty(
    $$SELECT 1 FROM inventory.outbox a JOIN inventory.outbox b
          ON a.aggregateid = b.aggregateid AND a.warehouse = b.warehouse AND a.seq < b.seq
       WHERE a.aggregateid LIKE 'tap-07-%' AND a.version > b.version$$,
    'per stock row, seq order never contradicts version order');
SELECT is_empty(
    $$SELECT seq FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%'
       AND NOT payload ?& ARRAY['eventId', 'type', 'productId', 'warehouse', 'version', 'reason', 'previousQuantity',
                                'newQuantity', 'onHand', 'reserved', 'available', 'orderId', 'reservationId', 'timestamp',
                                'lowStockThreshold']$$,
    'every event carries every field of DESIGN section 4, plus lowStockThreshold');
SELECT results_eq(
    $$SELECT aggregateid, warehouse, version, payload->'lowStockThreshold' FROM inventory.outbox
       WHERE type = 'inventory.updated' AND (aggregateid, warehouse, version) IN
             (('tap-07-a', 'main', 1), ('tap-07-a', 'tap-07-w2', 1), ('tap-07-c', 'main', 3), ('tap-07-c', 'main', 4))
       ORDER BY 1, 2, 3$$,
    $$VALUES ('tap-07-a'::text, 'main'::text, 1::bigint, '3'::jsonb), ('tap-07-a', 'tap-07-w2', 1, 'null'),
             ('tap-07-c', 'main', 3, 'null'), ('tap-07-c', 'main', 4, '100')$$,
    'lowStockThreshold is the row''s threshold after the change (null without one)');
SELECT is_empty(
    $$SELECT seq FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%'
       AND (payload->>'eventId' IS DISTINCT FROM id::text OR payload->>'type' IS DISTINCT FROM type
            OR payload->>'productId' IS DISTINCT FROM aggregateid OR payload->>'warehouse' IS DISTINCT FROM warehouse
            OR (payload->>'version')::bigint IS DISTINCT FROM version)$$,
    'eventId is the outbox id; type, productId, warehouse and version match the outbox columns');
SELECT is_empty(
    $$SELECT o.seq FROM inventory.outbox o
        JOIN inventory.ledger l ON l.product_id = o.aggregateid AND l.warehouse = o.warehouse AND l.version = o.version
       WHERE o.aggregateid LIKE 'tap-07-%'
         AND ((o.payload->>'onHand')::bigint IS DISTINCT FROM l.on_hand_after
           OR (o.payload->>'reserved')::bigint IS DISTINCT FROM l.reserved_after
           OR (o.payload->>'available')::bigint IS DISTINCT FROM l.on_hand_after - l.reserved_after
           OR (o.payload->>'newQuantity')::bigint IS DISTINCT FROM l.on_hand_after - l.reserved_after
           OR (o.payload->>'previousQuantity')::bigint IS DISTINCT FROM
              (l.on_hand_after - l.on_hand_delta) - (l.reserved_after - l.reserved_delta)
           OR o.payload->>'reason' IS DISTINCT FROM l.reason
           OR o.payload->>'orderId' IS DISTINCT FROM l.order_id
           OR (o.payload->>'reservationId')::uuid IS DISTINCT FROM l.reservation_id)$$,
    'payload quantities, reason, orderId and reservationId match the ledger row of the same version');
SELECT is_empty(
    $$SELECT seq FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%'
       AND (payload->>'timestamp' !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$'
            OR (payload->>'timestamp')::timestamptz <> now())$$,
    'timestamp is ISO-8601 in UTC ("Z") and is the transaction time');
SELECT results_eq(
    $$SELECT payload->>'previousQuantity', payload->>'newQuantity', payload->>'reason', payload->>'orderId'
        FROM inventory.outbox WHERE aggregateid = 'tap-07-a' AND warehouse = 'main' AND version = 2 AND type = 'inventory.updated'$$,
    $$VALUES ('10'::text, '3'::text, 'reserve'::text, 'tap-07-o1'::text)$$,
    'a reservation''s event says available went from 10 to 3 for order tap-07-o1');
SELECT is((SELECT jsonb_typeof(payload->'orderId') FROM inventory.outbox
            WHERE aggregateid = 'tap-07-a' AND warehouse = 'main' AND version = 7 AND type = 'inventory.updated'),
          'null', 'a restock event has orderId null');
SELECT is_empty(
    $$SELECT seq FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%' AND type = 'inventory.updated'
       AND aggregatetype <> CASE WHEN aggregateid = 'tap-07-b' AND version = 3 THEN 'tap.custom.updated'
                                 ELSE 'inventory.updated' END$$,
    'inventory.updated events go to the topic inventory.updated_topic names (default inventory.updated)');
SELECT is((SELECT count(DISTINCT id) FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%'),
          (SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%'),
          'every event has its own id');

-- Alerts ----------------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT aggregatetype, type, version FROM inventory.outbox
       WHERE aggregateid = 'tap-07-a' AND warehouse = 'main' AND type <> 'inventory.updated' ORDER BY seq$$,
    $$VALUES ('inventory.alerts'::text, 'low_stock'::text, 2::bigint),
             ('inventory.alerts', 'out_of_stock', 3),
             ('inventory.alerts', 'back_in_stock', 4)$$,
    'low_stock when available falls to the threshold, out_of_stock at zero, back_in_stock after');
SELECT results_eq(
    $$SELECT type, version FROM inventory.outbox WHERE aggregateid = 'tap-07-c' AND type <> 'inventory.updated' ORDER BY seq$$,
    $$VALUES ('out_of_stock'::text, 2::bigint), ('back_in_stock', 3)$$,
    'out_of_stock and back_in_stock also without a threshold');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'tap-07-c' AND version = 4 AND type <> 'inventory.updated'),
          0::bigint, 'setting a threshold above the current availability raises no alert');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'tap-07-a' AND warehouse = 'tap-07-w2'
              AND type <> 'inventory.updated'),
          0::bigint, 'no alert for a row that never ran out and has no threshold');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%' AND version = 1
              AND type <> 'inventory.updated'),
          0::bigint, 'creating a stock row raises no alert');
SELECT is_empty(
    $$SELECT a.seq FROM inventory.outbox a
        JOIN inventory.outbox u ON u.aggregateid = a.aggregateid AND u.warehouse = a.warehouse AND u.version = a.version
                               AND u.type = 'inventory.updated'
       WHERE a.aggregateid LIKE 'tap-07-%' AND a.type <> 'inventory.updated'
         AND (a.payload->>'type' <> a.type OR a.seq < u.seq
              OR a.payload - 'eventId' - 'type' <> u.payload - 'eventId' - 'type')$$,
    'an alert repeats the quantities of its change''s inventory.updated event, after it, with its own type');
SELECT results_eq(
    $$SELECT aggregatetype, type, (payload->>'available')::bigint FROM inventory.outbox
       WHERE aggregateid = 'tap-07-b' AND version = 3 ORDER BY seq$$,
    $$VALUES ('tap.custom.updated'::text, 'inventory.updated'::text, 3::bigint),
             ('tap.custom.alerts', 'low_stock', 3)$$,
    'the topics follow inventory.updated_topic and inventory.alerts_topic');

-- Relay: inventory_outbox_fetch and inventory_outbox_ack -----------------------------------------

-- Set aside other events (the transaction is rolled back), so fetch reaches ours whatever the
-- database's backlog. A relay running meanwhile waits for this suite to end.
DELETE FROM inventory.outbox WHERE aggregateid NOT LIKE 'tap-07-%';
CREATE TEMP TABLE tap_ours AS
SELECT seq FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%';
CREATE TEMP TABLE tap_ledger_before AS
SELECT count(*) AS n FROM inventory.ledger WHERE product_id LIKE 'tap-07-%';
SELECT set_eq(
    $$SELECT id FROM inventory_outbox_fetch((SELECT count(*)::integer FROM inventory.outbox))$$,
    $$SELECT id FROM inventory.outbox$$,
    'fetch returns every visible event');
SELECT is_empty(
    $$SELECT * FROM (SELECT version, lag(version) OVER (PARTITION BY aggregateid, warehouse ORDER BY n) AS before
                       FROM inventory_outbox_fetch((SELECT count(*)::integer FROM inventory.outbox))
                            WITH ORDINALITY AS f(seq, id, aggregatetype, aggregateid, type, payload, warehouse,
                                                 version, created_at, n)) f
       WHERE f.before > f.version$$,
    'fetch returns each stock row''s events in version order');
SELECT set_eq(
    $$SELECT seq FROM inventory_outbox_fetch(2)$$,
    $$SELECT seq FROM inventory.outbox ORDER BY seq LIMIT 2$$,
    'fetch(max_rows) returns the oldest max_rows events');
SELECT results_eq(
    $$SELECT id, aggregatetype, aggregateid, type, payload, warehouse, version
        FROM inventory_outbox_fetch((SELECT count(*)::integer FROM inventory.outbox)) WHERE aggregateid LIKE 'tap-07-%' ORDER BY seq$$,
    $$SELECT id, aggregatetype, aggregateid, type, payload, warehouse, version
        FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%' ORDER BY seq$$,
    'fetch returns the rows with the Debezium outbox columns');
SELECT is_empty($$SELECT * FROM inventory_outbox_fetch(NULL)$$, 'fetch(NULL) returns nothing');
SELECT throws_ok($$SELECT * FROM inventory_outbox_fetch(0)$$, '22023', NULL, 'fetch(0) is refused with 22023');
SELECT throws_ok($$SELECT * FROM inventory_outbox_fetch(-1)$$, '22023', NULL, 'fetch(-1) is refused with 22023');
SELECT is(inventory_outbox_ack(ARRAY(SELECT seq FROM tap_ours)), (SELECT count(*)::integer FROM tap_ours),
          'ack deletes the acknowledged events and returns how many');
SELECT is((SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-07-%'), 0::bigint,
          'the acknowledged events are gone');
SELECT is(inventory_outbox_ack(ARRAY(SELECT seq FROM tap_ours)), 0, 'acknowledging them again deletes nothing');
SELECT is(inventory_outbox_ack('{}'), 0, 'ack of an empty array returns 0');
SELECT is(inventory_outbox_ack(NULL), NULL::integer, 'ack(NULL) returns NULL (the function is STRICT)');
SELECT is(inventory_outbox_ack(ARRAY[-1]::bigint[]), 0, 'ack of an unknown seq returns 0');
SELECT is((SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-07-%'), (SELECT n FROM tap_ledger_before),
          'acknowledging events leaves the ledger alone');

-- inventory_outbox_ack_events: by event id, with the product that keeps the search on its rows.
SELECT inventory_restock('tap-07-a', 1) FROM generate_series(1, 3);
CREATE TEMP TABLE tap_events AS
SELECT id, aggregateid, version FROM inventory.outbox WHERE aggregateid = 'tap-07-a' ORDER BY version;
SELECT is(inventory_outbox_ack_events(ARRAY(SELECT id FROM tap_events ORDER BY version LIMIT 2), ARRAY['tap-07-b']), 0,
          'ack_events of events under another product deletes nothing');
SELECT is(inventory_outbox_ack_events(ARRAY(SELECT id FROM tap_events ORDER BY version LIMIT 2), ARRAY['tap-07-a']), 2,
          'ack_events deletes exactly the named events and returns how many');
SELECT results_eq($$SELECT id FROM inventory.outbox WHERE aggregateid = 'tap-07-a'$$,
                  $$SELECT id FROM tap_events ORDER BY version OFFSET 2$$,
                  'the other events of the product stay for the relay');
SELECT is(inventory_outbox_ack_events(ARRAY(SELECT id FROM tap_events), ARRAY['tap-07-a']), 1,
          'acknowledging them again deletes only the one still there');
SELECT inventory_restock(product, 1) FROM unnest(ARRAY['tap-07-a', 'tap-07-b', 'tap-07-b']) product;
CREATE TEMP TABLE tap_pairs AS
SELECT id, aggregateid FROM inventory.outbox
 WHERE aggregateid IN ('tap-07-a', 'tap-07-b') AND type = 'inventory.updated' ORDER BY seq DESC LIMIT 3;
SELECT is(inventory_outbox_ack_events(ARRAY(SELECT id FROM tap_pairs ORDER BY aggregateid, id),
                                      ARRAY(SELECT aggregateid FROM tap_pairs ORDER BY aggregateid DESC, id)), 3,
          'arrays of the same length that are not pairs (each id with another event''s product) still delete every named event');
SELECT is(inventory_outbox_ack_events(ARRAY(SELECT id FROM tap_pairs), ARRAY(SELECT aggregateid FROM tap_pairs)), 0,
          'as pairs, again: nothing left to delete');
SELECT is(inventory_outbox_ack_events(NULL, ARRAY['tap-07-a']), NULL::integer,
          'ack_events(NULL, ...) returns NULL (the function is STRICT)');
SELECT throws_ok($$SELECT inventory_outbox_ack_events(array_fill(gen_random_uuid(), ARRAY[100001]), '{x}')$$,
                 '22023', NULL, 'more than 100000 events at once: 22023');
SELECT ok(has_function_privilege('inventory_relay', 'inventory_outbox_ack_events(uuid[], text[])', 'EXECUTE')
          AND NOT has_function_privilege('inventory_admin', 'inventory_outbox_ack_events(uuid[], text[])', 'EXECUTE'),
          'the relay may acknowledge events, an admin may not');

SELECT * FROM finish();
ROLLBACK;
