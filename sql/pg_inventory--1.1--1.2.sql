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


-- Safe retries, ship without confirm, returns ----------------------------------------------------

-- Units of a shipped reservation that came back so far, restocked or written off: returns never
-- bring back more than was shipped. The check is NOT VALID because every existing row holds 0,
-- which satisfies it, and validating would scan the whole table under this update's lock.
ALTER TABLE inventory.reservations ADD COLUMN returned_quantity bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT reservations_returned_within_quantity
        CHECK (returned_quantity >= 0 AND returned_quantity <= quantity) NOT VALID;
COMMENT ON COLUMN inventory.reservations.returned_quantity IS
'Units of a shipped reservation returned so far (inventory_return), restocked or written off; never more than quantity';

-- A write-off changes no stock, so the ledger keeps the units of a return in a column of their own
-- (set for reasons return and write_off only).
ALTER TABLE inventory.ledger ADD COLUMN returned_quantity bigint;
COMMENT ON COLUMN inventory.ledger.returned_quantity IS
'Units of a shipped reservation that came back, for reasons return (restocked) and write_off (not restocked); NULL otherwise';

-- Request ids of stock changes: the first call of restock, adjust or set_stock with a request id
-- records what it asked and the stock row it returned; a repeat returns that row. Keyed by
-- product, like the stock it is about, so it distributes with it.
CREATE TABLE inventory.stock_requests (
    product_id  text        NOT NULL,
    request_id  text        NOT NULL,
    operation   text        NOT NULL CHECK (operation IN ('restock', 'adjust', 'set_stock')),
    warehouse   text        NOT NULL,
    arguments   jsonb       NOT NULL,
    result      jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (product_id, request_id)
);
COMMENT ON TABLE inventory.stock_requests IS 'Request ids of stock changes: what the first call asked and the stock row it returned, until expires_at (inventory.idempotency_ttl)';
CREATE INDEX stock_requests_expiry ON inventory.stock_requests (expires_at);

-- The service's Idempotency-Key store: a request's first response, stored in the transaction of
-- its effect. Small and not keyed by product: on a distributed deployment it stays a local table
-- of the coordinator, where the service connects.
CREATE TABLE inventory.idempotency_keys (
    subject         text        NOT NULL,
    idempotency_key text        NOT NULL,
    fingerprint     text        NOT NULL,
    response_status integer     NOT NULL CHECK (response_status BETWEEN 100 AND 599),
    response_body   text,
    content_type    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (subject, idempotency_key)
);
COMMENT ON TABLE inventory.idempotency_keys IS 'First responses of requests sent with an Idempotency-Key, per caller subject, until expires_at (inventory.idempotency_ttl)';
CREATE INDEX idempotency_keys_expiry ON inventory.idempotency_keys (expires_at);

SELECT pg_catalog.pg_extension_config_dump('inventory.stock_requests', '');
SELECT pg_catalog.pg_extension_config_dump('inventory.idempotency_keys', '');

-- The group roles are marked as pg_inventory's once an installation uses them (the 1.0 script marks
-- the ones it creates, and warns about or refuses roles it did not create), so a later
-- CREATE EXTENSION in another database of the cluster reuses them silently.
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['inventory_reader', 'inventory_writer', 'inventory_admin', 'inventory_relay'] LOOP
        IF shobj_description(role_name::regrole, 'pg_authid') IS NULL THEN
            EXECUTE format('COMMENT ON ROLE %I IS %L', role_name,
                           'pg_inventory group role; created by CREATE EXTENSION pg_inventory');
        END IF;
    END LOOP;
END
$$;

-- Every function that changes something takes the actor as its last argument (NULL: the
-- inventory.actor setting): a session setting does not travel with a call that a distributed
-- deployment routes to another node. Restock, adjust and set_stock also take a request id.
DROP FUNCTION inventory_reserve(text, text, bigint, text, interval);
CREATE FUNCTION inventory_reserve(order_id text, product_id text, quantity bigint,
                                  warehouse text DEFAULT NULL, ttl interval DEFAULT NULL,
                                  actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_reserve'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_reserve(text, text, bigint, text, interval, text) IS
'Reserves quantity of a product for an order, from the named warehouse or, with none, from the warehouses with the most available stock first (splitting when needed); all or nothing. A repeat for the same order and product returns the live reservations unchanged. ttl NULL means inventory.reservation_ttl; actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_reserve_order(text, jsonb, interval);
CREATE FUNCTION inventory_reserve_order(order_id text, lines jsonb, ttl interval DEFAULT NULL,
                                        actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_reserve_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_reserve_order(text, jsonb, interval, text) IS
'Reserves every line of an order, all or nothing. lines is a JSON array of {"product_id", "quantity", "warehouse"?}; lines of the same product and warehouse are summed. Stock rows are locked in (product_id, warehouse) order so concurrent orders never deadlock. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_confirm(uuid);
CREATE FUNCTION inventory_confirm(reservation_id uuid, actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_confirm'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_confirm(uuid, text) IS
'Confirms an active reservation (a paid order): it stops expiring. Confirming a confirmed reservation changes nothing. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_confirm_order(text);
CREATE FUNCTION inventory_confirm_order(order_id text, actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_confirm_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_confirm_order(text, text) IS
'Confirms every active reservation of an order and returns its live reservations. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_release(uuid);
CREATE FUNCTION inventory_release(reservation_id uuid, actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_release'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_release(uuid, text) IS
'Releases an active or confirmed reservation and gives its stock back. Releasing a released or expired reservation changes nothing. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_release_order(text);
CREATE FUNCTION inventory_release_order(order_id text, actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_release_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_release_order(text, text) IS
'Releases every active or confirmed reservation of an order and returns the reservations it released. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_ship(uuid);
CREATE FUNCTION inventory_ship(reservation_id uuid, actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_ship'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_ship(uuid, text) IS
'Ships an active or confirmed reservation (an active one is confirmed and shipped in one change): its quantity leaves on_hand and reserved. Shipping a shipped reservation changes nothing. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_ship_order(text);
CREATE FUNCTION inventory_ship_order(order_id text, actor text DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_ship_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_ship_order(text, text) IS
'Ships every live (active or confirmed) reservation of an order and returns them. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_restock(text, bigint, text, text);
CREATE FUNCTION inventory_restock(product_id text, quantity bigint, warehouse text DEFAULT 'main',
                                  note text DEFAULT NULL, request_id text DEFAULT NULL,
                                  actor text DEFAULT NULL)
RETURNS inventory.stock
AS 'MODULE_PATHNAME', 'inventory_restock'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_restock(text, bigint, text, text, text, text) IS
'Adds quantity to on_hand of an existing stock row and returns the row. With a request_id, a repeat returns the first call''s row and changes nothing (IN005 when the id was used for other arguments). actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_adjust(text, bigint, text, text);
CREATE FUNCTION inventory_adjust(product_id text, delta bigint, reason text, warehouse text DEFAULT 'main',
                                 request_id text DEFAULT NULL, actor text DEFAULT NULL)
RETURNS inventory.stock
AS 'MODULE_PATHNAME', 'inventory_adjust'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_adjust(text, bigint, text, text, text, text) IS
'Changes on_hand by delta (shrinkage, counts) with a reason kept in the ledger; refused when on_hand would fall below reserved. With a request_id, a repeat returns the first call''s row and changes nothing. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_set_stock(text, bigint, text, text, bigint);
CREATE FUNCTION inventory_set_stock(product_id text, on_hand bigint, warehouse text DEFAULT 'main',
                                    name text DEFAULT NULL, low_stock_threshold bigint DEFAULT NULL,
                                    request_id text DEFAULT NULL, actor text DEFAULT NULL)
RETURNS inventory.stock
AS 'MODULE_PATHNAME', 'inventory_set_stock'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_set_stock(text, bigint, text, text, bigint, text, text) IS
'Creates or updates a stock row with an absolute on_hand; name and low_stock_threshold are kept when NULL. Refused when on_hand would fall below reserved. With a request_id, a repeat returns the first call''s row and changes nothing. actor NULL means the inventory.actor setting.';

DROP FUNCTION inventory_remove(text, text);
CREATE FUNCTION inventory_remove(product_id text, warehouse text DEFAULT 'main', actor text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'inventory_remove'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_remove(text, text, text) IS
'Removes a stock row (its on_hand leaves through the ledger first); refused while any of it is reserved. actor NULL means the inventory.actor setting.';

CREATE FUNCTION inventory_return(reservation_id uuid, quantity bigint, restock boolean, reason text,
                                 actor text DEFAULT NULL)
RETURNS TABLE (reservation_id uuid, order_id text, product_id text, warehouse text,
               shipped_quantity bigint, returned_quantity bigint,
               on_hand bigint, reserved bigint, available bigint, version bigint)
AS 'MODULE_PATHNAME', 'inventory_return'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 1
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_return(uuid, bigint, boolean, text, text) IS
'Takes quantity units of a shipped reservation back: into on_hand when restock (ledger reason return), or written off into the ledger only (reason write_off); never more than were shipped, over all returns of the reservation. Returns the reservation''s shipped and returned totals and its stock row after the return. actor NULL means the inventory.actor setting.';

CREATE FUNCTION inventory_idempotency_begin(subject text, idempotency_key text, fingerprint text)
RETURNS TABLE (outcome text, response_status integer, response_body text, content_type text)
AS 'MODULE_PATHNAME', 'inventory_idempotency_begin'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 1
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_idempotency_begin(text, text, text) IS
'First call in the transaction of a request sent with an Idempotency-Key: proceed (a new key: make the change, then call inventory_idempotency_complete), replay (the first response, stored), mismatch (the key was used for a request with another fingerprint) or in_progress (a request with the key runs now; told at once, without waiting). Needs a READ COMMITTED transaction block.';

CREATE FUNCTION inventory_idempotency_complete(subject text, idempotency_key text, fingerprint text,
                                               response_status integer, response_body text,
                                               content_type text)
RETURNS void
AS 'MODULE_PATHNAME', 'inventory_idempotency_complete'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_idempotency_complete(text, text, text, integer, text, text) IS
'Stores the first response of a request whose inventory_idempotency_begin said proceed, in the transaction of its change, until inventory.idempotency_ttl has passed. IN005 when the key already holds a response.';

REVOKE ALL ON inventory.stock_requests, inventory.idempotency_keys FROM PUBLIC;
REVOKE ALL ON FUNCTION
    inventory_reserve(text, text, bigint, text, interval, text), inventory_reserve_order(text, jsonb, interval, text),
    inventory_confirm(uuid, text), inventory_confirm_order(text, text), inventory_release(uuid, text),
    inventory_release_order(text, text), inventory_ship(uuid, text), inventory_ship_order(text, text),
    inventory_return(uuid, bigint, boolean, text, text),
    inventory_restock(text, bigint, text, text, text, text), inventory_adjust(text, bigint, text, text, text, text),
    inventory_set_stock(text, bigint, text, text, bigint, text, text), inventory_remove(text, text, text),
    inventory_idempotency_begin(text, text, text),
    inventory_idempotency_complete(text, text, text, integer, text, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    inventory_reserve(text, text, bigint, text, interval, text), inventory_reserve_order(text, jsonb, interval, text),
    inventory_confirm(uuid, text), inventory_confirm_order(text, text), inventory_release(uuid, text),
    inventory_release_order(text, text), inventory_ship(uuid, text), inventory_ship_order(text, text),
    inventory_return(uuid, bigint, boolean, text, text),
    inventory_idempotency_begin(text, text, text),
    inventory_idempotency_complete(text, text, text, integer, text, text)
    TO inventory_writer;
GRANT EXECUTE ON FUNCTION
    inventory_restock(text, bigint, text, text, text, text), inventory_adjust(text, bigint, text, text, text, text),
    inventory_set_stock(text, bigint, text, text, bigint, text, text), inventory_remove(text, text, text)
    TO inventory_admin;
