-- pg_inventory 1.0: tables, the C-implemented SQL API, the stock view, roles and the reaper job.
-- Tables live in schema "inventory"; callable objects live in the extension's schema.
-- Every table is keyed so that it can be distributed by product_id (see docs/architecture.md).

\echo Use "CREATE EXTENSION pg_inventory" to load this file. \quit

CREATE SCHEMA inventory;
COMMENT ON SCHEMA inventory IS 'pg_inventory tables; change them only through the inventory_* functions';

-- Stock per product and warehouse. The CHECKs are a backstop: the functions refuse bad changes
-- first, with SQLSTATEs of class IN.
CREATE TABLE inventory.stock (
    product_id          text        NOT NULL,
    warehouse           text        NOT NULL DEFAULT 'main',
    name                text,
    on_hand             bigint      NOT NULL DEFAULT 0,
    reserved            bigint      NOT NULL DEFAULT 0,
    available           bigint      GENERATED ALWAYS AS (on_hand - reserved) STORED,
    low_stock_threshold bigint,
    version             bigint      NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, warehouse),
    CONSTRAINT stock_reserved_within_on_hand CHECK (reserved >= 0 AND reserved <= on_hand),
    CONSTRAINT stock_threshold_not_negative CHECK (low_stock_threshold >= 0)
);
COMMENT ON TABLE inventory.stock IS 'Stock levels per (product_id, warehouse); version rises with every change';

CREATE TABLE inventory.reservations (
    id          uuid        NOT NULL,
    order_id    text        NOT NULL,
    product_id  text        NOT NULL,
    warehouse   text        NOT NULL,
    quantity    bigint      NOT NULL CHECK (quantity > 0),
    status      text        NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'confirmed', 'shipped', 'released', 'expired')),
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, id)
);
COMMENT ON TABLE inventory.reservations IS 'Reservations: active -> confirmed -> shipped; active|confirmed -> released; active -> expired';
-- At most one live reservation per order, product and warehouse: the idempotency key.
CREATE UNIQUE INDEX reservations_live_order_key ON inventory.reservations (order_id, product_id, warehouse)
    WHERE status IN ('active', 'confirmed');
CREATE INDEX reservations_id ON inventory.reservations (id);
CREATE INDEX reservations_order ON inventory.reservations (order_id);
-- Active reservations per stock row, oldest deadline first: on-the-spot expiry and the reaper.
CREATE INDEX reservations_active_by_stock ON inventory.reservations (product_id, warehouse, expires_at)
    WHERE status = 'active';

-- One row per change of a stock row. Sums of the deltas per (product_id, warehouse) equal the row.
CREATE TABLE inventory.ledger (
    product_id     text        NOT NULL,
    warehouse      text        NOT NULL,
    version        bigint      NOT NULL,
    on_hand_delta  bigint      NOT NULL,
    reserved_delta bigint      NOT NULL,
    on_hand_after  bigint      NOT NULL,
    reserved_after bigint      NOT NULL,
    reason         text        NOT NULL,
    note           text,
    order_id       text,
    reservation_id uuid,
    db_user        name        NOT NULL DEFAULT session_user,
    actor          text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, warehouse, version)
);
COMMENT ON TABLE inventory.ledger IS 'Append-only audit of every stock change: deltas, reason, order, reservation, database user and authenticated actor';

-- Events waiting for the relay. Column names follow Debezium's outbox event router:
-- aggregatetype is the topic, aggregateid the message key (product_id), type the event type.
CREATE TABLE inventory.outbox (
    seq           bigint      GENERATED ALWAYS AS IDENTITY,
    id            uuid        NOT NULL,
    aggregatetype text        NOT NULL,
    aggregateid   text        NOT NULL,
    type          text        NOT NULL,
    payload       jsonb       NOT NULL,
    warehouse     text        NOT NULL,
    version       bigint      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregateid, id)
);
COMMENT ON TABLE inventory.outbox IS 'Transactional outbox; the relay publishes rows in seq order and deletes what Kafka acknowledged';
CREATE INDEX outbox_seq ON inventory.outbox (seq);

-- Tables an extension creates are left out of pg_dump unless registered: register every one, so
-- a backup holds the stock, reservations, ledger and unpublished events.
SELECT pg_catalog.pg_extension_config_dump('inventory.stock', '');
SELECT pg_catalog.pg_extension_config_dump('inventory.reservations', '');
SELECT pg_catalog.pg_extension_config_dump('inventory.ledger', '');
SELECT pg_catalog.pg_extension_config_dump('inventory.outbox', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('inventory.outbox', 'seq'), '');

-- The row every reservation function returns. "created" is true when this call made the row.
CREATE TYPE inventory_reservation AS (
    reservation_id uuid,
    order_id       text,
    product_id     text,
    warehouse      text,
    quantity       bigint,
    status         text,
    expires_at     timestamptz,
    created_at     timestamptz,
    updated_at     timestamptz,
    created        boolean
);
COMMENT ON TYPE inventory_reservation IS 'A reservation as returned by the inventory_* functions; created is true when the call made it';

-- Reservations -------------------------------------------------------------------------------

CREATE FUNCTION inventory_reserve(order_id text, product_id text, quantity bigint,
                                  warehouse text DEFAULT NULL, ttl interval DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_reserve'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_reserve(text, text, bigint, text, interval) IS
'Reserves quantity of a product for an order, from the named warehouse or, with none, from the warehouses with the most available stock first (splitting when needed); all or nothing. A repeat for the same order and product returns the live reservations unchanged. ttl NULL means inventory.reservation_ttl.';

CREATE FUNCTION inventory_reserve_order(order_id text, lines jsonb, ttl interval DEFAULT NULL)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_reserve_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_reserve_order(text, jsonb, interval) IS
'Reserves every line of an order, all or nothing. lines is a JSON array of {"product_id", "quantity", "warehouse"?}; lines of the same product and warehouse are summed. Stock rows are locked in (product_id, warehouse) order so concurrent orders never deadlock.';

CREATE FUNCTION inventory_confirm(reservation_id uuid)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_confirm'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_confirm(uuid) IS
'Confirms an active reservation (a paid order): it stops expiring. Confirming a confirmed reservation changes nothing.';

CREATE FUNCTION inventory_confirm_order(order_id text)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_confirm_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_confirm_order(text) IS
'Confirms every active reservation of an order and returns its live reservations.';

CREATE FUNCTION inventory_release(reservation_id uuid)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_release'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_release(uuid) IS
'Releases an active or confirmed reservation and gives its stock back. Releasing a released or expired reservation changes nothing.';

CREATE FUNCTION inventory_release_order(order_id text)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_release_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_release_order(text) IS
'Releases every active or confirmed reservation of an order and returns the reservations it released.';

CREATE FUNCTION inventory_ship(reservation_id uuid)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_ship'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_ship(uuid) IS
'Ships a confirmed reservation: its quantity leaves on_hand and reserved. Shipping a shipped reservation changes nothing.';

CREATE FUNCTION inventory_ship_order(order_id text)
RETURNS SETOF inventory_reservation
AS 'MODULE_PATHNAME', 'inventory_ship_order'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_ship_order(text) IS
'Ships every confirmed reservation of an order, all or nothing (an active one is refused), and returns them.';

CREATE FUNCTION inventory_expire_reservations(max_rows integer DEFAULT 1000)
RETURNS integer
AS 'MODULE_PATHNAME', 'inventory_expire_reservations'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_expire_reservations(integer) IS
'Expires up to max_rows overdue active reservations and returns how many. Skips stock rows that other sessions hold locked, so it never blocks order traffic.';

-- Stock changes ------------------------------------------------------------------------------

CREATE FUNCTION inventory_restock(product_id text, quantity bigint, warehouse text DEFAULT 'main',
                                  note text DEFAULT NULL)
RETURNS inventory.stock
AS 'MODULE_PATHNAME', 'inventory_restock'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_restock(text, bigint, text, text) IS
'Adds quantity to on_hand of an existing stock row and returns the row.';

CREATE FUNCTION inventory_adjust(product_id text, delta bigint, reason text, warehouse text DEFAULT 'main')
RETURNS inventory.stock
AS 'MODULE_PATHNAME', 'inventory_adjust'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_adjust(text, bigint, text, text) IS
'Changes on_hand by delta (shrinkage, counts) with a reason kept in the ledger; refused when on_hand would fall below reserved.';

CREATE FUNCTION inventory_set_stock(product_id text, on_hand bigint, warehouse text DEFAULT 'main',
                                    name text DEFAULT NULL, low_stock_threshold bigint DEFAULT NULL)
RETURNS inventory.stock
AS 'MODULE_PATHNAME', 'inventory_set_stock'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_set_stock(text, bigint, text, text, bigint) IS
'Creates or updates a stock row with an absolute on_hand; name and low_stock_threshold are kept when NULL. Refused when on_hand would fall below reserved.';

CREATE FUNCTION inventory_remove(product_id text, warehouse text DEFAULT 'main')
RETURNS void
AS 'MODULE_PATHNAME', 'inventory_remove'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_remove(text, text) IS
'Removes a stock row (its on_hand leaves through the ledger first); refused while any of it is reserved.';

-- Reads --------------------------------------------------------------------------------------

CREATE FUNCTION inventory_available(product_id text, warehouse text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'inventory_available'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_available(text, text) IS
'Available quantity of a product in one warehouse or, with none, in all; overdue reservations do not count.';

CREATE FUNCTION inventory_check(product_id text, quantity bigint, warehouse text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'inventory_check'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION inventory_check(text, bigint, text) IS
'True when quantity of the product is available (in the warehouse, or across all when none is named).';

CREATE VIEW inventory_stock_levels AS
SELECT s.product_id, s.warehouse, s.name, s.on_hand, s.reserved,
       s.available + o.overdue AS available,
       s.low_stock_threshold,
       s.available + o.overdue <= coalesce(s.low_stock_threshold, -1) AS low_stock,
       s.version, s.updated_at
  FROM inventory.stock s
 CROSS JOIN LATERAL (
       SELECT coalesce(sum(r.quantity), 0)::bigint AS overdue
         FROM inventory.reservations r
        WHERE r.product_id = s.product_id AND r.warehouse = s.warehouse
          AND r.status = 'active' AND r.expires_at < now()) o;
COMMENT ON VIEW inventory_stock_levels IS 'Stock levels; available leaves out overdue reservations even before the reaper runs';

-- Outbox relay -------------------------------------------------------------------------------

CREATE FUNCTION inventory_outbox_fetch(max_rows integer DEFAULT 500)
RETURNS SETOF inventory.outbox
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF max_rows < 1 OR max_rows > 100000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 100000, not %', max_rows USING ERRCODE = '22023';
    END IF;
    RETURN QUERY SELECT * FROM inventory.outbox ORDER BY seq LIMIT max_rows;
END
$$;
COMMENT ON FUNCTION inventory_outbox_fetch(integer) IS
'The oldest unpublished events visible now, in seq order; the relay publishes them and calls inventory_outbox_ack.';

CREATE FUNCTION inventory_outbox_ack(seqs bigint[])
RETURNS integer
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ WITH gone AS (DELETE FROM inventory.outbox WHERE seq = ANY (seqs) RETURNING 1)
      SELECT count(*)::integer FROM gone $$;
COMMENT ON FUNCTION inventory_outbox_ack(bigint[]) IS
'Deletes the events Kafka acknowledged and returns how many were deleted.';

-- The reaper job -----------------------------------------------------------------------------

CREATE FUNCTION inventory_schedule_reaper(schedule text DEFAULT '* * * * *')
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database %', current_database()
            USING ERRCODE = '55000',
                  HINT = 'Install pg_cron here, or from the pg_cron database run: SELECT cron.schedule_in_database('
                         || quote_literal('inventory-expire-reservations-' || current_database())
                         || ', ''* * * * *'', ''SELECT @extschema@.inventory_expire_reservations()'', '
                         || quote_literal(current_database()) || ');';
    END IF;
    RETURN cron.schedule('inventory-expire-reservations', schedule,
                         'SELECT @extschema@.inventory_expire_reservations()');
END
$$;
COMMENT ON FUNCTION inventory_schedule_reaper(text) IS
'Schedules inventory_expire_reservations with pg_cron (every minute by default); returns the job id. Scheduling again replaces the job.';

CREATE FUNCTION inventory_unschedule_reaper()
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN false;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'inventory-expire-reservations'
                                            AND username = current_user) THEN
        RETURN false;
    END IF;
    RETURN cron.unschedule('inventory-expire-reservations');
END
$$;
COMMENT ON FUNCTION inventory_unschedule_reaper() IS
'Removes the pg_cron job that inventory_schedule_reaper made; false when there is none. Call it before DROP EXTENSION, or the job keeps failing every minute.';

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM inventory_schedule_reaper();
    ELSE
        RAISE WARNING 'pg_cron is not installed: overdue reservations are expired on demand only'
            USING HINT = 'After CREATE EXTENSION pg_cron, run SELECT inventory_schedule_reaper(); or call SELECT inventory_expire_reservations() every minute from any scheduler.';
    END IF;
END
$$;

-- Roles and grants ---------------------------------------------------------------------------

-- Roles are shared by every database of the cluster: a role of an earlier CREATE EXTENSION in
-- another database is reused silently (its comment marks it as ours). A role someone else made is
-- reused only when it is a plain NOLOGIN group, with a WARNING naming its members, who gain the
-- rights granted below; one that can log in or holds any other attribute is refused, because it
-- would receive EXECUTE on SECURITY DEFINER functions.
DO $$
DECLARE
    role_name text;
    existing record;
    marker constant text := 'pg_inventory group role; created by CREATE EXTENSION pg_inventory';
BEGIN
    FOREACH role_name IN ARRAY ARRAY['inventory_reader', 'inventory_writer', 'inventory_admin', 'inventory_relay'] LOOP
        SELECT r.rolcanlogin OR r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication
                   OR r.rolbypassrls AS privileged,
               shobj_description(r.oid, 'pg_authid') IS NOT DISTINCT FROM marker AS ours,
               (SELECT string_agg(quote_ident(m.rolname), ', ' ORDER BY m.rolname)
                  FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member WHERE a.roleid = r.oid) AS members
          INTO existing FROM pg_roles r WHERE r.rolname = role_name;
        IF NOT FOUND THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXECUTE format('COMMENT ON ROLE %I IS %L', role_name, marker);
        ELSIF existing.privileged THEN
            RAISE EXCEPTION 'role % already exists and can log in or holds other attributes', role_name
                USING ERRCODE = '55000',
                      DETAIL = 'pg_inventory grants its roles EXECUTE on SECURITY DEFINER functions; it reuses an existing role only when it is a plain NOLOGIN group.',
                      HINT = format('Drop or rename that role, or make it a plain group with ALTER ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS, then create the extension again.', role_name);
        ELSIF NOT existing.ours THEN
            RAISE WARNING 'pg_inventory reuses the existing role %, which it did not create', role_name
                USING DETAIL = format('Its members (%s) can now call the functions granted to %s.',
                                      coalesce(existing.members, 'none'), role_name),
                      HINT = 'If that is not intended, drop the extension, then drop or rename the role.';
        END IF;
    END LOOP;
END
$$;
GRANT inventory_reader TO inventory_writer;
GRANT inventory_writer TO inventory_admin;

REVOKE ALL ON SCHEMA inventory FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA inventory FROM PUBLIC;
REVOKE ALL ON FUNCTION
    inventory_reserve(text, text, bigint, text, interval), inventory_reserve_order(text, jsonb, interval),
    inventory_confirm(uuid), inventory_confirm_order(text), inventory_release(uuid),
    inventory_release_order(text), inventory_ship(uuid), inventory_ship_order(text),
    inventory_expire_reservations(integer), inventory_restock(text, bigint, text, text),
    inventory_adjust(text, bigint, text, text), inventory_set_stock(text, bigint, text, text, bigint),
    inventory_remove(text, text), inventory_available(text, text), inventory_check(text, bigint, text),
    inventory_outbox_fetch(integer), inventory_outbox_ack(bigint[]),
    inventory_schedule_reaper(text), inventory_unschedule_reaper()
FROM PUBLIC;

GRANT USAGE ON SCHEMA inventory TO inventory_reader, inventory_relay;
GRANT SELECT ON inventory.stock, inventory.reservations, inventory.ledger TO inventory_reader;
GRANT SELECT ON inventory_stock_levels TO inventory_reader;
GRANT EXECUTE ON FUNCTION inventory_available(text, text), inventory_check(text, bigint, text)
    TO inventory_reader;
GRANT EXECUTE ON FUNCTION
    inventory_reserve(text, text, bigint, text, interval), inventory_reserve_order(text, jsonb, interval),
    inventory_confirm(uuid), inventory_confirm_order(text), inventory_release(uuid),
    inventory_release_order(text), inventory_ship(uuid), inventory_ship_order(text)
    TO inventory_writer;
GRANT EXECUTE ON FUNCTION
    inventory_expire_reservations(integer), inventory_restock(text, bigint, text, text),
    inventory_adjust(text, bigint, text, text), inventory_set_stock(text, bigint, text, text, bigint),
    inventory_remove(text, text)
    TO inventory_admin;
GRANT EXECUTE ON FUNCTION inventory_outbox_fetch(integer), inventory_outbox_ack(bigint[])
    TO inventory_relay;
