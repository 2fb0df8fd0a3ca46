-- reference_reserve.sql: the PL/pgSQL baseline that bench/run.sh measures inventory_reserve against.
-- bench_reference.reserve does what inventory_reserve does for one product in one named warehouse:
-- lock the stock row FOR UPDATE, look for a live reservation of the order (idempotency), check
-- available, update the stock row, then insert the reservation, ledger and outbox rows into the
-- same inventory.* tables with the same columns (the stock row's next_expiry included) and the same
-- JSON payload fields. It has the same function attributes (SECURITY DEFINER, pinned search_path)
-- so that the comparison measures the implementation, not the call wrapper. It leaves out what the benchmark never reaches: splitting
-- across warehouses, expiring overdue reservations when short, alert events (stock never gets low)
-- and NOTIFY (inventory_reserve is measured with and without it).

CREATE SCHEMA bench_reference;

CREATE FUNCTION bench_reference.reserve(order_id text, product_id text, quantity bigint,
                                        warehouse text DEFAULT 'main',
                                        ttl interval DEFAULT interval '15 minutes')
RETURNS SETOF public.inventory_reservation
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    before      inventory.stock;
    after       inventory.stock;
    held        bigint;
    reservation public.inventory_reservation;
    event_id    uuid := gen_random_uuid();
BEGIN
    SELECT * INTO before FROM inventory.stock s
     WHERE s.product_id = reserve.product_id AND s.warehouse = reserve.warehouse
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'product "%" is not stocked in warehouse "%"', product_id, warehouse
            USING ERRCODE = 'IN002';
    END IF;

    SELECT sum(r.quantity) INTO held FROM inventory.reservations r
     WHERE r.order_id = reserve.order_id AND r.product_id = reserve.product_id
       AND r.status IN ('active', 'confirmed');
    IF held IS NOT NULL THEN
        IF held <> quantity THEN
            RAISE EXCEPTION 'order "%" already holds % of product "%", not %', order_id, held,
                product_id, quantity USING ERRCODE = 'IN005';
        END IF;
        RETURN QUERY SELECT r.id, r.order_id, r.product_id, r.warehouse, r.quantity, r.status,
                            r.expires_at, r.created_at, r.updated_at, false
                       FROM inventory.reservations r
                      WHERE r.order_id = reserve.order_id AND r.product_id = reserve.product_id
                        AND r.status IN ('active', 'confirmed');
        RETURN;
    END IF;

    IF before.available < quantity THEN
        RAISE EXCEPTION 'insufficient stock for order "%": product "%": requested %, available %',
            order_id, product_id, quantity, before.available USING ERRCODE = 'IN001';
    END IF;

    UPDATE inventory.stock s
       SET reserved = s.reserved + quantity, version = s.version + 1, updated_at = now(),
           next_expiry = least(s.next_expiry, now() + ttl)
     WHERE s.product_id = reserve.product_id AND s.warehouse = reserve.warehouse
    RETURNING * INTO after;

    INSERT INTO inventory.reservations AS r (id, order_id, product_id, warehouse, quantity, expires_at)
    VALUES (gen_random_uuid(), order_id, product_id, warehouse, quantity, now() + ttl)
    RETURNING r.id, r.order_id, r.product_id, r.warehouse, r.quantity, r.status, r.expires_at,
              r.created_at, r.updated_at, true
         INTO reservation;

    INSERT INTO inventory.ledger (product_id, warehouse, version, on_hand_delta, reserved_delta,
                                  on_hand_after, reserved_after, reason, order_id, reservation_id,
                                  actor)
    VALUES (after.product_id, after.warehouse, after.version, 0, quantity, after.on_hand,
            after.reserved, 'reserve', order_id, reservation.reservation_id,
            nullif(current_setting('inventory.actor', true), ''));

    INSERT INTO inventory.outbox (id, aggregatetype, aggregateid, type, payload, warehouse, version)
    VALUES (event_id, 'inventory.updated', after.product_id, 'inventory.updated',
            jsonb_build_object(
                'eventId', event_id, 'type', 'inventory.updated', 'productId', after.product_id,
                'warehouse', after.warehouse, 'version', after.version, 'reason', 'reserve',
                'previousQuantity', before.available, 'newQuantity', after.available,
                'onHand', after.on_hand, 'reserved', after.reserved, 'available', after.available,
                'lowStockThreshold', after.low_stock_threshold, 'orderId', order_id,
                'reservationId', reservation.reservation_id, 'returnedQuantity', NULL::bigint,
                'timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
            after.warehouse, after.version);

    RETURN NEXT reservation;
END
$$;
COMMENT ON FUNCTION bench_reference.reserve(text, text, bigint, text, interval) IS
'Benchmark baseline: inventory_reserve for one product in one warehouse, written in PL/pgSQL.';
