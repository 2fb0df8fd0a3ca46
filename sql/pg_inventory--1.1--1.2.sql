-- pg_inventory 1.1 -> 1.2: flash-sale batches and bounded work on hot rows; Kafka input that never
-- drops or blocks.

\echo Use "ALTER EXTENSION pg_inventory UPDATE TO '1.2'" to load this file. \quit

-- Flash sale: batched reservations, bounded expiry, reads that stay fast ----------------------

-- A stock row's next_expiry is a lower bound of the deadlines of its active reservations (NULL:
-- none). Reads add overdue reservations back to availability only when it has passed, so a read
-- touches no reservation in the common case; the reaper keeps it fresh.
ALTER TABLE inventory.stock ADD COLUMN next_expiry timestamptz;
COMMENT ON COLUMN inventory.stock.next_expiry IS
'No active reservation of the row expires before this (NULL: none); reads look for overdue reservations only once it has passed';
UPDATE inventory.stock s SET next_expiry = a.first_expiry
  FROM (SELECT product_id, warehouse, min(expires_at) AS first_expiry
          FROM inventory.reservations WHERE status = 'active' GROUP BY product_id, warehouse) a
 WHERE s.product_id = a.product_id AND s.warehouse = a.warehouse;
-- The reaper's candidates: rows whose next_expiry has passed.
CREATE INDEX stock_next_expiry ON inventory.stock (next_expiry) WHERE next_expiry IS NOT NULL;

-- A hot stock row is updated thousands of times a second: half of each page stays free so every
-- update can be a HOT update on the same page, pruned as it goes, with one index entry per row.
-- Vacuum runs early on the tables whose dead rows reads and the relay walk.
ALTER TABLE inventory.stock SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02,
                                 autovacuum_vacuum_threshold = 1000);
ALTER TABLE inventory.reservations SET (autovacuum_vacuum_scale_factor = 0.02,
                                        autovacuum_vacuum_insert_scale_factor = 0.05);
ALTER TABLE inventory.outbox SET (autovacuum_vacuum_scale_factor = 0.0,
                                  autovacuum_vacuum_threshold = 10000,
                                  autovacuum_vacuum_insert_scale_factor = 0.0,
                                  autovacuum_vacuum_insert_threshold = 100000);

-- Reservations are found by id through the primary key, which leads with id (it still includes
-- product_id, the distribution column); the separate index on id goes. Only the index of active
-- reservations by stock row leads with product_id, so no plan can walk a product's whole history.
ALTER TABLE inventory.reservations DROP CONSTRAINT reservations_pkey,
    ADD CONSTRAINT reservations_pkey PRIMARY KEY (id, product_id);
DROP INDEX inventory.reservations_id;

CREATE FUNCTION inventory_overdue_quantity(product_id text, warehouse text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'inventory_overdue_quantity'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION inventory_overdue_quantity(text, text) IS
'Units of a stock row held by overdue active reservations not yet expired; availability adds them back. Walks only the overdue entries of the row''s index of active reservations. Needs SELECT on inventory.reservations.';

CREATE OR REPLACE VIEW inventory_stock_levels AS
SELECT s.product_id, s.warehouse, s.name, s.on_hand, s.reserved,
       s.available + o.overdue AS available,
       s.low_stock_threshold,
       s.available + o.overdue <= coalesce(s.low_stock_threshold, -1) AS low_stock,
       s.version, s.updated_at
  FROM inventory.stock s
 CROSS JOIN LATERAL (
       SELECT CASE WHEN s.next_expiry < now()
                   THEN @extschema@.inventory_overdue_quantity(s.product_id, s.warehouse)
                   ELSE 0 END AS overdue) o;
COMMENT ON VIEW inventory_stock_levels IS 'Stock levels; available leaves out overdue reservations even before the reaper runs';

-- Reads run with the caller's rights: inventory_reader's grants suffice.
ALTER FUNCTION inventory_available(text, text) SECURITY INVOKER;
ALTER FUNCTION inventory_check(text, bigint, text) SECURITY INVOKER;

CREATE FUNCTION inventory_reserve_batch(requests jsonb)
RETURNS TABLE (request_index integer, order_id text, outcome text,
               reservations inventory_reservation[], shortages jsonb,
               error_code text, error_message text)
AS 'MODULE_PATHNAME', 'inventory_reserve_batch'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_reserve_batch(jsonb) IS
'Decides many reservation requests in one transaction, one after another in input order, exactly as inventory_reserve_order would one by one. requests is a JSON array of {"order_id", "lines", "ttl_seconds"?, "actor"?} (at most inventory.max_batch_requests). Returns one row per request: outcome reserved or repeated (with its reservations), short (with per-line shortages) or invalid (with SQLSTATE and message); one request''s failure never fails the others.';

REVOKE ALL ON FUNCTION inventory_overdue_quantity(text, text), inventory_reserve_batch(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory_overdue_quantity(text, text) TO inventory_reader;
GRANT EXECUTE ON FUNCTION inventory_reserve_batch(jsonb) TO inventory_writer;


-- Kafka input: message identity, dead letters relayed like the outbox, parked early events ------
