-- 04_transitions.sql
-- Reservation state transitions: inventory_confirm, inventory_release, inventory_ship and their
-- per-order variants inventory_confirm_order, inventory_release_order, inventory_ship_order.
-- Allowed: active -> confirmed -> shipped, active -> shipped (confirmed and shipped in one change:
-- one ledger row and one event), active|confirmed -> released, (active -> expired is in 05).
-- Repeats are no-ops that return the row and write nothing; every other move is IN004. The actor
-- argument is recorded in the ledger (NULL: the inventory.actor setting).
-- Covers the stock effect of each move (confirm: none, release: reserved drops, ship: on_hand and
-- reserved drop), per-order all-or-nothing, IN003 (unknown reservation or order), 22023 (NULL and
-- malformed ids) and that a refused call changes nothing.
-- Runs in one transaction that is rolled back; uses only products named 'tap-04-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(87);
\ir include/helpers.sql

-- The id of an order's only reservation of a product.
CREATE FUNCTION pg_temp.tap_id(order_id text, product_id text DEFAULT 'tap-04-a') RETURNS uuid LANGUAGE sql AS $$
SELECT id FROM inventory.reservations r WHERE r.order_id = $1 AND r.product_id = $2 ORDER BY created_at DESC LIMIT 1
$$;

-- One stock row as text, to compare before and after.
CREATE FUNCTION pg_temp.tap_stock(product_id text, warehouse text DEFAULT 'main') RETURNS text LANGUAGE sql AS $$
SELECT format('on_hand=%s reserved=%s version=%s', on_hand, reserved, version)
  FROM inventory.stock s WHERE s.product_id = $1 AND s.warehouse = $2
$$;

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-04-%')
        + (SELECT count(*) FROM inventory.reservations WHERE product_id LIKE 'tap-04-%')
        + (SELECT count(*) FROM inventory.ledger WHERE product_id LIKE 'tap-04-%'),
          0::bigint, 'precondition: no stock, reservation or ledger rows of tap-04-* products exist');

DO $$
BEGIN
    PERFORM inventory_set_stock('tap-04-a', 20);
    PERFORM inventory_set_stock('tap-04-b', 10);
    PERFORM inventory_set_stock('tap-04-c', 5, 'tap-04-w1');
    PERFORM inventory_set_stock('tap-04-c', 5, 'tap-04-w2');
    PERFORM inventory_reserve('tap-04-o1', 'tap-04-a', 3);
    PERFORM inventory_reserve('tap-04-o2', 'tap-04-a', 2);
    PERFORM inventory_reserve('tap-04-o3', 'tap-04-a', 4);
END
$$;
-- tap-04-a: on_hand 20, reserved 9

-- confirm -------------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT reservation_id, order_id, quantity, status, expires_at, created FROM inventory_confirm(pg_temp.tap_id('tap-04-o1'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o1'), 'tap-04-o1'::text, 3::bigint, 'confirmed'::text, NULL::timestamptz, false)$$,
    'confirm moves active to confirmed, clears expires_at and returns the row');
SELECT is((SELECT status FROM inventory.reservations WHERE id = pg_temp.tap_id('tap-04-o1')), 'confirmed',
          'the stored reservation is confirmed');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'tap-04-a'$$,
                  $$VALUES (20::bigint, 9::bigint)$$, 'confirm changes neither on_hand nor reserved');
SELECT results_eq(
    $$SELECT reason, on_hand_delta, reserved_delta, order_id, reservation_id FROM inventory.ledger
       WHERE product_id = 'tap-04-a' ORDER BY version DESC LIMIT 1$$,
    $$VALUES ('confirm'::text, 0::bigint, 0::bigint, 'tap-04-o1'::text, pg_temp.tap_id('tap-04-o1'))$$,
    'confirm is recorded in the ledger with zero deltas');

CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-04-') AS state;
SELECT results_eq(
    $$SELECT reservation_id, status FROM inventory_confirm(pg_temp.tap_id('tap-04-o1'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o1'), 'confirmed'::text)$$,
    'confirming a confirmed reservation returns it');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), '... and changes nothing');

-- ship ----------------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT reservation_id, status, quantity FROM inventory_ship(pg_temp.tap_id('tap-04-o1'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o1'), 'shipped'::text, 3::bigint)$$,
    'ship moves confirmed to shipped and returns the row');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'tap-04-a'$$,
                  $$VALUES (17::bigint, 6::bigint)$$, 'ship takes the quantity out of on_hand and reserved');
SELECT results_eq(
    $$SELECT reason, on_hand_delta, reserved_delta FROM inventory.ledger
       WHERE product_id = 'tap-04-a' ORDER BY version DESC LIMIT 1$$,
    $$VALUES ('ship'::text, -3::bigint, -3::bigint)$$,
    'ship writes both deltas to the ledger');
DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-04-') AS state;
SELECT results_eq(
    $$SELECT reservation_id, status FROM inventory_ship(pg_temp.tap_id('tap-04-o1'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o1'), 'shipped'::text)$$,
    'shipping a shipped reservation returns it');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), '... and changes nothing');
SELECT throws_ok($$SELECT * FROM inventory_release(pg_temp.tap_id('tap-04-o1'))$$, 'IN004', NULL,
                 'release of a shipped reservation: IN004');
SELECT throws_ok($$SELECT * FROM inventory_confirm(pg_temp.tap_id('tap-04-o1'))$$, 'IN004', NULL,
                 'confirm of a shipped reservation: IN004');
SELECT throws_matching($$SELECT * FROM inventory_confirm(pg_temp.tap_id('tap-04-o1'))$$,
                       'confirm.*tap-04-a.*main.*shipped',
                       'the IN004 message names the move, product, warehouse and current state');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), 'refused moves changed nothing');

-- release -------------------------------------------------------------------------------------

SELECT results_eq(
    $$SELECT reservation_id, status FROM inventory_release(pg_temp.tap_id('tap-04-o2'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o2'), 'released'::text)$$,
    'release moves active to released and returns the row');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'tap-04-a'$$,
                  $$VALUES (17::bigint, 4::bigint)$$, 'release gives the reserved quantity back');
SELECT results_eq(
    $$SELECT reason, on_hand_delta, reserved_delta, reservation_id FROM inventory.ledger
       WHERE product_id = 'tap-04-a' ORDER BY version DESC LIMIT 1$$,
    $$VALUES ('release'::text, 0::bigint, -2::bigint, pg_temp.tap_id('tap-04-o2'))$$,
    'release writes the negative reserved delta to the ledger');
DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-04-') AS state;
SELECT results_eq(
    $$SELECT reservation_id, status FROM inventory_release(pg_temp.tap_id('tap-04-o2'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o2'), 'released'::text)$$,
    'releasing a released reservation returns it');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), '... and changes nothing');
SELECT throws_ok($$SELECT * FROM inventory_confirm(pg_temp.tap_id('tap-04-o2'))$$, 'IN004', NULL,
                 'confirm of a released reservation: IN004');
SELECT throws_ok($$SELECT * FROM inventory_ship(pg_temp.tap_id('tap-04-o2'))$$, 'IN004', NULL,
                 'ship of a released reservation: IN004');
SELECT throws_matching($$SELECT * FROM inventory_ship(pg_temp.tap_id('tap-04-o2'))$$,
                       'cannot ship reservation .* of product "tap-04-a" in warehouse "main": it is released',
                       'the IN004 message of a refused ship names product, warehouse and state');

SELECT ok((SELECT status = 'confirmed' FROM inventory_confirm(pg_temp.tap_id('tap-04-o3'))),
          'setup: tap-04-o3 is confirmed');
SELECT results_eq(
    $$SELECT status FROM inventory_release(pg_temp.tap_id('tap-04-o3'))$$,
    $$VALUES ('released'::text)$$,
    'release moves confirmed to released');
SELECT results_eq($$SELECT on_hand, reserved FROM inventory.stock WHERE product_id = 'tap-04-a'$$,
                  $$VALUES (17::bigint, 0::bigint)$$, 'release of a confirmed reservation gives its stock back');

-- expired -------------------------------------------------------------------------------------

DO $$
BEGIN
    PERFORM inventory_reserve('tap-04-o4', 'tap-04-a', 1);
    PERFORM pg_temp.tap_make_overdue('tap-04-o4');
    PERFORM inventory_expire_reservations();
END
$$;
SELECT is((SELECT status FROM inventory.reservations WHERE id = pg_temp.tap_id('tap-04-o4')), 'expired',
          'setup: the reservation of tap-04-o4 expired');
DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-04-') AS state;
SELECT throws_ok($$SELECT * FROM inventory_confirm(pg_temp.tap_id('tap-04-o4'))$$, 'IN004', NULL,
                 'confirm of an expired reservation: IN004');
SELECT throws_ok($$SELECT * FROM inventory_ship(pg_temp.tap_id('tap-04-o4'))$$, 'IN004', NULL,
                 'ship of an expired reservation: IN004');
SELECT results_eq(
    $$SELECT reservation_id, status FROM inventory_release(pg_temp.tap_id('tap-04-o4'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o4'), 'expired'::text)$$,
    'releasing an expired reservation returns it unchanged');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), 'none of these changed anything');

-- IN003 and 22023 for single reservations -----------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_confirm('00000000-0000-4000-8000-000000000000')$$, 'IN003', NULL,
                 'confirm of an unknown reservation: IN003');
SELECT throws_ok($$SELECT * FROM inventory_release('00000000-0000-4000-8000-000000000000')$$, 'IN003', NULL,
                 'release of an unknown reservation: IN003');
SELECT throws_ok($$SELECT * FROM inventory_ship('00000000-0000-4000-8000-000000000000')$$, 'IN003', NULL,
                 'ship of an unknown reservation: IN003');
SELECT throws_matching($$SELECT * FROM inventory_ship('00000000-0000-4000-8000-000000000000')$$,
                       '00000000-0000-4000-8000-000000000000', 'the IN003 message names the reservation');
SELECT throws_ok($$SELECT * FROM inventory_confirm(NULL)$$, '22023', NULL, 'confirm of NULL: 22023');
SELECT throws_ok($$SELECT * FROM inventory_release(NULL)$$, '22023', NULL, 'release of NULL: 22023');
SELECT throws_ok($$SELECT * FROM inventory_ship(NULL)$$, '22023', NULL, 'ship of NULL: 22023');

-- Per order -----------------------------------------------------------------------------------

DO $$
BEGIN
    PERFORM inventory_reserve_order('tap-04-o5', '[{"product_id": "tap-04-a", "quantity": 2},
                                                   {"product_id": "tap-04-b", "quantity": 3}]');
END
$$;
SELECT results_eq(
    $$SELECT product_id, status, created FROM inventory_confirm_order('tap-04-o5') ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'confirmed'::text, false), ('tap-04-b', 'confirmed', false)$$,
    'confirm_order confirms every active reservation and returns them');
SELECT is((SELECT count(*) FROM inventory.reservations WHERE order_id = 'tap-04-o5' AND status = 'confirmed' AND expires_at IS NULL),
          2::bigint, 'both reservations are stored confirmed, without expiry');
DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-04-') AS state;
SELECT results_eq(
    $$SELECT product_id, status FROM inventory_confirm_order('tap-04-o5') ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'confirmed'::text), ('tap-04-b', 'confirmed')$$,
    'confirm_order repeated returns the confirmed reservations');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), '... and changes nothing');

SELECT results_eq(
    $$SELECT product_id, status, quantity FROM inventory_ship_order('tap-04-o5') ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'shipped'::text, 2::bigint), ('tap-04-b', 'shipped', 3)$$,
    'ship_order ships every confirmed reservation and returns them');
SELECT results_eq(
    $$SELECT product_id, on_hand, reserved FROM inventory.stock WHERE product_id IN ('tap-04-a', 'tap-04-b') ORDER BY 1$$,
    $$VALUES ('tap-04-a'::text, 15::bigint, 0::bigint), ('tap-04-b', 7, 0)$$,
    'ship_order took each quantity out of on_hand and reserved');
DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-04-') AS state;
SELECT results_eq(
    $$SELECT product_id, status, created FROM inventory_ship_order('tap-04-o5') ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'shipped'::text, false), ('tap-04-b', 'shipped', false)$$,
    'ship_order repeated returns the shipped reservations');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), '... and changes nothing');
SELECT throws_ok($$SELECT * FROM inventory_release_order('tap-04-o5')$$, 'IN004', NULL,
                 'release_order of a shipped order: IN004');
SELECT throws_ok($$SELECT * FROM inventory_confirm_order('tap-04-o5')$$, 'IN004', NULL,
                 'confirm_order of a shipped order: IN004');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), 'refused per-order moves changed nothing');

DO $$
BEGIN
    PERFORM inventory_reserve_order('tap-04-o6', '[{"product_id": "tap-04-a", "quantity": 1},
                                                   {"product_id": "tap-04-b", "quantity": 1}]');
    PERFORM inventory_confirm(pg_temp.tap_id('tap-04-o6', 'tap-04-a'));
END
$$;
SELECT results_eq(
    $$SELECT product_id, status FROM inventory_release_order('tap-04-o6') ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'released'::text), ('tap-04-b', 'released')$$,
    'release_order releases confirmed and active reservations and returns them');
SELECT results_eq(
    $$SELECT product_id, reserved FROM inventory.stock WHERE product_id IN ('tap-04-a', 'tap-04-b') ORDER BY 1$$,
    $$VALUES ('tap-04-a'::text, 0::bigint), ('tap-04-b', 0)$$,
    'release_order gave all reserved stock back');
DROP TABLE tap_before;
CREATE TEMP TABLE tap_before AS SELECT pg_temp.tap_state('tap-04-') AS state;
SELECT results_eq(
    $$SELECT product_id, status FROM inventory_release_order('tap-04-o6') ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'released'::text), ('tap-04-b', 'released')$$,
    'release_order repeated returns the released reservations');
SELECT is(pg_temp.tap_state('tap-04-'), (SELECT state FROM tap_before), '... and changes nothing');
SELECT throws_ok($$SELECT * FROM inventory_confirm_order('tap-04-o6')$$, 'IN004', NULL,
                 'confirm_order of a released order: IN004');
SELECT throws_ok($$SELECT * FROM inventory_ship_order('tap-04-o6')$$, 'IN004', NULL,
                 'ship_order of a released order: IN004');
SELECT results_eq(
    $$SELECT status FROM inventory_release_order('tap-04-o4')$$,
    $$VALUES ('expired'::text)$$,
    'release_order of an order whose reservation expired is a no-op returning it');

-- An order split over two warehouses moves as a whole.
DO $$ BEGIN PERFORM inventory_reserve('tap-04-o7', 'tap-04-c', 8); END $$;
SELECT is((SELECT count(*) FROM inventory_confirm_order('tap-04-o7')), 2::bigint,
          'confirm_order returns both warehouse slices of a split reservation');
SELECT results_eq(
    $$SELECT warehouse, status FROM inventory_ship_order('tap-04-o7') ORDER BY warehouse$$,
    $$VALUES ('tap-04-w1'::text, 'shipped'::text), ('tap-04-w2', 'shipped')$$,
    'ship_order ships both slices');
SELECT results_eq(
    $$SELECT sum(on_hand)::bigint, sum(reserved)::bigint FROM inventory.stock WHERE product_id = 'tap-04-c'$$,
    $$VALUES (2::bigint, 0::bigint)$$,
    'both warehouses lost their share of on_hand');

-- An order with a released and a live reservation of the same product: only the live one moves.
DO $$
BEGIN
    PERFORM inventory_reserve('tap-04-o8', 'tap-04-a', 1);
    PERFORM inventory_release(pg_temp.tap_id('tap-04-o8'));
    PERFORM inventory_reserve('tap-04-o8', 'tap-04-a', 2);
END
$$;
SELECT results_eq(
    $$SELECT quantity, status FROM inventory_confirm_order('tap-04-o8')$$,
    $$VALUES (2::bigint, 'confirmed'::text)$$,
    'confirm_order moves only the live reservation');
SELECT results_eq(
    $$SELECT quantity, status FROM inventory.reservations WHERE order_id = 'tap-04-o8' ORDER BY quantity$$,
    $$VALUES (1::bigint, 'released'::text), (2, 'confirmed')$$,
    'the released reservation stays released');
SELECT results_eq(
    $$SELECT quantity, status FROM inventory_ship_order('tap-04-o8')$$,
    $$VALUES (2::bigint, 'shipped'::text)$$,
    'ship_order ships only the live reservation');

-- Ship without confirm ------------------------------------------------------------------------
-- An active reservation ships directly (the reserve -> ship flow): it is confirmed and shipped in
-- one change under its row lock, one ledger row (reason ship) and one event.

DO $$ BEGIN PERFORM inventory_reserve('tap-04-o9', 'tap-04-b', 2); END $$;
CREATE TEMP TABLE tap_direct AS
SELECT version, (SELECT count(*) FROM inventory.outbox WHERE aggregateid = 'tap-04-b') AS events
  FROM inventory.stock WHERE product_id = 'tap-04-b';
SELECT results_eq(
    $$SELECT reservation_id, status, expires_at, created FROM inventory_ship(pg_temp.tap_id('tap-04-o9', 'tap-04-b'), 'user:ship')$$,
    $$VALUES (pg_temp.tap_id('tap-04-o9', 'tap-04-b'), 'shipped'::text, NULL::timestamptz, false)$$,
    'ship moves an active reservation to shipped and clears expires_at');
SELECT results_eq(
    $$SELECT status, expires_at FROM inventory.reservations WHERE id = pg_temp.tap_id('tap-04-o9', 'tap-04-b')$$,
    $$VALUES ('shipped'::text, NULL::timestamptz)$$,
    'the stored reservation is shipped, without a deadline');
SELECT results_eq(
    $$SELECT reason, on_hand_delta, reserved_delta, order_id, actor FROM inventory.ledger
       WHERE product_id = 'tap-04-b' AND version > (SELECT version FROM tap_direct)$$,
    $$VALUES ('ship'::text, -2::bigint, -2::bigint, 'tap-04-o9'::text, 'user:ship'::text)$$,
    'the direct ship is one ledger row with both deltas and the actor argument');
SELECT results_eq(
    $$SELECT count(*), min(payload->>'reason'), min((payload->>'onHand')::bigint)
        FROM inventory.outbox WHERE aggregateid = 'tap-04-b' AND type = 'inventory.updated'
         AND version > (SELECT version FROM tap_direct)$$,
    $$VALUES (1::bigint, 'ship'::text, 5::bigint)$$,
    '... and one inventory.updated event');
SELECT results_eq(
    $$SELECT reservation_id, status FROM inventory_ship(pg_temp.tap_id('tap-04-o9', 'tap-04-b'))$$,
    $$VALUES (pg_temp.tap_id('tap-04-o9', 'tap-04-b'), 'shipped'::text)$$,
    'shipping it again returns it');
SELECT is((SELECT version FROM inventory.stock WHERE product_id = 'tap-04-b'),
          (SELECT version + 1 FROM tap_direct), '... and writes nothing');

-- A reservation past its deadline but not yet expired still ships, as it still confirms.
DO $$
BEGIN
    PERFORM inventory_reserve('tap-04-o10', 'tap-04-b', 1);
    PERFORM pg_temp.tap_make_overdue('tap-04-o10');
END
$$;
SELECT results_eq(
    $$SELECT status FROM inventory_ship(pg_temp.tap_id('tap-04-o10', 'tap-04-b'))$$,
    $$VALUES ('shipped'::text)$$,
    'an overdue reservation that is not expired yet ships');

-- ship_order ships an order's active and confirmed reservations together.
SET LOCAL inventory.actor = 'user:setting';
DO $$
BEGIN
    PERFORM inventory_reserve_order('tap-04-o11', '[{"product_id": "tap-04-a", "quantity": 1},
                                                    {"product_id": "tap-04-b", "quantity": 1}]');
    PERFORM inventory_confirm(pg_temp.tap_id('tap-04-o11', 'tap-04-a'));
END
$$;
SELECT results_eq(
    $$SELECT product_id, status FROM inventory_ship_order('tap-04-o11') ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'shipped'::text), ('tap-04-b', 'shipped')$$,
    'ship_order ships a confirmed and an active reservation of one order');
SELECT results_eq(
    $$SELECT product_id, reason, actor FROM inventory.ledger l
       WHERE order_id = 'tap-04-o11' AND reason = 'ship' ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'ship'::text, 'user:setting'::text), ('tap-04-b', 'ship', 'user:setting')$$,
    'one ship row each, with the inventory.actor setting when no actor is passed');
SELECT results_eq(
    $$SELECT product_id, actor FROM inventory_ship_order('tap-04-o11', 'user:other') r
        JOIN inventory.ledger l USING (product_id) WHERE l.order_id = 'tap-04-o11' AND l.reason = 'ship'
       ORDER BY product_id$$,
    $$VALUES ('tap-04-a'::text, 'user:setting'::text), ('tap-04-b', 'user:setting')$$,
    'ship_order repeated is a no-op: no ledger row with the new actor');
RESET inventory.actor;
SELECT throws_ok($$SELECT * FROM inventory_ship(pg_temp.tap_id('tap-04-o9', 'tap-04-b'), '')$$, '22023', NULL,
                 'an empty actor: 22023');

-- IN003 and 22023 for orders ------------------------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_confirm_order('tap-04-unknown')$$, 'IN003', NULL,
                 'confirm_order of an order without reservations: IN003');
SELECT throws_ok($$SELECT * FROM inventory_release_order('tap-04-unknown')$$, 'IN003', NULL,
                 'release_order of an order without reservations: IN003');
SELECT throws_ok($$SELECT * FROM inventory_ship_order('tap-04-unknown')$$, 'IN003', NULL,
                 'ship_order of an order without reservations: IN003');
SELECT throws_matching($$SELECT * FROM inventory_ship_order('tap-04-unknown')$$, 'tap-04-unknown',
                       'the IN003 message names the order');
SELECT throws_ok($$SELECT * FROM inventory_confirm_order(NULL)$$, '22023', NULL, 'confirm_order of NULL: 22023');
SELECT throws_ok($$SELECT * FROM inventory_release_order(NULL)$$, '22023', NULL, 'release_order of NULL: 22023');
SELECT throws_ok($$SELECT * FROM inventory_ship_order(NULL)$$, '22023', NULL, 'ship_order of NULL: 22023');
SELECT throws_ok($$SELECT * FROM inventory_confirm_order('')$$, '22023', NULL, 'confirm_order of an empty id: 22023');
SELECT throws_ok($$SELECT * FROM inventory_release_order(repeat('o', 201))$$, '22023', NULL,
                 'release_order of a 201-byte id: 22023');
SELECT throws_ok($$SELECT * FROM inventory_ship_order(E'o\x01')$$, '22023', NULL,
                 'ship_order of an id with a control character: 22023');

-- Consistency ---------------------------------------------------------------------------------

SELECT * FROM pg_temp.tap_consistency('tap-04-');
SELECT results_eq(
    $$SELECT on_hand FROM inventory.stock WHERE product_id = 'tap-04-a'$$,
    $$SELECT 20 - sum(quantity)::bigint FROM inventory.reservations WHERE product_id = 'tap-04-a' AND status = 'shipped'$$,
    'on_hand of tap-04-a dropped by exactly the shipped quantities');

SELECT * FROM finish();
ROLLBACK;
