-- 13_returns.sql
-- inventory_return: units of a shipped reservation come back, restocked into on_hand (ledger
-- reason return) or written off (reason write_off, on_hand unchanged), partially or wholly, each
-- with one ledger row, one inventory.updated event and one version; never more than was shipped
-- over all returns (the reservation's returned_quantity, also a CHECK of the table); IN004 for a
-- reservation that is not shipped or has too few units left, IN003 for an unknown one, IN002 when
-- its stock row was removed, 22023 for bad arguments; refused returns change nothing; alerts fire as
-- for any change; the reserve -> ship -> return flow without a confirm.
-- A concurrent return of the same reservation is the isolation spec return_vs_return.
-- Runs in one transaction that is rolled back; uses only products named 'tap-13-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(36);
\ir include/helpers.sql

-- The id of an order's only reservation.
CREATE FUNCTION pg_temp.tap_id(order_id text) RETURNS uuid LANGUAGE sql AS $$
SELECT id FROM inventory.reservations r WHERE r.order_id = $1
$$;

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-13-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-13-%'),
          0::bigint, 'precondition: no stock or ledger rows of tap-13-* products exist');

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-13-a', 10);
    PERFORM inventory_reserve('tap-13-o1', 'tap-13-a', 4);
    PERFORM inventory_confirm_order('tap-13-o1');
    PERFORM inventory_ship_order('tap-13-o1');
    PERFORM inventory_reserve('tap-13-o2', 'tap-13-a', 1);
    PERFORM inventory_reserve('tap-13-o3', 'tap-13-a', 1);
    PERFORM inventory_confirm_order('tap-13-o3');
    PERFORM inventory_reserve('tap-13-o4', 'tap-13-a', 1);
    PERFORM inventory_release_order('tap-13-o4');
END
$$;
-- tap-13-a: on_hand 6, reserved 2 (o2 active, o3 confirmed); o1 shipped 4, o4 released

-- Refusals ----------------------------------------------------------------------------------------

CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-13-') AS state;
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o2'), 1, true, 'r')$$, 'IN004', NULL,
                 'return of an active reservation: IN004');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o3'), 1, true, 'r')$$, 'IN004', NULL,
                 'return of a confirmed reservation: IN004');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o4'), 1, true, 'r')$$, 'IN004', NULL,
                 'return of a released reservation: IN004');
SELECT throws_matching($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o2'), 1, true, 'r')$$,
                       'cannot return units of reservation .* of product "tap-13-a" in warehouse "main": it is active',
                       'the IN004 message names the reservation, product, warehouse and state');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 5, true, 'r')$$, 'IN004', NULL,
                 'returning more than was shipped: IN004');
SELECT throws_ok($$SELECT * FROM inventory_return('00000000-0000-4000-8000-000000000000', 1, true, 'r')$$,
                 'IN003', NULL, 'return of an unknown reservation: IN003');
SELECT throws_ok($$SELECT * FROM inventory_return(NULL, 1, true, 'r')$$, '22023', NULL, 'a NULL reservation: 22023');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 0, true, 'r')$$, '22023', NULL,
                 'a quantity of 0: 22023');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), NULL, true, 'r')$$, '22023', NULL,
                 'a NULL quantity: 22023');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 1, NULL, 'r')$$, '22023', NULL,
                 'a NULL restock: 22023');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 1, true, NULL)$$, '22023', NULL,
                 'a NULL reason: 22023');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 1, true, '')$$, '22023', NULL,
                 'an empty reason: 22023');
SELECT is(pg_temp.tap_state('tap-13-'), (SELECT state FROM tap_before), 'refused returns changed nothing');

-- A partial return that goes back on the shelf ---------------------------------------------------

SELECT results_eq(
    $$SELECT reservation_id, order_id, product_id, warehouse, shipped_quantity, returned_quantity,
             on_hand, reserved, available, version
        FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 1, true, 'customer changed their mind', 'user:7')$$,
    $$VALUES (pg_temp.tap_id('tap-13-o1'), 'tap-13-o1'::text, 'tap-13-a'::text, 'main'::text, 4::bigint, 1::bigint,
              7::bigint, 2::bigint, 5::bigint, 10::bigint)$$,
    'a restocked return adds to on_hand and returns the shipped and returned totals with the stock row');
SELECT results_eq(
    $$SELECT reason, on_hand_delta, reserved_delta, on_hand_after, returned_quantity, note, order_id, reservation_id, actor
        FROM inventory.ledger WHERE product_id = 'tap-13-a' ORDER BY version DESC LIMIT 1$$,
    $$VALUES ('return'::text, 1::bigint, 0::bigint, 7::bigint, 1::bigint, 'customer changed their mind'::text,
              'tap-13-o1'::text, pg_temp.tap_id('tap-13-o1'), 'user:7'::text)$$,
    'one ledger row: reason return, the units back in on_hand and as returned_quantity, the reason as note, order, reservation and actor');
SELECT results_eq(
    $$SELECT type, payload->>'reason', (payload->>'returnedQuantity')::bigint, (payload->>'onHand')::bigint,
             (payload->>'previousQuantity')::bigint, (payload->>'newQuantity')::bigint, payload->>'orderId',
             (payload->>'reservationId')::uuid
        FROM inventory.outbox WHERE aggregateid = 'tap-13-a'
         AND version = (SELECT version FROM inventory.stock WHERE product_id = 'tap-13-a')$$,
    $$VALUES ('inventory.updated'::text, 'return'::text, 1::bigint, 7::bigint, 4::bigint, 5::bigint, 'tap-13-o1'::text,
              pg_temp.tap_id('tap-13-o1'))$$,
    'one inventory.updated event with the reason, the returned units, the stock after and availability before and after');
SELECT results_eq(
    $$SELECT status, quantity, returned_quantity FROM inventory.reservations WHERE id = pg_temp.tap_id('tap-13-o1')$$,
    $$VALUES ('shipped'::text, 4::bigint, 1::bigint)$$,
    'the reservation stays shipped and keeps its returned total');

-- A write-off: back in the ledger only -----------------------------------------------------------

SELECT results_eq(
    $$SELECT returned_quantity, on_hand FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 2, false, 'arrived broken')$$,
    $$VALUES (3::bigint, 7::bigint)$$,
    'a written-off return counts towards the returned total and leaves on_hand alone');
SELECT results_eq(
    $$SELECT reason, on_hand_delta, reserved_delta, returned_quantity, note FROM inventory.ledger
       WHERE product_id = 'tap-13-a' ORDER BY version DESC LIMIT 1$$,
    $$VALUES ('write_off'::text, 0::bigint, 0::bigint, 2::bigint, 'arrived broken'::text)$$,
    'one ledger row with reason write_off, no delta, and the units in returned_quantity');
SELECT results_eq(
    $$SELECT count(*), min(payload->>'returnedQuantity') FROM inventory.outbox
       WHERE aggregateid = 'tap-13-a' AND payload->>'reason' = 'write_off'$$,
    $$VALUES (1::bigint, '2'::text)$$, '... and one event with returnedQuantity');
SELECT is_empty($$SELECT 1 FROM inventory.ledger WHERE product_id = 'tap-13-a' AND returned_quantity IS NOT NULL
                   AND reason NOT IN ('return', 'write_off')$$,
                'other ledger rows have no returned_quantity');

-- Never more than was shipped, over all returns ---------------------------------------------------

DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-13-') AS state;
SELECT throws_matching($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 2, true, 'r')$$,
                       'cannot return 2 units of reservation .*: 4 were shipped and 3 already returned',
                       'a return beyond what is left: IN004 naming shipped and returned units');
SELECT is(pg_temp.tap_state('tap-13-'), (SELECT state FROM tap_before), '... and nothing changed');
SELECT results_eq(
    $$SELECT returned_quantity, on_hand FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 1, true, 'last one')$$,
    $$VALUES (4::bigint, 8::bigint)$$, 'the last unit comes back');
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o1'), 1, false, 'r')$$, 'IN004', NULL,
                 'a fully returned reservation takes no more returns');
SELECT throws_ok($$UPDATE inventory.reservations SET returned_quantity = 5 WHERE id = pg_temp.tap_id('tap-13-o1')$$,
                 '23514', NULL, 'the table refuses a returned total above the quantity');

-- Reserve -> ship -> return, without a confirm; alerts --------------------------------------------

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-13-b', 2, 'main', NULL, 1);
    PERFORM inventory_reserve('tap-13-o5', 'tap-13-b', 2);
    PERFORM inventory_ship(pg_temp.tap_id('tap-13-o5'));
END
$$;
SELECT results_eq(
    $$SELECT on_hand, available FROM inventory_return(pg_temp.tap_id('tap-13-o5'), 2, true, 'unwanted')$$,
    $$VALUES (2::bigint, 2::bigint)$$, 'a reservation shipped without a confirm can be returned');
SELECT results_eq(
    $$SELECT type FROM inventory.outbox WHERE aggregateid = 'tap-13-b'
       AND version = (SELECT version FROM inventory.stock WHERE product_id = 'tap-13-b') ORDER BY type$$,
    $$VALUES ('back_in_stock'::text), ('inventory.updated')$$,
    'the return brings a sold-out product back in stock: back_in_stock alert');

-- The stock row must exist ------------------------------------------------------------------------

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-13-c', 1);
    PERFORM inventory_reserve('tap-13-o6', 'tap-13-c', 1);
    PERFORM inventory_ship(pg_temp.tap_id('tap-13-o6'));
    PERFORM inventory_remove('tap-13-c');
END
$$;
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o6'), 1, true, 'r')$$, 'IN002', NULL,
                 'a return to a removed stock row: IN002');
SELECT throws_matching($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o6'), 1, false, 'r')$$,
                       'product "tap-13-c" is not stocked in warehouse "main"',
                       '... also when written off: the change needs its stock row');

-- Roles -------------------------------------------------------------------------------------------

DO $$
BEGIN
    PERFORM inventory_reserve('tap-13-o7', 'tap-13-a', 1);
    PERFORM inventory_ship(pg_temp.tap_id('tap-13-o7'));
END
$$;
SET LOCAL ROLE inventory_writer;
SELECT results_eq($$SELECT returned_quantity FROM inventory_return(pg_temp.tap_id('tap-13-o7'), 1, true, 'r')$$,
                  $$VALUES (1::bigint)$$, 'a writer may record a return (bounded by what was shipped)');
RESET ROLE;
SET LOCAL ROLE inventory_reader;
SELECT throws_ok($$SELECT * FROM inventory_return(pg_temp.tap_id('tap-13-o7'), 1, true, 'r')$$, '42501', NULL,
                 'a reader may not');
RESET ROLE;

SELECT * FROM pg_temp.tap_consistency('tap-13-');
SELECT results_eq(
    $$SELECT on_hand FROM inventory.stock WHERE product_id = 'tap-13-a'$$,
    $$SELECT 10 - (SELECT sum(quantity) FROM inventory.reservations WHERE product_id = 'tap-13-a' AND status = 'shipped')::bigint
               + (SELECT sum(on_hand_delta) FROM inventory.ledger WHERE product_id = 'tap-13-a' AND reason = 'return')::bigint$$,
    'on_hand is what was set, less what shipped, plus what was restocked from returns');

SELECT * FROM finish();
ROLLBACK;
