-- include/helpers.sql: helpers the pgTAP suites share, included with \ir after plan(). They live in
-- pg_temp, so they vanish with the suite's session and leave nothing in the database.

-- tap_state(prefix): everything a suite can change, for products whose id starts with prefix, as
-- one text to compare before and after a call that must change nothing.
CREATE FUNCTION pg_temp.tap_state(prefix text) RETURNS text LANGUAGE sql AS $$
SELECT concat_ws(' | ',
    (SELECT string_agg(format('%s/%s on_hand=%s reserved=%s v%s name=%s thr=%s', product_id, warehouse,
                              on_hand, reserved, version, name, low_stock_threshold), ', '
                       ORDER BY product_id, warehouse)
       FROM inventory.stock WHERE left(product_id, length(prefix)) = prefix),
    (SELECT string_agg(format('%s %s %s %s %s', id, order_id, status, quantity, expires_at), ', ' ORDER BY id)
       FROM inventory.reservations WHERE left(product_id, length(prefix)) = prefix),
    'ledger=' || (SELECT count(*) FROM inventory.ledger WHERE left(product_id, length(prefix)) = prefix),
    'outbox=' || (SELECT count(*) FROM inventory.outbox WHERE left(aggregateid, length(prefix)) = prefix))
$$;

-- tap_consistency(prefix): two tests on every stock row of the prefix's products: reserved equals
-- the live reservations, and the ledger's deltas sum to on_hand and reserved.
CREATE FUNCTION pg_temp.tap_consistency(prefix text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT is_empty(format(
        $q$SELECT s.product_id, s.warehouse FROM inventory.stock s
             LEFT JOIN (SELECT product_id, warehouse, sum(quantity) AS live FROM inventory.reservations
                         WHERE status IN ('active', 'confirmed') GROUP BY 1, 2) r USING (product_id, warehouse)
            WHERE left(s.product_id, length(%L)) = %L AND s.reserved <> coalesce(r.live, 0)$q$, prefix, prefix),
        format('reserved equals the sum of live reservations on every %s stock row', prefix));
    RETURN NEXT is_empty(format(
        $q$SELECT s.product_id, s.warehouse FROM inventory.stock s
             JOIN (SELECT product_id, warehouse, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
                     FROM inventory.ledger GROUP BY 1, 2) l USING (product_id, warehouse)
            WHERE left(s.product_id, length(%L)) = %L AND (l.on_hand <> s.on_hand OR l.reserved <> s.reserved)$q$,
            prefix, prefix),
        format('ledger sums equal every %s stock row', prefix));
END
$$;

-- tap_make_overdue(order_ids...): moves the deadlines of the orders' reservations a minute into the
-- past, as time passing would, and lowers their stock rows' next_expiry to match: the extension
-- keeps next_expiry at or before every active reservation's deadline, and reads and the reaper rely
-- on it.
CREATE FUNCTION pg_temp.tap_make_overdue(VARIADIC order_ids text[]) RETURNS void LANGUAGE sql AS $$
WITH moved AS (
    UPDATE inventory.reservations r SET expires_at = now() - interval '1 minute'
     WHERE r.order_id = ANY (order_ids) RETURNING r.product_id, r.warehouse, r.expires_at)
UPDATE inventory.stock s SET next_expiry = least(s.next_expiry, m.expires_at)
  FROM (SELECT DISTINCT product_id, warehouse, expires_at FROM moved) m
 WHERE s.product_id = m.product_id AND s.warehouse = m.warehouse
$$;
