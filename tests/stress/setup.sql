-- tests/stress/setup.sql: the stress test's fixtures in its own throwaway database. Owned by the
-- stress test (tests/stress/run.sh); nothing here ships with the extension.
--
-- Schema "stress" holds a log of every call (stress.calls) and stress.step, a test-only wrapper
-- that pgbench calls once per transaction. stress.step picks an operation, calls the real API
-- once, and catches ONLY errors of class IN (the extension's own, expected under contention);
-- any other error (40P01 deadlock, 23514 check violation, XX000, ...) propagates and makes
-- pgbench abort the client, which fails the test.
--
-- Each call tags its ledger rows through the inventory.actor setting ('stress:<call id>'). After a
-- successful call, still inside its transaction and so still holding the stock row locks it took,
-- the ledger rows of that call are the newest ones of each stock row it changed; stress.step
-- counts them by walking each row's versions down while the actor is its own, and logs them next
-- to what the API returned, so checks.sql can compare the two.

CREATE SCHEMA stress;

CREATE SEQUENCE stress.call_seq;

CREATE TABLE stress.calls (
    call_id      bigint PRIMARY KEY,
    client       integer NOT NULL,
    op           text    NOT NULL,
    outcome      text    NOT NULL,           -- 'ok' or the SQLSTATE of a caught IN error
    returned     integer NOT NULL DEFAULT 0, -- rows (or, for the reaper, the count) returned
    created      integer NOT NULL DEFAULT 0, -- returned reservations with created = true
    op_rows      integer NOT NULL DEFAULT 0, -- this call's ledger rows whose reason is the op's
    expire_rows  integer NOT NULL DEFAULT 0, -- this call's ledger rows with reason 'expire'
    ledger_rows  integer NOT NULL DEFAULT 0  -- all of this call's ledger rows
);

-- Stock: 4 products in 2 warehouses with little stock, so shortages are frequent.
SELECT set_config('inventory.actor', 'setup', false);
SELECT inventory_set_stock('prod-' || p, 4, w)
  FROM generate_series(1, 4) p, unnest(ARRAY['main', 'east']) w;
SELECT set_config('inventory.actor', '', false);

-- stress.step performs one API call chosen by r (1..100) and logs it in stress.calls.
--   client: pgbench client id; p: product 1..4; q: quantity 1..3; w: 0 any warehouse, 1 main,
--   2 east; t: 1..10, a reservation gets a 1-second ttl when t = 1 (so reservations go overdue and
--   the reaper and on-the-spot expiry have work), and a transition picks a reservation in any
--   state when t = 2 (so it meets refusals and repeats, not only live reservations).
CREATE FUNCTION stress.step(client integer, r integer, p integer, q integer, w integer, t integer)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    call_id   bigint := nextval('stress.call_seq');
    tag       text := 'stress:' || call_id;
    product   text := 'prod-' || p;
    other     text := 'prod-' || (p % 4 + 1);
    warehouse text := CASE w WHEN 1 THEN 'main' WHEN 2 THEN 'east' END;
    ttl       interval := CASE WHEN t = 1 THEN interval '1 second' END;
    order_id  text := 'c' || client || '-' || call_id;
    op        text;
    op_reason text;
    target    uuid;
    target_order text;
    held      bigint;
    outcome   text := 'ok';
    returned  integer := 0;
    created   integer := 0;
    op_rows   integer := 0;
    expire_rows integer := 0;
    ledger_rows integer := 0;
    newest    record;
    walked    bigint;
    walked_reason text;
BEGIN
    PERFORM set_config('inventory.actor', tag, true);

    op := CASE
        WHEN r <= 22 THEN 'reserve'
        WHEN r <= 27 THEN 'batch'
        WHEN r <= 34 THEN 'reserve_order'
        WHEN r <= 38 THEN 'repeat'
        WHEN r <= 49 THEN 'confirm'
        WHEN r <= 51 THEN 'confirm_order'
        WHEN r <= 60 THEN 'release'
        WHEN r <= 62 THEN 'release_order'
        WHEN r <= 72 THEN 'ship'
        WHEN r <= 74 THEN 'ship_order'
        WHEN r <= 88 THEN 'restock'
        WHEN r <= 91 THEN 'restock_request'
        WHEN r <= 94 THEN 'return'
        WHEN r <= 97 THEN 'expire'
        ELSE 'adjust'
    END;

    -- Pick the reservation a transition works on. The pick reads without locks, so by the time
    -- the call runs another session may have moved it: that is the race being tested.
    IF op IN ('confirm', 'confirm_order') THEN
        SELECT x.id, x.order_id INTO target, target_order FROM inventory.reservations x
         WHERE x.product_id = product AND (x.status = 'active' OR t = 2) ORDER BY random() LIMIT 1;
    ELSIF op IN ('release', 'release_order', 'repeat') THEN
        SELECT x.id, x.order_id INTO target, target_order FROM inventory.reservations x
         WHERE x.product_id = product AND (x.status IN ('active', 'confirmed') OR t = 2)
         ORDER BY random() LIMIT 1;
    ELSIF op IN ('ship', 'ship_order') THEN
        -- With t = 3 an active reservation ships (confirmed and shipped in one change); rarely, so
        -- that short-lived reservations still live long enough to go overdue.
        SELECT x.id, x.order_id INTO target, target_order FROM inventory.reservations x
         WHERE x.product_id = product AND (x.status = 'confirmed' OR (x.status = 'active' AND t = 3) OR t = 2)
         ORDER BY random() LIMIT 1;
    ELSIF op = 'return' THEN
        SELECT x.id, x.order_id INTO target, target_order FROM inventory.reservations x
         WHERE x.product_id = product AND (x.status = 'shipped' OR t = 2) ORDER BY random() LIMIT 1;
    END IF;
    IF op IN ('confirm', 'confirm_order', 'release', 'release_order', 'repeat', 'ship', 'ship_order', 'return')
       AND target IS NULL THEN
        op := 'reserve';
    END IF;
    op_reason := CASE op
        WHEN 'reserve_order' THEN 'reserve' WHEN 'repeat' THEN 'reserve' WHEN 'batch' THEN 'reserve'
        WHEN 'confirm_order' THEN 'confirm' WHEN 'release_order' THEN 'release'
        WHEN 'ship_order' THEN 'ship' WHEN 'restock_request' THEN 'restock'
        WHEN 'return' THEN CASE WHEN t % 2 = 0 THEN 'return' ELSE 'write_off' END ELSE op END;

    BEGIN
        CASE op
        WHEN 'reserve' THEN
            SELECT count(*), count(*) FILTER (WHERE x.created) INTO returned, created
              FROM inventory_reserve(order_id, product, q, warehouse, ttl) x;
        WHEN 'reserve_order' THEN
            -- Two lines, in one product order or the other, sometimes naming the same product twice.
            SELECT count(*), count(*) FILTER (WHERE x.created) INTO returned, created
              FROM inventory_reserve_order(order_id,
                   CASE WHEN w = 0 THEN jsonb_build_array(
                            jsonb_build_object('product_id', product, 'quantity', q),
                            jsonb_build_object('product_id', other, 'quantity', 1))
                        WHEN w = 1 THEN jsonb_build_array(
                            jsonb_build_object('product_id', other, 'quantity', 1),
                            jsonb_build_object('product_id', product, 'quantity', q, 'warehouse', 'main'))
                        ELSE jsonb_build_array(
                            jsonb_build_object('product_id', product, 'quantity', 1),
                            jsonb_build_object('product_id', product, 'quantity', q))
                   END, ttl) x;
        WHEN 'batch' THEN
            -- Three requests in one batch: a new order, a second one on the next product, and a
            -- repeat of the first (repeated when the first was granted). A short or refused request
            -- is an outcome, never an error of the call.
            SELECT count(x), count(x) FILTER (WHERE x.created) INTO returned, created
              FROM inventory_reserve_batch(jsonb_build_array(
                       jsonb_build_object('order_id', order_id, 'lines',
                           jsonb_build_array(jsonb_build_object('product_id', product, 'quantity', q,
                                                                'warehouse', warehouse))),
                       jsonb_build_object('order_id', order_id || 'b', 'ttl_seconds', CASE WHEN t = 1 THEN 1 END,
                           'lines', jsonb_build_array(jsonb_build_object('product_id', other, 'quantity', 1))),
                       jsonb_build_object('order_id', order_id, 'lines',
                           jsonb_build_array(jsonb_build_object('product_id', product, 'quantity', q,
                                                                'warehouse', warehouse))))) b
              LEFT JOIN LATERAL unnest(b.reservations) x ON true;
        WHEN 'repeat' THEN
            -- Repeat the reservation of an existing order and product with what it holds now.
            SELECT coalesce(sum(x.quantity), 0) INTO held FROM inventory.reservations x
             WHERE x.order_id = target_order AND x.product_id = product
               AND x.status IN ('active', 'confirmed');
            SELECT count(*), count(*) FILTER (WHERE x.created) INTO returned, created
              FROM inventory_reserve(target_order, product, greatest(held, 1), NULL, ttl) x;
        WHEN 'confirm' THEN
            SELECT count(*) INTO returned FROM inventory_confirm(target);
        WHEN 'confirm_order' THEN
            SELECT count(*) INTO returned FROM inventory_confirm_order(target_order);
        WHEN 'release' THEN
            SELECT count(*) INTO returned FROM inventory_release(target);
        WHEN 'release_order' THEN
            SELECT count(*) INTO returned FROM inventory_release_order(target_order);
        WHEN 'ship' THEN
            SELECT count(*) INTO returned FROM inventory_ship(target);
        WHEN 'ship_order' THEN
            SELECT count(*) INTO returned FROM inventory_ship_order(target_order);
        WHEN 'restock' THEN
            PERFORM inventory_restock(product, q, CASE w WHEN 2 THEN 'east' ELSE 'main' END);
            returned := 1;
        WHEN 'restock_request' THEN
            -- A small pool of request ids per product, each always for t units: concurrent calls
            -- repeat each other (a repeat adds nothing); one id on two warehouses is IN005.
            PERFORM inventory_restock(product, t, CASE w WHEN 2 THEN 'east' ELSE 'main' END, NULL,
                                      'req-' || p || '-' || t);
            returned := 1;
        WHEN 'return' THEN
            -- Units of a shipped reservation come back, restocked or written off; never more than
            -- shipped over all returns (IN004). The actor goes as an argument here.
            SELECT count(*) INTO returned
              FROM inventory_return(target, q, t % 2 = 0, 'stress return', tag);
        WHEN 'expire' THEN
            returned := inventory_expire_reservations(25);
        WHEN 'adjust' THEN
            -- Shrinkage: refused (IN006) when on_hand would fall below what is reserved.
            PERFORM inventory_adjust(product, -q, 'stress shrinkage', CASE w WHEN 2 THEN 'east' ELSE 'main' END);
            returned := 1;
        END CASE;
    EXCEPTION WHEN SQLSTATE 'IN000' THEN
        -- Class IN only: the call's subtransaction, with everything it wrote, is rolled back.
        GET STACKED DIAGNOSTICS outcome = RETURNED_SQLSTATE;
        returned := 0;
        created := 0;
    END;

    IF outcome = 'ok' THEN
        -- A loop rather than a recursive CTE, which Citus refuses over distributed tables.
        FOR newest IN
            SELECT l.product_id, l.warehouse, l.version
              FROM inventory.stock s
              JOIN inventory.ledger l ON l.product_id = s.product_id AND l.warehouse = s.warehouse
                                     AND l.version = s.version
             WHERE l.actor = tag
        LOOP
            walked := newest.version;
            LOOP
                SELECT l.reason INTO walked_reason FROM inventory.ledger l
                 WHERE l.product_id = newest.product_id AND l.warehouse = newest.warehouse
                   AND l.version = walked AND l.actor = tag;
                EXIT WHEN NOT FOUND;
                ledger_rows := ledger_rows + 1;
                op_rows := op_rows + CASE WHEN walked_reason = op_reason THEN 1 ELSE 0 END;
                expire_rows := expire_rows + CASE WHEN walked_reason = 'expire' THEN 1 ELSE 0 END;
                walked := walked - 1;
            END LOOP;
        END LOOP;
    END IF;

    INSERT INTO stress.calls VALUES (call_id, client, op, outcome, returned, created, op_rows,
                                     expire_rows, ledger_rows);
    RETURN outcome;
END
$$;
