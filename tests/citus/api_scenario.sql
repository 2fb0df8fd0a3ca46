-- tests/citus/api_scenario.sql: every SQL API function, with its results and its errors, run by
-- tests/citus/run.sh once on one PostgreSQL and once on the Citus coordinator; run.sh compares the
-- two outputs (ids and times masked) line by line. Every call is a statement of its own, outside
-- any transaction block, so Citus routes the single-product calls to the worker that holds the
-- product; one block repeats calls inside a transaction, where Citus does not route them.
\set ON_ERROR_STOP 0
\set VERBOSITY verbose
\set SHOW_CONTEXT never
\pset null '<null>'
SET client_min_messages = warning;

-- Stock administration ---------------------------------------------------------------------------
SELECT inventory_set_stock('api-a', 10, 'main', 'Alpha', 3);
SELECT inventory_set_stock('api-a', 4, 'east');
SELECT inventory_set_stock('api-b', 5);
SELECT inventory_set_stock('api-c', 2);
SELECT inventory_set_stock('api-d', 7, 'main', NULL, 2);
SELECT * FROM inventory_set_stock('api-b', 6, 'main', 'Beta');
SELECT inventory_restock('api-b', 3);
SELECT * FROM inventory_restock('api-a', 2, 'east', 'delivery 7');
SELECT inventory_adjust('api-b', -2, 'broken in transit');
SELECT inventory_adjust('api-b', 0, 'nothing');
SELECT inventory_adjust('api-b', -100, 'too much');
SELECT inventory_restock('api-nope', 1);
SELECT inventory_restock('api-b', 0);
SELECT inventory_restock('api-b', 1, 'west');
SELECT inventory_set_stock('api-b', -1);
SELECT inventory_set_stock('', 1);
SELECT inventory_set_stock(NULL, 1);
SELECT inventory_remove('api-c');
SELECT inventory_remove('api-c');
SELECT inventory_set_stock('api-c', 3);
-- 1.2 arguments: request ids (a repeat changes nothing; the same id for another change is IN005) and
-- the actor, given with the call (routed calls carry it to the worker)
SELECT on_hand, version FROM inventory_restock('api-b', 2, 'main', 'delivery 8', 'api-req-1', 'receiver');
SELECT on_hand, version FROM inventory_restock('api-b', 2, 'main', 'delivery 8', 'api-req-1', 'receiver');
SELECT inventory_restock('api-b', 3, 'main', 'delivery 8', 'api-req-1', 'receiver');
SELECT on_hand, version FROM inventory_adjust('api-b', -1, 'count', 'main', 'api-req-2', 'counter');
SELECT on_hand, version FROM inventory_set_stock('api-b', 9, 'main', 'Beta', NULL, 'api-req-3', 'admin');
SELECT on_hand, version FROM inventory_set_stock('api-b', 9, 'main', 'Beta', NULL, 'api-req-3', 'admin');

-- Reads --------------------------------------------------------------------------------------------
SELECT inventory_available('api-a');
SELECT inventory_available('api-a', 'east');
SELECT inventory_available('api-nope');
SELECT inventory_check('api-a', 14);
SELECT inventory_check('api-a', 17);
SELECT inventory_check('api-a', 0);
SELECT * FROM inventory_stock_levels WHERE product_id LIKE 'api-%' ORDER BY product_id, warehouse;

-- Reservations -------------------------------------------------------------------------------------
SELECT order_id, product_id, warehouse, quantity, status, expires_at - created_at AS ttl, created
  FROM inventory_reserve('api-o1', 'api-a', 12);
SELECT order_id, product_id, warehouse, quantity, status, created FROM inventory_reserve('api-o1', 'api-a', 12);
SELECT inventory_reserve('api-o1', 'api-a', 5);
SELECT inventory_reserve('api-o2', 'api-a', 5);
SELECT inventory_reserve('api-o2', 'api-nope', 1);
SELECT inventory_reserve('api-o2', 'api-a', 1, 'west');
SELECT inventory_reserve('api-o2', 'api-a', 0);
SELECT inventory_reserve('api-o2', 'api-a', 1, NULL, '-1 minute');
SELECT order_id, warehouse, quantity, expires_at - created_at AS ttl
  FROM inventory_reserve('api-o3', 'api-b', 2, 'main', '90 seconds');
SELECT order_id, product_id, warehouse, quantity, status, created
  FROM inventory_reserve_order('api-o4', '[{"product_id": "api-b", "quantity": 1},
                                           {"product_id": "api-d", "quantity": 2},
                                           {"product_id": "api-b", "quantity": 1}]')
 ORDER BY product_id, warehouse;
SELECT inventory_reserve_order('api-o5', '[{"product_id": "api-b", "quantity": 50}, {"product_id": "api-d", "quantity": 50}]');
SELECT inventory_reserve_order('api-o5', '[{"product_id": "api-b", "qty": 1}]');
SELECT inventory_reserve_order('api-o5', '[]');
SELECT request_index, order_id, outcome, error_code, error_message, shortages,
       (SELECT array_agg(r.product_id || '/' || r.warehouse || '/' || r.quantity ORDER BY r.product_id, r.warehouse)
          FROM unnest(reservations) r) AS reserved
  FROM inventory_reserve_batch('[
    {"order_id": "api-o6", "lines": [{"product_id": "api-d", "quantity": 1}]},
    {"order_id": "api-o7", "lines": [{"product_id": "api-b", "quantity": 1}, {"product_id": "api-d", "quantity": 1}],
     "ttl_seconds": 30, "actor": "batcher"},
    {"order_id": "api-o6", "lines": [{"product_id": "api-d", "quantity": 1}]},
    {"order_id": "api-o8", "lines": [{"product_id": "api-d", "quantity": 99}]},
    {"order_id": "api-o9", "lines": [{"product_id": "api-nope", "quantity": 1}]},
    {"order_id": "api-o10", "lines": [{"product_id": "api-d", "quantity": 1}], "bogus": 1}]');
SELECT request_index, order_id, outcome, error_code, error_message, reservations
  FROM inventory_reserve_batch('api-d', '[
    {"order_id": "api-o11", "lines": [{"product_id": "api-d", "quantity": 1}]},
    {"order_id": "api-o12", "lines": [{"product_id": "api-b", "quantity": 1}]},
    {"order_id": "api-o11", "lines": [{"product_id": "api-d", "quantity": 1}]}]');
SELECT * FROM inventory_reserve_batch(NULL::text, '[]');
SELECT * FROM inventory_reserve_batch('[]');

-- Transitions, by reservation (ids looked up first: a call per row of a query on a distributed table
-- would run inside that query on a worker) -------------------------------------------------------
SELECT id AS o1_main FROM inventory.reservations WHERE order_id = 'api-o1' AND warehouse = 'main' \gset
SELECT id AS o3 FROM inventory.reservations WHERE order_id = 'api-o3' \gset
SELECT order_id, product_id, warehouse, quantity, status, expires_at FROM inventory_confirm(:'o1_main');
SELECT order_id, status FROM inventory_confirm(:'o1_main');
SELECT order_id, status FROM inventory_ship(:'o3');
SELECT order_id, status FROM inventory_release(:'o3');
SELECT order_id, status FROM inventory_release(:'o3');
SELECT order_id, status FROM inventory_confirm(:'o3');
SELECT order_id, status FROM inventory_ship(:'o1_main');
SELECT order_id, status FROM inventory_ship(:'o1_main');
SELECT order_id, status FROM inventory_release(:'o1_main');
SELECT inventory_confirm('00000000-0000-0000-0000-000000000000');
SELECT inventory_confirm(NULL);

-- Returns of a shipped reservation (by id, like the moves above), with the actor as an argument ------
SELECT order_id, product_id, shipped_quantity, returned_quantity, on_hand, reserved, available, version
  FROM inventory_return(:'o1_main', 1, true, 'damaged box', 'returns-desk');
SELECT order_id, shipped_quantity, returned_quantity, on_hand, version
  FROM inventory_return(:'o1_main', 1, false, 'lost in transit');
SELECT inventory_return(:'o1_main', 100, true, 'too many');
SELECT inventory_return(:'o3', 1, true, 'one of two');
SELECT reservation_id AS o20 FROM inventory_reserve('api-o20', 'api-b', 1) \gset
SELECT inventory_return(:'o20', 1, true, 'not shipped');
SELECT order_id, status FROM inventory_release(:'o20');
SELECT inventory_return(:'o1_main', 0, true, 'nothing');
SELECT inventory_return('00000000-0000-0000-0000-000000000000', 1, true, 'unknown');

-- Transitions, by order ----------------------------------------------------------------------------
SELECT order_id, product_id, warehouse, quantity, status FROM inventory_ship_order('api-o4');
SELECT order_id, product_id, warehouse, quantity, status FROM inventory_confirm_order('api-o4') ORDER BY 2, 3;
SELECT order_id, product_id, warehouse, quantity, status FROM inventory_confirm_order('api-o4') ORDER BY 2, 3;
SELECT order_id, product_id, warehouse, quantity, status FROM inventory_ship_order('api-o4') ORDER BY 2, 3;
SELECT order_id, product_id, warehouse, quantity, status FROM inventory_release_order('api-o4') ORDER BY 2, 3;
SELECT order_id, product_id, warehouse, quantity, status FROM inventory_release_order('api-o7') ORDER BY 2, 3;
SELECT order_id, product_id, warehouse, quantity, status FROM inventory_release_order('api-o7') ORDER BY 2, 3;
SELECT inventory_confirm_order('api-nope');
SELECT inventory_release_order('');

-- Removal while reserved, and reads after the moves ------------------------------------------------
SELECT inventory_remove('api-d');
SELECT inventory_set_stock('api-a', 1, 'east');
SELECT inventory_available('api-a'), inventory_available('api-b'), inventory_available('api-d');

-- Overdue reservations: expired on the spot, left out of reads, reaped ------------------------------
SELECT count(*) FROM inventory_reserve('api-o13', 'api-c', 2, NULL, '1 second');
SELECT count(*) FROM inventory_reserve('api-o14', 'api-b', 2, NULL, '1 second');
SELECT count(*) FROM inventory_reserve_order('api-o15', '[{"product_id": "api-b", "quantity": 1},
                                                          {"product_id": "api-c", "quantity": 1}]', '1 second');
SELECT pg_sleep(1.5);
SELECT inventory_available('api-c'), inventory_check('api-c', 3), inventory_overdue_quantity('api-c', 'main');
SELECT product_id, warehouse, on_hand, reserved, available, low_stock
  FROM inventory_stock_levels WHERE product_id IN ('api-b', 'api-c') ORDER BY 1, 2;
SELECT order_id, quantity, status FROM inventory_reserve('api-o16', 'api-c', 3);
SELECT inventory_adjust('api-b', -4, 'count');
SELECT inventory_expire_reservations(0);
SELECT inventory_expire_reservations();
SELECT inventory_expire_reservations();
SELECT order_id, product_id, status FROM inventory.reservations WHERE order_id IN ('api-o13', 'api-o14', 'api-o15')
 ORDER BY 1, 2;

-- The same calls inside a transaction block, where Citus does not route them ------------------------
BEGIN;
SELECT order_id, quantity, status FROM inventory_reserve('api-o17', 'api-a', 1);
SELECT inventory_restock('api-a', 1);
SELECT request_index, outcome FROM inventory_reserve_batch('api-a', '[{"order_id": "api-o18",
                                                                     "lines": [{"product_id": "api-a", "quantity": 1}]}]');
SELECT order_id, status FROM inventory_confirm_order('api-o17');
SELECT inventory_available('api-a'), inventory_check('api-a', 1);
SELECT inventory_reserve('api-o19', 'api-a', 1000);
ROLLBACK;
BEGIN;
SELECT order_id, quantity, status FROM inventory_reserve('api-o17', 'api-a', 1);
SELECT order_id, status FROM inventory_ship_order('api-o17');
SELECT order_id, status FROM inventory_confirm_order('api-o17');
SELECT order_id, status FROM inventory_ship_order('api-o17');
COMMIT;

-- Outbox relay ---------------------------------------------------------------------------------------
SELECT aggregateid, warehouse, version, aggregatetype, type,
       payload - ARRAY['eventId', 'timestamp', 'reservationId'] AS payload
  FROM inventory_outbox_fetch(10000) ORDER BY aggregateid, warehouse, version, type;
SELECT inventory_outbox_fetch(0);
SELECT id AS first_event, aggregateid AS first_product FROM inventory.outbox
 WHERE aggregateid = 'api-b' ORDER BY version LIMIT 1 \gset
SELECT inventory_outbox_ack_events(ARRAY[:'first_event']::uuid[], ARRAY[:'first_product']);
SELECT inventory_outbox_ack_events(ARRAY[:'first_event']::uuid[], ARRAY[:'first_product']);
SELECT seq AS second_seq FROM inventory.outbox WHERE aggregateid = 'api-b' ORDER BY version LIMIT 1 \gset
SELECT inventory_outbox_ack(ARRAY[:second_seq]::bigint[]);
SELECT inventory_outbox_ack(ARRAY[:second_seq]::bigint[]);
SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'api-b';
SELECT inventory_outbox_ack_events(ARRAY(SELECT id FROM inventory.outbox WHERE aggregateid LIKE 'api-%'),
                                   ARRAY(SELECT DISTINCT aggregateid FROM inventory.outbox WHERE aggregateid LIKE 'api-%'));
SELECT count(*) FROM inventory_outbox_fetch(10000) WHERE aggregateid LIKE 'api-%';

-- Kafka input: positions and dead letters (tables that stay on the coordinator) ---------------------
SELECT inventory_claim_message('api-group', 'order.created', 0, 5);
SELECT inventory_claim_message('api-group', 'order.created', 0, 5);
SELECT inventory_dead_letter('api-group', 'order.created', 0, 6, 'k', '{}', 'malformed', '22023');
SELECT * FROM inventory_consumer_offsets('api-group');
SELECT inventory_claim_message('api-group', '', 0, 1);

-- What every call left behind --------------------------------------------------------------------
SELECT product_id, warehouse, name, on_hand, reserved, available, low_stock_threshold, version,
       next_expiry IS NOT NULL AS has_next_expiry
  FROM inventory.stock WHERE product_id LIKE 'api-%' ORDER BY 1, 2;
SELECT order_id, product_id, warehouse, quantity, status, expires_at IS NOT NULL AS expires
  FROM inventory.reservations WHERE product_id LIKE 'api-%' ORDER BY 1, 2, 3, 4, 5;
SELECT product_id, warehouse, version, on_hand_delta, reserved_delta, on_hand_after, reserved_after,
       reason, note, order_id, reservation_id IS NOT NULL AS has_reservation, db_user, actor, returned_quantity
  FROM inventory.ledger WHERE product_id LIKE 'api-%' ORDER BY 1, 2, 3;
SELECT jobname, schedule, command FROM cron.job ORDER BY jobname;
