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


-- Scale-out on Citus: a product-scoped batch, a relay that reads every node in per-row order -----

CREATE FUNCTION inventory_reserve_batch(product_id text, requests jsonb)
RETURNS TABLE (request_index integer, order_id text, outcome text,
               reservations inventory_reservation[], shortages jsonb,
               error_code text, error_message text)
AS 'MODULE_PATHNAME', 'inventory_reserve_batch_of_product'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_reserve_batch(text, jsonb) IS
'inventory_reserve_batch for requests that all concern one product, named first so that a distributed deployment routes the call to the node that holds it. A request with a line of another product is invalid (22023); the others are decided as inventory_reserve_batch(requests) would.';

-- The relay's reads: whatever is visible now, in seq order. When the outbox is distributed with
-- Citus, seq is unique across nodes but ordered only within a node, so the rows come oldest first
-- by created_at, each stock row's in version order, and a row is held back while a lower version of
-- its stock row is not in the batch.
CREATE OR REPLACE FUNCTION inventory_outbox_fetch(max_rows integer DEFAULT 500)
RETURNS SETOF inventory.outbox
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    batch inventory.outbox[];
BEGIN
    IF max_rows < 1 OR max_rows > 100000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 100000, not %', max_rows USING ERRCODE = '22023';
    END IF;
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'inventory.outbox'::regclass) THEN
            -- Citus plans a statement with parameters only when their values are known: EXECUTE.
            EXECUTE 'SELECT array_agg(o) FROM (SELECT * FROM inventory.outbox ORDER BY created_at, seq LIMIT $1) o'
                INTO batch USING max_rows;
            IF batch IS NULL THEN
                RETURN;
            END IF;
            RETURN QUERY EXECUTE
                'SELECT c.* FROM unnest($1) c
                   LEFT JOIN (SELECT aggregateid, warehouse, min(version) AS version FROM inventory.outbox
                               WHERE aggregateid = ANY ($2) AND id <> ALL ($3)
                               GROUP BY aggregateid, warehouse) held
                          ON held.aggregateid = c.aggregateid AND held.warehouse = c.warehouse
                  WHERE held.version IS NULL OR c.version < held.version
                  ORDER BY min(c.created_at) OVER (PARTITION BY c.aggregateid, c.warehouse),
                           c.aggregateid, c.warehouse, c.version'
                USING batch, (SELECT array_agg(DISTINCT b.aggregateid) FROM unnest(batch) b),
                      (SELECT array_agg(b.id) FROM unnest(batch) b);
            RETURN;
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM inventory.outbox ORDER BY seq LIMIT max_rows;
END
$$;
COMMENT ON FUNCTION inventory_outbox_fetch(integer) IS
'The oldest unpublished events visible now, each stock row''s in version order (seq order on one PostgreSQL); the relay publishes them and calls inventory_outbox_ack_events.';

-- A statement, not an SQL function: Citus cannot plan a LANGUAGE sql body with parameters.
CREATE OR REPLACE FUNCTION inventory_outbox_ack(seqs bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    deleted integer;
BEGIN
    EXECUTE 'DELETE FROM inventory.outbox WHERE seq = ANY ($1)' USING seqs;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$;
COMMENT ON FUNCTION inventory_outbox_ack(bigint[]) IS
'Deletes the events with the given seqs (Kafka acknowledged them) and returns how many were deleted. inventory_outbox_ack_events names events by their id, which every deployment keeps unique.';

CREATE FUNCTION inventory_outbox_ack_events(event_ids uuid[], product_ids text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    deleted integer;
BEGIN
    IF cardinality(event_ids) > 100000 THEN
        RAISE EXCEPTION 'at most 100000 events can be acknowledged at once, not %', cardinality(event_ids)
            USING ERRCODE = '22023';
    END IF;
    -- The products (the events' aggregateid) keep the search on the primary key and, on Citus,
    -- on the shards that hold them.
    EXECUTE 'DELETE FROM inventory.outbox WHERE aggregateid = ANY ($2) AND id = ANY ($1)'
        USING event_ids, product_ids;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$$;
COMMENT ON FUNCTION inventory_outbox_ack_events(uuid[], text[]) IS
'Deletes the events Kafka acknowledged, named by their id (eventId) and product (aggregateid), and returns how many were deleted.';

-- The functions a Citus deployment routes by product never offer Citus a NULL product to route
-- (Citus 13.2 crashes the backend that plans such a call): see extension/src/routing_support.c.
CREATE FUNCTION inventory_routing_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'inventory_routing_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION inventory_routing_support(internal) IS
'Planner support of the functions routed by product on Citus: a call with a NULL product constant is not offered to Citus''s routing, and raises 22023 where it was made.';
ALTER FUNCTION inventory_reserve(text, text, bigint, text, interval) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_reserve_batch(text, jsonb) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_restock(text, bigint, text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_adjust(text, bigint, text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_set_stock(text, bigint, text, text, bigint) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_remove(text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_available(text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_check(text, bigint, text) SUPPORT inventory_routing_support;

REVOKE ALL ON FUNCTION inventory_reserve_batch(text, jsonb), inventory_outbox_ack_events(uuid[], text[]),
    inventory_routing_support(internal) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory_reserve_batch(text, jsonb) TO inventory_writer;
GRANT EXECUTE ON FUNCTION inventory_outbox_ack_events(uuid[], text[]) TO inventory_relay;

-- Kafka input: message identity, dead letters relayed like the outbox, parked early events ------
