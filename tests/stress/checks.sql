-- tests/stress/checks.sql: what must hold after the stress run. Owned by the stress test
-- (tests/stress/run.sh), which passes :expected_calls (pgbench transactions) and prints one line
-- per row of the result: check name, pass (t/f), detail. Ledger rows of the actor 'routed' come
-- from the unlogged extra clients of a Citus run (STRESS_EXTRA_SCRIPT): they count in every
-- invariant of the data, not in the accounting of logged calls.

WITH
stock AS (SELECT * FROM inventory.stock),
live AS (
    SELECT product_id, warehouse, sum(quantity) AS quantity FROM inventory.reservations
     WHERE status IN ('active', 'confirmed') GROUP BY product_id, warehouse),
sums AS (
    SELECT product_id, warehouse, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved,
           count(*) AS n, min(version) AS first_version, max(version) AS last_version
      FROM inventory.ledger GROUP BY product_id, warehouse),
running AS (
    SELECT on_hand_after, reserved_after,
           sum(on_hand_delta) OVER w AS on_hand_sum, sum(reserved_delta) OVER w AS reserved_sum
      FROM inventory.ledger
    WINDOW w AS (PARTITION BY product_id, warehouse ORDER BY version)),
call_ledger AS MATERIALIZED (
    -- Ledger rows per actor of a logged call (materialized first: Citus joins a local table such as
    -- stress.calls with a distributed one only through an intermediate result).
    SELECT actor, count(*) AS n FROM inventory.ledger
     WHERE actor IS DISTINCT FROM 'setup' AND actor IS DISTINCT FROM 'routed' GROUP BY actor),
updated AS (
    SELECT aggregateid AS product_id, warehouse, version, count(*) AS n,
           min(payload::text) AS payload_text, min(payload ->> 'onHand') AS on_hand,
           min(payload ->> 'reserved') AS reserved, min(payload ->> 'version') AS payload_version
      FROM inventory.outbox WHERE type = 'inventory.updated'
     GROUP BY aggregateid, warehouse, version),
calls AS (
    -- consistent: a successful call's ledger rows agree with what the API returned.
    SELECT c.*, c.outcome <> 'ok' OR (
               c.ledger_rows = c.op_rows + CASE WHEN c.op = 'expire' THEN 0 ELSE c.expire_rows END
               AND CASE
                   WHEN c.op IN ('reserve', 'reserve_order', 'repeat', 'batch') THEN c.op_rows = c.created
                   WHEN c.op IN ('confirm', 'release', 'ship')
                       THEN c.op_rows <= 1 AND c.returned = 1 AND c.expire_rows = 0
                   WHEN c.op IN ('confirm_order', 'release_order', 'ship_order')
                       THEN c.op_rows <= c.returned AND c.expire_rows = 0
                   WHEN c.op = 'restock' THEN c.op_rows = 1
                   WHEN c.op = 'restock_request' THEN c.op_rows <= 1
                   WHEN c.op = 'return' THEN c.op_rows = 1 AND c.returned = 1
                   WHEN c.op = 'expire' THEN c.expire_rows = c.returned
                   WHEN c.op = 'adjust' THEN c.op_rows = 1
               END) AS consistent,
           c.outcome IN ('ok', 'IN001', 'IN004', 'IN005') OR (c.outcome = 'IN006' AND c.op = 'adjust')
               AS expected_outcome
      FROM stress.calls c),
paths AS (
    SELECT r.id, r.status, r.quantity, r.returned_quantity,
           count(*) FILTER (WHERE l.reason = 'reserve' AND l.on_hand_delta = 0 AND l.reserved_delta = r.quantity) AS reserve_ok,
           count(*) FILTER (WHERE l.reason = 'reserve') AS reserves,
           count(*) FILTER (WHERE l.reason = 'confirm' AND l.on_hand_delta = 0 AND l.reserved_delta = 0) AS confirms,
           count(*) FILTER (WHERE l.reason = 'release' AND l.on_hand_delta = 0 AND l.reserved_delta = -r.quantity) AS releases,
           count(*) FILTER (WHERE l.reason = 'ship' AND l.on_hand_delta = -r.quantity AND l.reserved_delta = -r.quantity) AS ships,
           count(*) FILTER (WHERE l.reason = 'expire' AND l.on_hand_delta = 0 AND l.reserved_delta = -r.quantity) AS expires,
           count(*) FILTER (WHERE (l.reason = 'return' AND l.on_hand_delta = l.returned_quantity
                                   OR l.reason = 'write_off' AND l.on_hand_delta = 0)
                              AND l.reserved_delta = 0 AND l.returned_quantity > 0) AS returns,
           coalesce(sum(l.returned_quantity) FILTER (WHERE l.reason IN ('return', 'write_off')), 0) AS returned_units,
           count(l.reason) AS rows
      FROM inventory.reservations r
      LEFT JOIN inventory.ledger l ON l.reservation_id = r.id AND l.product_id = r.product_id
     GROUP BY r.id, r.status, r.quantity, r.returned_quantity),
legal AS (
    -- legal: one reserve row, then at most a confirm and one final move that fits the status; a
    -- shipped reservation (with or without a confirm) then any returns, whose units add up to its
    -- returned total and never pass its quantity.
    SELECT p.*, p.reserves = 1 AND p.reserve_ok = 1
           AND p.rows = 1 + p.confirms + p.releases + p.ships + p.expires + p.returns
           AND p.returned_units = p.returned_quantity AND p.returned_quantity <= p.quantity
           AND (p.returns = 0 OR p.status = 'shipped')
           AND CASE p.status
               WHEN 'active' THEN p.confirms = 0 AND p.releases + p.ships + p.expires = 0
               WHEN 'confirmed' THEN p.confirms = 1 AND p.releases + p.ships + p.expires = 0
               WHEN 'shipped' THEN p.confirms <= 1 AND p.ships = 1 AND p.releases + p.expires = 0
               WHEN 'released' THEN p.confirms <= 1 AND p.releases = 1 AND p.ships + p.expires = 0
               WHEN 'expired' THEN p.confirms = 0 AND p.expires = 1 AND p.releases + p.ships = 0
           END AS legal
      FROM paths p)
SELECT name, ok, detail FROM (
SELECT 1 AS ord, 'every pgbench transaction logged one call' AS name,
       count(*) = :expected_calls AS ok,
       format('%s calls logged, %s pgbench transactions', count(*), :expected_calls) AS detail
  FROM calls
UNION ALL
SELECT 2, 'at least 10000 API calls from at least 32 clients',
       count(*) >= 10000 AND count(DISTINCT client) >= 32,
       format('%s calls (%s ok) from %s clients', count(*), count(*) FILTER (WHERE outcome = 'ok'),
              count(DISTINCT client))
  FROM calls
UNION ALL
SELECT 3, 'only expected IN errors (IN001 short, IN004 transition or return, IN005 repeat conflict, IN006 adjust)',
       count(*) FILTER (WHERE NOT expected_outcome) = 0,
       format('unexpected: %s', coalesce(string_agg(DISTINCT outcome || ' on ' || op, ', ')
                                         FILTER (WHERE NOT expected_outcome), 'none'))
  FROM calls
UNION ALL
SELECT 4, 'shortages happened often (IN001)',
       count(*) FILTER (WHERE outcome = 'IN001') >= 100,
       format('%s of %s reserve calls were short', count(*) FILTER (WHERE outcome = 'IN001'),
              count(*) FILTER (WHERE op IN ('reserve', 'reserve_order', 'repeat', 'batch')))
  FROM calls
UNION ALL
SELECT 5, 'no stock row oversold or negative (0 <= reserved <= on_hand)',
       count(*) FILTER (WHERE NOT (reserved >= 0 AND reserved <= on_hand AND on_hand >= 0)) = 0,
       format('%s rows, %s bad; on_hand %s, reserved %s', count(*),
              count(*) FILTER (WHERE NOT (reserved >= 0 AND reserved <= on_hand AND on_hand >= 0)),
              sum(on_hand), sum(reserved))
  FROM stock
UNION ALL
SELECT 6, 'reserved equals the live (active + confirmed) reservations of each row',
       count(*) FILTER (WHERE s.reserved <> coalesce(l.quantity, 0)) = 0,
       format('%s rows differ', count(*) FILTER (WHERE s.reserved <> coalesce(l.quantity, 0)))
  FROM stock s LEFT JOIN live l USING (product_id, warehouse)
UNION ALL
SELECT 7, 'ledger deltas sum to on_hand and reserved of each row',
       count(*) FILTER (WHERE s.on_hand <> coalesce(l.on_hand, 0) OR s.reserved <> coalesce(l.reserved, 0)) = 0,
       format('%s rows differ', count(*) FILTER (WHERE s.on_hand <> coalesce(l.on_hand, 0) OR s.reserved <> coalesce(l.reserved, 0)))
  FROM stock s LEFT JOIN sums l USING (product_id, warehouse)
UNION ALL
SELECT 8, 'every ledger row''s on_hand_after and reserved_after equal the running sums',
       count(*) FILTER (WHERE on_hand_after <> on_hand_sum OR reserved_after <> reserved_sum) = 0,
       format('%s of %s ledger rows differ',
              count(*) FILTER (WHERE on_hand_after <> on_hand_sum OR reserved_after <> reserved_sum), count(*))
  FROM running
UNION ALL
SELECT 9, 'ledger versions of each row are contiguous from 1 to the row''s version',
       count(*) FILTER (WHERE l.n IS DISTINCT FROM s.version OR l.first_version <> 1 OR l.last_version <> s.version) = 0,
       format('%s rows with gaps; versions %s',
              count(*) FILTER (WHERE l.n IS DISTINCT FROM s.version OR l.first_version <> 1 OR l.last_version <> s.version),
              string_agg(s.product_id || '/' || s.warehouse || '=' || s.version, ' ' ORDER BY s.product_id, s.warehouse))
  FROM stock s LEFT JOIN sums l USING (product_id, warehouse)
UNION ALL
SELECT 10, 'every ledger row has exactly one inventory.updated outbox row (product, warehouse, version)',
       count(*) FILTER (WHERE l.version IS NULL OR o.n IS DISTINCT FROM 1) = 0,
       format('%s ledger rows, %s updated events, %s unmatched', count(l.version), count(o.version),
              count(*) FILTER (WHERE l.version IS NULL OR o.n IS DISTINCT FROM 1))
  FROM inventory.ledger l
  FULL JOIN updated o ON o.product_id = l.product_id AND o.warehouse = l.warehouse AND o.version = l.version
UNION ALL
SELECT 11, 'outbox payloads carry the ledger row''s version, onHand and reserved',
       count(*) FILTER (WHERE o.payload_version::bigint <> l.version OR o.on_hand::bigint <> l.on_hand_after
                          OR o.reserved::bigint <> l.reserved_after) = 0,
       format('%s payloads differ', count(*) FILTER (WHERE o.payload_version::bigint <> l.version
              OR o.on_hand::bigint <> l.on_hand_after OR o.reserved::bigint <> l.reserved_after))
  FROM inventory.ledger l
  JOIN updated o ON o.product_id = l.product_id AND o.warehouse = l.warehouse AND o.version = l.version
UNION ALL
SELECT 12, 'successful calls account for every ledger row, failed calls for none',
       (SELECT coalesce(sum(n), 0) FROM call_ledger) = coalesce(sum(ledger_rows) FILTER (WHERE outcome = 'ok'), 0)
       AND sum(ledger_rows) FILTER (WHERE outcome <> 'ok') IS NOT DISTINCT FROM 0
       AND NOT EXISTS (SELECT 1 FROM call_ledger l
                        WHERE NOT EXISTS (SELECT 1 FROM stress.calls c
                                           WHERE c.call_id = CASE WHEN l.actor ~ '^stress:[0-9]+$'
                                                                  THEN substr(l.actor, 8)::bigint END
                                             AND c.outcome = 'ok')),
       format('%s ok calls reported %s ledger rows; ledger has %s rows from calls',
              count(*) FILTER (WHERE outcome = 'ok'), sum(ledger_rows) FILTER (WHERE outcome = 'ok'),
              (SELECT coalesce(sum(n), 0) FROM call_ledger))
  FROM calls
UNION ALL
SELECT 13, 'each call''s ledger rows match what the API returned',
       count(*) FILTER (WHERE NOT consistent) = 0,
       format('%s calls disagree; first: %s', count(*) FILTER (WHERE NOT consistent),
              coalesce(min(format('call %s %s returned %s created %s op_rows %s expire_rows %s ledger_rows %s',
                                  call_id, op, returned, created, op_rows, expire_rows, ledger_rows))
                       FILTER (WHERE NOT consistent), 'none'))
  FROM calls
UNION ALL
SELECT 14, 'every reservation''s ledger is one legal path to its status (no double change)',
       count(*) FILTER (WHERE NOT legal) = 0,
       format('%s reservations (%s); %s with an illegal ledger path', count(*),
              (SELECT string_agg(status || ' ' || n, ', ' ORDER BY status)
                 FROM (SELECT status, count(*) AS n FROM inventory.reservations GROUP BY status) s),
              count(*) FILTER (WHERE NOT legal))
  FROM legal
UNION ALL
SELECT 15, 'the races were exercised (repeats, reaper, on-the-spot expiry, multi-line orders, transitions, direct ships, returns, request ids)',
       count(*) FILTER (WHERE op = 'repeat' AND outcome = 'ok' AND created = 0) > 0
       AND (SELECT count(*) FROM legal WHERE status = 'shipped' AND confirms = 0) > 0
       AND count(*) FILTER (WHERE op = 'return' AND outcome = 'ok') > 0
       AND count(*) FILTER (WHERE op = 'return' AND outcome = 'IN004') > 0
       AND count(*) FILTER (WHERE op = 'restock_request' AND outcome = 'ok' AND op_rows = 0) > 0
       AND sum(expire_rows) FILTER (WHERE op = 'expire') > 0
       AND sum(expire_rows) FILTER (WHERE op <> 'expire') > 0
       AND count(*) FILTER (WHERE op = 'reserve_order' AND outcome = 'ok') > 0
       AND count(*) FILTER (WHERE op IN ('confirm', 'release', 'ship') AND outcome = 'ok' AND op_rows = 1) > 0
       AND count(*) FILTER (WHERE outcome = 'IN004') > 0,
       format('repeats %s, reaper expired %s, on-the-spot expired %s, orders %s, transitions %s (%s IN004), '
              'ships without confirm %s, returns %s (%s refused), repeated request ids %s',
              count(*) FILTER (WHERE op = 'repeat' AND outcome = 'ok' AND created = 0),
              coalesce(sum(expire_rows) FILTER (WHERE op = 'expire'), 0),
              coalesce(sum(expire_rows) FILTER (WHERE op <> 'expire'), 0),
              count(*) FILTER (WHERE op = 'reserve_order' AND outcome = 'ok'),
              count(*) FILTER (WHERE op IN ('confirm', 'release', 'ship') AND outcome = 'ok' AND op_rows = 1),
              count(*) FILTER (WHERE outcome = 'IN004'),
              (SELECT count(*) FROM legal WHERE status = 'shipped' AND confirms = 0),
              count(*) FILTER (WHERE op = 'return' AND outcome = 'ok'),
              count(*) FILTER (WHERE op = 'return' AND outcome = 'IN004'),
              count(*) FILTER (WHERE op = 'restock_request' AND outcome = 'ok' AND op_rows = 0))
  FROM calls
) checks ORDER BY ord;
