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
-- its stock row is not in the batch. Citus sends a LIMIT to every shard and merges what they return
-- (32 times max_rows rows for 32 shards), so the max_rows-th oldest event's created_at and seq are
-- found first, from those two columns alone, and then the whole rows up to it.
CREATE OR REPLACE FUNCTION inventory_outbox_fetch(max_rows integer DEFAULT 500)
RETURNS SETOF inventory.outbox
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    batch inventory.outbox[];
    last_created_at timestamptz;
    last_seq bigint;
BEGIN
    IF max_rows < 1 OR max_rows > 100000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 100000, not %', max_rows USING ERRCODE = '22023';
    END IF;
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'inventory.outbox'::regclass) THEN
            -- Citus plans a statement with parameters only when their values are known: EXECUTE.
            EXECUTE 'SELECT created_at, seq FROM inventory.outbox ORDER BY created_at, seq OFFSET $1 - 1 LIMIT 1'
                INTO last_created_at, last_seq USING max_rows;
            EXECUTE 'SELECT array_agg(o) FROM (SELECT * FROM inventory.outbox
                                                 WHERE $2::timestamptz IS NULL OR (created_at, seq) <= ($2, $3)
                                                 ORDER BY created_at, seq LIMIT $1) o'
                INTO batch USING max_rows, last_created_at, last_seq;
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
    extra integer;
BEGIN
    IF cardinality(event_ids) > 100000 THEN
        RAISE EXCEPTION 'at most 100000 events can be acknowledged at once, not %', cardinality(event_ids)
            USING ERRCODE = '22023';
    END IF;
    -- The products (the events' aggregateid) keep the search on the shards that hold them on
    -- Citus, and on the primary key on one PostgreSQL.
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'inventory.outbox'::regclass) THEN
            EXECUTE 'DELETE FROM inventory.outbox WHERE aggregateid = ANY ($2) AND id = ANY ($1)'
                USING event_ids, product_ids;
            GET DIAGNOSTICS deleted = ROW_COUNT;
            RETURN deleted;
        END IF;
    END IF;
    -- One PostgreSQL: the arrays as pairs (the relay's call), one primary-key probe per event; the
    -- two ANY conditions there would scan the whole outbox. Whatever the pairs missed (arrays that
    -- are not pairs) is then deleted as on Citus.
    DELETE FROM inventory.outbox o
     USING unnest(event_ids, product_ids) AS acked(id, product)
     WHERE o.aggregateid = acked.product AND o.id = acked.id;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    IF deleted < cardinality(event_ids) THEN
        DELETE FROM inventory.outbox WHERE aggregateid = ANY (product_ids) AND id = ANY (event_ids);
        GET DIAGNOSTICS extra = ROW_COUNT;
        deleted := deleted + extra;
    END IF;
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
-- It is attached at the end of this script, once the functions have their 1.2 signatures.

REVOKE ALL ON FUNCTION inventory_reserve_batch(text, jsonb), inventory_outbox_ack_events(uuid[], text[]),
    inventory_routing_support(internal) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory_reserve_batch(text, jsonb) TO inventory_writer;
GRANT EXECUTE ON FUNCTION inventory_outbox_ack_events(uuid[], text[]) TO inventory_relay;

-- Kafka input: message identity, dead letters relayed like the outbox, parked early events ------
-- A message is applied at most once by its identity (event id, or order id and event kind) and a
-- fingerprint of its content, never by its position alone; positions are kept only to notice when
-- they go backwards. Dead letters are recorded in the consumer's transaction and published later
-- through a lease, like the outbox. Follow-up order events that arrive before their order.created
-- wait, keyed by order, until their predecessor applies them or they expire into the dead letters.
-- Concurrency: a follow-up event, a parked event being applied or expired, and a re-drive first
-- take their order's transaction-level advisory lock (in key order when several), so two of them
-- never decide about one order at once. order.created takes no lock (a batch may hold hundreds of
-- orders): a follow-up that parks while a concurrent transaction creates its order is applied by
-- the next sweep (inventory_sweep_parked_events, every second from the consumer) instead of at once.

-- Every message applied, parked or dead-lettered, by identity and content. A local table bounded
-- by retention (inventory_forget_consumed_messages), not keyed by product: a message may touch
-- many products. consumed_at grows with inserts, so a BRIN index serves the pruning cheaply.
CREATE TABLE inventory.consumed_messages (
    message_identity text        NOT NULL,
    fingerprint      bytea       NOT NULL,
    consumer_group   text        NOT NULL,
    topic            text        NOT NULL,
    kafka_partition  integer     NOT NULL,
    kafka_offset     bigint      NOT NULL,
    consumed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_identity, fingerprint)
);
COMMENT ON TABLE inventory.consumed_messages IS 'Kafka messages already taken (applied, parked or dead-lettered), by identity and a SHA-256 of their content, with the position where they were first seen';
CREATE INDEX consumed_messages_consumed_at ON inventory.consumed_messages USING brin (consumed_at);

ALTER TABLE inventory.consumer_offsets
    ADD COLUMN regressions  bigint      NOT NULL DEFAULT 0,
    ADD COLUMN regressed_at timestamptz;
COMMENT ON COLUMN inventory.consumer_offsets.regressions IS 'How often a new message arrived below next_offset (a recreated topic, another cluster, reset offsets)';

-- Dead letters keep the decoded effect (for a re-drive) and their publication state: the consumer
-- records them, a publisher claims them under a lease, sends them and marks them published.
ALTER TABLE inventory.dead_letters
    ADD COLUMN message_identity    text,
    ADD COLUMN action              text CHECK (action IN ('reserve', 'confirm', 'release', 'ship', 'set_stock')),
    ADD COLUMN effect              jsonb,
    ADD COLUMN published_at        timestamptz,
    ADD COLUMN publish_attempts    integer NOT NULL DEFAULT 0,
    ADD COLUMN publish_error       text,
    ADD COLUMN publish_lease_until timestamptz,
    ADD COLUMN redriven_at         timestamptz,
    ADD COLUMN redriven_by         text;
-- Version 1.1 published a dead letter before recording it.
UPDATE inventory.dead_letters SET published_at = created_at;
CREATE INDEX dead_letters_unpublished ON inventory.dead_letters (id) WHERE published_at IS NULL;
COMMENT ON COLUMN inventory.dead_letters.effect IS 'What the message asked for, decoded (order_id and lines, or a stock level); NULL when it could not be decoded';
COMMENT ON COLUMN inventory.dead_letters.published_at IS 'When the dead-letter topic acknowledged it; NULL while it waits';

-- Follow-up events (confirm, release, ship) waiting for their order's predecessor. A release
-- applied to an order that was never created (a cancel before its create) stays as a marker, with
-- applied_at set, until expires_at: an order.created that arrives meanwhile takes no stock.
CREATE TABLE inventory.parked_events (
    order_id         text        NOT NULL,
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    action           text        NOT NULL CHECK (action IN ('confirm', 'release', 'ship')),
    waits_for        text        NOT NULL CHECK (waits_for = 'created'),
    message_identity text        NOT NULL,
    consumer_group   text        NOT NULL,
    topic            text        NOT NULL,
    kafka_partition  integer     NOT NULL,
    kafka_offset     bigint      NOT NULL,
    message_key      text,
    payload          text,
    parked_at        timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    applied_at       timestamptz,
    PRIMARY KEY (order_id, id)
);
COMMENT ON TABLE inventory.parked_events IS 'Order events that arrived before the event they depend on, keyed by order; applied when it arrives, dead-lettered at expires_at';
CREATE INDEX parked_events_expiry ON inventory.parked_events (expires_at);

SELECT pg_catalog.pg_extension_config_dump('inventory.consumed_messages', '');
SELECT pg_catalog.pg_extension_config_dump('inventory.parked_events', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('inventory.parked_events', 'id'), '');

-- inventory.kafka_lock_orders takes the advisory locks of the given orders, in key order.
CREATE FUNCTION inventory.kafka_lock_orders(order_ids text[])
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1768846958, k)
       FROM (SELECT DISTINCT hashtext(o) AS k FROM unnest(order_ids) o WHERE o IS NOT NULL ORDER BY 1) keys;
END
$$;
COMMENT ON FUNCTION inventory.kafka_lock_orders(text[]) IS
'Internal: takes the transaction-level advisory locks that serialise the Kafka input of the given orders, in key order.';

-- inventory.kafka_order_state summarises an order's reservations by status.
CREATE FUNCTION inventory.kafka_order_state(order_id text, OUT active bigint, OUT confirmed bigint,
                                            OUT shipped bigint, OUT released bigint, OUT expired bigint,
                                            OUT cancelled_before_created boolean)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT count(*) FILTER (WHERE r.status = 'active'), count(*) FILTER (WHERE r.status = 'confirmed'),
           count(*) FILTER (WHERE r.status = 'shipped'), count(*) FILTER (WHERE r.status = 'released'),
           count(*) FILTER (WHERE r.status = 'expired')
      INTO active, confirmed, shipped, released, expired
      FROM inventory.reservations r WHERE r.order_id = kafka_order_state.order_id;
    cancelled_before_created := EXISTS (SELECT 1 FROM inventory.parked_events p
                                         WHERE p.order_id = kafka_order_state.order_id AND p.action = 'release');
END
$$;
COMMENT ON FUNCTION inventory.kafka_order_state(text) IS
'Internal: how many reservations of an order are in each status, and whether a cancel arrived while the order had none (it waits, or cancelled the order before its creation).';

-- inventory.kafka_next_step decides what a follow-up event does to an order in a given state:
-- 'apply', 'park:created' or 'skip' (nothing to do; the history already holds).
CREATE FUNCTION inventory.kafka_next_step(action text, active bigint, confirmed bigint, shipped bigint,
                                          released bigint, expired bigint, cancelled_before_created boolean)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
SELECT CASE
    WHEN active + confirmed + shipped + released + expired = 0 THEN
        CASE WHEN NOT cancelled_before_created THEN 'park:created'
             WHEN action IN ('confirm', 'release') THEN 'skip'
             ELSE 'apply' END
    WHEN action = 'confirm' THEN
        CASE WHEN active > 0 THEN 'apply'
             WHEN confirmed + shipped > 0 THEN 'skip'
             WHEN expired = 0 THEN 'skip'
             ELSE 'apply' END
    -- Ship of an active reservation confirms and ships it in one step (1.2): a payment step
    -- before it is optional, and a payment that arrives after the shipment has nothing to do.
    ELSE 'apply'
END
$$;
COMMENT ON FUNCTION inventory.kafka_next_step(text, bigint, bigint, bigint, bigint, bigint, boolean) IS
'Internal: the rule for follow-up order events (confirm, release, ship) arriving in any order; see docs/events.md.';

-- inventory.kafka_record_dead_letter records a dead letter awaiting publication.
CREATE FUNCTION inventory.kafka_record_dead_letter(consumer_group text, message jsonb, reason text, error_code text)
RETURNS bigint
LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
INSERT INTO inventory.dead_letters (consumer_group, topic, kafka_partition, kafka_offset, message_key, payload,
                                    reason, error_code, message_identity, action, effect)
VALUES (consumer_group, message->>'topic', (message->>'partition')::integer, (message->>'offset')::bigint,
        message->>'key', message->>'payload', reason, error_code, message->>'identity',
        CASE WHEN message->>'action' IN ('reserve', 'confirm', 'release', 'ship', 'set_stock')
             THEN message->>'action' END,
        CASE WHEN message->>'action' = 'set_stock' THEN message->'stock'
             WHEN message->>'action' IN ('reserve', 'confirm', 'release', 'ship')
             THEN jsonb_strip_nulls(jsonb_build_object('order_id', message->>'order_id', 'lines', message->'lines'))
        END)
RETURNING id
$$;
COMMENT ON FUNCTION inventory.kafka_record_dead_letter(text, jsonb, text, text) IS
'Internal: records a Kafka message as a dead letter that waits for publication, with its decoded effect; returns its id.';

-- inventory.kafka_dead_letter_parked records a parked event as a dead letter, as the message it was.
CREATE FUNCTION inventory.kafka_dead_letter_parked(parked inventory.parked_events, reason text, error_code text)
RETURNS bigint
LANGUAGE sql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
SELECT inventory.kafka_record_dead_letter(parked.consumer_group,
    jsonb_build_object('topic', parked.topic, 'partition', parked.kafka_partition, 'offset', parked.kafka_offset,
                       'key', parked.message_key, 'payload', parked.payload, 'identity', parked.message_identity,
                       'action', parked.action, 'order_id', parked.order_id),
    reason, error_code)
$$;
COMMENT ON FUNCTION inventory.kafka_dead_letter_parked(inventory.parked_events, text, text) IS
'Internal: records a parked order event as a dead letter that waits for publication (the message it arrived as); returns its id.';

-- inventory.kafka_apply_order_move runs confirm, release or ship of a whole order.
CREATE FUNCTION inventory.kafka_apply_order_move(action text, order_id text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CASE action
        WHEN 'confirm' THEN PERFORM count(*) FROM @extschema@.inventory_confirm_order(order_id);
        WHEN 'release' THEN PERFORM count(*) FROM @extschema@.inventory_release_order(order_id);
        WHEN 'ship' THEN PERFORM count(*) FROM @extschema@.inventory_ship_order(order_id);
    END CASE;
END
$$;
COMMENT ON FUNCTION inventory.kafka_apply_order_move(text, text) IS
'Internal: applies confirm, release or ship to every reservation of an order.';

-- inventory.kafka_is_permanent says whether a SQLSTATE refuses a message for good (class IN, 22).
CREATE FUNCTION inventory.kafka_is_permanent(sqlstate text)
RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT left(sqlstate, 2) IN ('IN', '22') $$;
COMMENT ON FUNCTION inventory.kafka_is_permanent(text) IS
'Internal: true for the SQLSTATEs that no retry can change (class IN and class 22); the others roll the batch back for a retry.';

-- inventory.kafka_apply_parked applies an order's parked events whose predecessor has arrived:
-- confirms first, then ships, then a cancel that raced its order's creation. A parked cancel of an order that does not exist keeps waiting (its
-- order.created will take no stock) until it expires. The caller holds
-- the order's advisory lock. Returns how many parked events left the table (applied, skipped or
-- dead-lettered).
CREATE FUNCTION inventory.kafka_apply_parked(order_id text, only_due boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    caller_actor text := coalesce(current_setting('inventory.actor', true), '');
    parked inventory.parked_events;
    state record;
    step text;
    resolved integer := 0;
BEGIN
    FOR parked IN
        SELECT * FROM inventory.parked_events p
         WHERE p.order_id = kafka_apply_parked.order_id AND p.applied_at IS NULL
           AND (NOT only_due OR p.expires_at <= now())
         ORDER BY CASE p.action WHEN 'confirm' THEN 1 WHEN 'ship' THEN 2 ELSE 3 END, p.id
    LOOP
        SELECT * INTO state FROM inventory.kafka_order_state(parked.order_id);
        -- A cancel waits until its order exists; only a create that raced it gets here with one.
        IF parked.action = 'release'
           AND state.active + state.confirmed + state.shipped + state.released + state.expired = 0 THEN
            CONTINUE;
        END IF;
        step := inventory.kafka_next_step(parked.action, state.active, state.confirmed, state.shipped,
                                          state.released, state.expired, state.cancelled_before_created);
        IF step LIKE 'park:%' THEN
            CONTINUE;
        END IF;
        DELETE FROM inventory.parked_events WHERE parked_events.order_id = parked.order_id AND id = parked.id;
        resolved := resolved + 1;
        IF step = 'skip' THEN
            CONTINUE;
        END IF;
        PERFORM set_config('inventory.actor', 'kafka:' || parked.topic, true);
        BEGIN
            PERFORM inventory.kafka_apply_order_move(parked.action, parked.order_id);
        EXCEPTION WHEN OTHERS THEN
            IF NOT inventory.kafka_is_permanent(SQLSTATE) THEN
                RAISE;
            END IF;
            PERFORM inventory.kafka_dead_letter_parked(parked, 'applied after parking: ' || SQLERRM, SQLSTATE);
        END;
    END LOOP;
    PERFORM set_config('inventory.actor', caller_actor, true);
    RETURN resolved;
END
$$;
COMMENT ON FUNCTION inventory.kafka_apply_parked(text, boolean) IS
'Internal: applies the parked events of an order whose predecessor has arrived (confirms, then ships); only_due limits it to expired ones.';

-- inventory.kafka_follow_up applies, parks or skips one confirm, release or ship message.
CREATE FUNCTION inventory.kafka_follow_up(consumer_group text, message jsonb, park_for interval,
                                          OUT outcome text, OUT error_code text, OUT reason text,
                                          OUT parked_applied integer)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    event_order text := message->>'order_id';
    event_action text := message->>'action';
    state record;
    step text;
BEGIN
    parked_applied := 0;
    SELECT * INTO state FROM inventory.kafka_order_state(event_order);
    step := inventory.kafka_next_step(event_action, state.active, state.confirmed, state.shipped, state.released,
                                      state.expired, state.cancelled_before_created);
    IF step LIKE 'park:%' THEN
        INSERT INTO inventory.parked_events (order_id, action, waits_for, message_identity, consumer_group, topic,
                                             kafka_partition, kafka_offset, message_key, payload, expires_at)
        VALUES (event_order, event_action, substr(step, 6), message->>'identity', consumer_group, message->>'topic',
                (message->>'partition')::integer, (message->>'offset')::bigint, message->>'key',
                message->>'payload', now() + park_for);
        outcome := 'parked';
        reason := format('waits for order "%s" to be %s', event_order, substr(step, 6));
        RETURN;
    END IF;
    outcome := 'applied';
    IF step = 'skip' THEN
        reason := 'nothing to do: the order''s history already holds this event';
        RETURN;
    END IF;
    PERFORM set_config('inventory.actor', 'kafka:' || (message->>'topic'), true);
    BEGIN
        PERFORM inventory.kafka_apply_order_move(event_action, event_order);
    EXCEPTION WHEN OTHERS THEN
        IF NOT inventory.kafka_is_permanent(SQLSTATE) THEN
            RAISE;
        END IF;
        outcome := 'dead_letter';
        error_code := SQLSTATE;
        reason := SQLERRM;
        PERFORM inventory.kafka_record_dead_letter(consumer_group, message, reason, error_code);
        RETURN;
    END;
    -- A ship may wait for this confirmation, or find after a release that it can never happen.
    IF EXISTS (SELECT 1 FROM inventory.parked_events p WHERE p.order_id = event_order) THEN
        parked_applied := inventory.kafka_apply_parked(event_order);
    END IF;
END
$$;
COMMENT ON FUNCTION inventory.kafka_follow_up(text, jsonb, interval) IS
'Internal: applies, parks or skips one order.paid/confirmed, order.cancelled or order.shipped message.';

-- inventory.kafka_reserve_requests reserves a list of {order_id, lines, actor} requests through
-- inventory_reserve_batch (in chunks of inventory.max_batch_requests), one outcome per request in
-- input order: 'reserved', 'repeated', 'short' or 'invalid' with its SQLSTATE and message.
CREATE FUNCTION inventory.kafka_reserve_requests(requests jsonb)
RETURNS TABLE (request_index integer, outcome text, error_code text, error_message text)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    chunk_size integer;
    total integer := jsonb_array_length(requests);
    chunk_start integer := 0;
BEGIN
    WHILE chunk_start < total LOOP
        -- The setting exists once the library is loaded; until then (a new session) one request
        -- goes alone, which loads it.
        chunk_size := coalesce(current_setting('inventory.max_batch_requests', true)::integer, 1);
        IF chunk_start = 0 AND total <= chunk_size THEN
            RETURN QUERY SELECT b.request_index, b.outcome, b.error_code, b.error_message
                           FROM @extschema@.inventory_reserve_batch(requests) b;
            RETURN;
        END IF;
        RETURN QUERY
        SELECT chunk_start + b.request_index, b.outcome, b.error_code, b.error_message
          FROM @extschema@.inventory_reserve_batch(
                   (SELECT jsonb_agg(r ORDER BY k) FROM jsonb_array_elements(requests) WITH ORDINALITY AS e(r, k)
                     WHERE k > chunk_start AND k <= chunk_start + chunk_size)) b;
        chunk_start := chunk_start + chunk_size;
    END LOOP;
END
$$;
COMMENT ON FUNCTION inventory.kafka_reserve_requests(jsonb) IS
'Internal: reserves the order.created requests of a batch with inventory_reserve_batch, one outcome per request in input order.';

-- inventory.kafka_reserve_created applies the order.created messages at the given indexes of a
-- batch: an order cancelled before it was created takes no stock; the others are reserved in one
-- pass, and an order that is now reserved gets its parked events applied. One row per message.
CREATE FUNCTION inventory.kafka_reserve_created(consumer_group text, messages jsonb, indexes integer[])
RETURNS TABLE (message_index integer, outcome text, error_code text, reason text, parked_applied integer)
LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    parked_orders text[];     -- orders of these messages that have parked events
    cancelled_orders text[];  -- ... among them those whose cancel came first
    refused_shipments integer;
    reservable integer[] := '{}';
    message jsonb;
    i integer;
    result record;
BEGIN
    SELECT coalesce(array_agg(DISTINCT p.order_id), '{}'),
           coalesce(array_agg(DISTINCT p.order_id) FILTER (WHERE p.action = 'release'), '{}')
      INTO parked_orders, cancelled_orders
      FROM inventory.parked_events p
     WHERE p.order_id = ANY (ARRAY(SELECT messages -> j ->> 'order_id' FROM unnest(indexes) j));
    FOREACH i IN ARRAY indexes LOOP
        message := messages -> i;
        IF cardinality(cancelled_orders) > 0 AND message->>'order_id' = ANY (cancelled_orders) THEN
            -- The cancel came first: the order never takes stock. The cancel stays as a marker; a
            -- parked payment has nothing left to do, and a parked shipment of an order that never
            -- held stock is a contradiction for an operator: a dead letter, as when it arrives
            -- after the cancel.
            UPDATE inventory.parked_events p SET applied_at = coalesce(p.applied_at, now())
             WHERE p.order_id = message->>'order_id' AND p.action = 'release';
            WITH gone AS (DELETE FROM inventory.parked_events p
                           WHERE p.order_id = message->>'order_id' AND p.action <> 'release' RETURNING p)
            SELECT count(*) FILTER (WHERE (g.p).action <> 'ship'),
                   count(CASE WHEN (g.p).action = 'ship' THEN inventory.kafka_dead_letter_parked(g.p,
                             format('order "%s" was cancelled before it was created and holds no stock: '
                                    'there is nothing to ship', (g.p).order_id),
                             'IN003') END)
              INTO parked_applied, refused_shipments FROM gone g;
            message_index := i;
            outcome := 'applied';
            error_code := NULL;
            IF refused_shipments > 0 THEN
                reason := 'the order was cancelled before it was created: no stock taken, and its parked shipment is a dead letter';
            ELSE
                reason := 'the order was cancelled before it was created: no stock taken';
            END IF;
            RETURN NEXT;
        ELSE
            reservable := reservable || i;
        END IF;
    END LOOP;
    IF cardinality(reservable) = 0 THEN
        RETURN;
    END IF;
    FOR result IN
        SELECT reservable[r.request_index + 1] AS idx, r.outcome AS request_outcome, r.error_code AS code,
               r.error_message AS message_text
          FROM inventory.kafka_reserve_requests(
                   (SELECT jsonb_agg(jsonb_build_object('order_id', m->>'order_id', 'lines', m->'lines',
                                                        'actor', 'kafka:' || (m->>'topic')) ORDER BY k)
                      FROM unnest(reservable) WITH ORDINALITY AS u(j, k), LATERAL (SELECT messages -> j) AS e(m))) r
    LOOP
        message := messages -> result.idx;
        message_index := result.idx;
        parked_applied := 0;
        IF result.request_outcome IN ('reserved', 'repeated') THEN
            outcome := 'applied';
            error_code := NULL;
            reason := NULL;
            IF cardinality(parked_orders) > 0 AND message->>'order_id' = ANY (parked_orders) THEN
                parked_applied := inventory.kafka_apply_parked(message->>'order_id');
            END IF;
        ELSE
            outcome := 'dead_letter';
            error_code := result.code;
            reason := result.message_text;
            PERFORM inventory.kafka_record_dead_letter(consumer_group, message, reason, error_code);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION inventory.kafka_reserve_created(text, jsonb, integer[]) IS
'Internal: applies the order.created messages of a batch (reservation, cancel-before-create, parked followers).';

CREATE FUNCTION inventory_consume_batch(consumer_group text, messages jsonb,
                                        park_for interval DEFAULT interval '10 minutes')
RETURNS TABLE (message_index integer, outcome text, error_code text, reason text,
               position_regressed boolean, parked_applied integer)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    message_count integer;
    new_indexes integer[];
    regressed_indexes integer[];
    is_new boolean[];  -- by message position + 1
    pending integer[] := '{}';
    message jsonb;
    i integer;
    step record;
BEGIN
    IF consumer_group IS NULL OR consumer_group = '' THEN
        RAISE EXCEPTION 'consumer_group must not be empty' USING ERRCODE = '22023';
    END IF;
    IF messages IS NULL OR jsonb_typeof(messages) <> 'array' OR jsonb_array_length(messages) NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'messages must be a JSON array of 1 to 10000 messages' USING ERRCODE = '22023';
    END IF;
    IF park_for IS NULL OR park_for <= interval '0' THEN
        RAISE EXCEPTION 'park_for must be a positive interval' USING ERRCODE = '22023';
    END IF;
    message_count := jsonb_array_length(messages);
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(messages) e
                WHERE jsonb_typeof(e) <> 'object' OR coalesce(e->>'topic', '') = '' OR coalesce(e->>'identity', '') = ''
                   OR length(e->>'identity') > 1000 OR e->>'content' IS NULL OR jsonb_typeof(e->'partition') <> 'number'
                   OR jsonb_typeof(e->'offset') <> 'number' OR (e->>'partition')::numeric < 0
                   OR (e->>'offset')::numeric < 0
                   OR (e->>'action' IN ('reserve', 'confirm', 'release', 'ship') AND coalesce(e->>'order_id', '') = '')) THEN
        RAISE EXCEPTION 'every message needs topic, partition, offset, identity (at most 1000 characters) and content, and an order event its order_id'
            USING ERRCODE = '22023';
    END IF;

    -- One statement, one snapshot: identities and positions are recorded, and the regressions are
    -- judged on what was recorded before this batch. The first message of each (identity,
    -- fingerprint) not seen before is new. A position below the partition's recorded next offset
    -- is a regression unless it is the very message first seen there (a redelivery); positions
    -- then follow the last message of each partition in the batch.
    WITH input AS MATERIALIZED (
        SELECT (k - 1)::integer AS idx, e->>'identity' AS identity, sha256(convert_to(e->>'content', 'UTF8')) AS fingerprint,
               e->>'topic' AS topic, (e->>'partition')::integer AS kafka_partition, (e->>'offset')::bigint AS kafka_offset
          FROM jsonb_array_elements(messages) WITH ORDINALITY AS t(e, k)),
    regressed AS (
        SELECT f.idx, f.topic, f.kafka_partition
          FROM (SELECT DISTINCT ON (topic, kafka_partition) * FROM input ORDER BY topic, kafka_partition, idx) f
          JOIN inventory.consumer_offsets o
            ON o.consumer_group = inventory_consume_batch.consumer_group AND o.topic = f.topic
           AND o.kafka_partition = f.kafka_partition
         WHERE f.kafka_offset < o.next_offset
           AND NOT EXISTS (SELECT 1 FROM inventory.consumed_messages c
                            WHERE c.message_identity = f.identity AND c.fingerprint = f.fingerprint
                              AND c.topic = f.topic AND c.kafka_partition = f.kafka_partition
                              AND c.kafka_offset = f.kafka_offset)),
    recorded AS (
        INSERT INTO inventory.consumed_messages AS c (message_identity, fingerprint, consumer_group, topic,
                                                      kafka_partition, kafka_offset)
        SELECT DISTINCT ON (identity, fingerprint) identity, fingerprint, inventory_consume_batch.consumer_group,
               topic, kafka_partition, kafka_offset
          FROM input ORDER BY identity, fingerprint, idx
        ON CONFLICT DO NOTHING
        RETURNING c.message_identity, c.fingerprint, c.topic, c.kafka_partition, c.kafka_offset),
    positions AS (
        INSERT INTO inventory.consumer_offsets AS o (consumer_group, topic, kafka_partition, next_offset, regressions,
                                                     regressed_at)
        SELECT DISTINCT ON (i.topic, i.kafka_partition)
               inventory_consume_batch.consumer_group, i.topic, i.kafka_partition, i.kafka_offset + 1,
               (SELECT count(*) FROM regressed r WHERE r.topic = i.topic AND r.kafka_partition = i.kafka_partition),
               CASE WHEN EXISTS (SELECT 1 FROM regressed r WHERE r.topic = i.topic AND r.kafka_partition = i.kafka_partition)
                    THEN now() END
          FROM input i ORDER BY i.topic, i.kafka_partition, i.idx DESC
        ON CONFLICT ON CONSTRAINT consumer_offsets_pkey DO UPDATE
           SET next_offset = EXCLUDED.next_offset, updated_at = now(),
               regressions = o.regressions + EXCLUDED.regressions,
               regressed_at = coalesce(EXCLUDED.regressed_at, o.regressed_at))
    SELECT (SELECT coalesce(array_agg(input.idx), '{}')
              FROM input JOIN recorded r
                ON (r.message_identity, r.fingerprint, r.topic, r.kafka_partition, r.kafka_offset)
                 = (input.identity, input.fingerprint, input.topic, input.kafka_partition, input.kafka_offset)),
           (SELECT coalesce(array_agg(idx), '{}') FROM regressed)
      INTO new_indexes, regressed_indexes;

    is_new := array_fill(false, ARRAY[message_count]);
    FOREACH i IN ARRAY new_indexes LOOP
        is_new[i + 1] := true;
    END LOOP;

    -- Two transactions never decide about the follow-up events of one order at the same time.
    PERFORM inventory.kafka_lock_orders(ARRAY(
        SELECT messages -> j ->> 'order_id' FROM unnest(new_indexes) j
         WHERE messages -> j ->> 'action' IN ('confirm', 'release', 'ship')));

    -- In input order; runs of order.created are reserved together.
    FOR i IN 0 .. message_count LOOP
        message := CASE WHEN i < message_count THEN messages -> i END;
        IF message IS NOT NULL AND is_new[i + 1] AND message->>'action' = 'reserve'
           AND message->>'malformed' IS NULL THEN
            pending := pending || i;
            CONTINUE;
        END IF;
        IF cardinality(pending) > 0 THEN
            RETURN QUERY SELECT r.message_index, r.outcome, r.error_code, r.reason,
                                cardinality(regressed_indexes) > 0 AND r.message_index = ANY (regressed_indexes),
                                r.parked_applied
                           FROM inventory.kafka_reserve_created(consumer_group, messages, pending) r
                          ORDER BY r.message_index;
            pending := '{}';
        END IF;
        EXIT WHEN message IS NULL;
        message_index := i;
        position_regressed := cardinality(regressed_indexes) > 0 AND i = ANY (regressed_indexes);
        outcome := 'applied';
        error_code := NULL;
        reason := NULL;
        parked_applied := 0;
        IF NOT is_new[i + 1] THEN
            outcome := 'duplicate';
        ELSIF message->>'malformed' IS NOT NULL THEN
            outcome := 'dead_letter';
            error_code := 'malformed';
            reason := message->>'malformed';
            PERFORM inventory.kafka_record_dead_letter(consumer_group, message, reason, error_code);
        ELSIF message->>'action' IN ('confirm', 'release', 'ship') THEN
            SELECT * INTO step FROM inventory.kafka_follow_up(consumer_group, message, park_for);
            outcome := step.outcome;
            error_code := step.error_code;
            reason := step.reason;
            parked_applied := step.parked_applied;
        ELSIF message->>'action' = 'set_stock' THEN
            PERFORM set_config('inventory.actor', 'kafka:' || (message->>'topic'), true);
            BEGIN
                PERFORM count(*) FROM @extschema@.inventory_set_stock(message->'stock'->>'product_id',
                    (message->'stock'->>'on_hand')::bigint, coalesce(message->'stock'->>'warehouse', 'main'),
                    message->'stock'->>'name');
            EXCEPTION WHEN OTHERS THEN
                IF NOT inventory.kafka_is_permanent(SQLSTATE) THEN
                    RAISE;
                END IF;
                outcome := 'dead_letter';
                error_code := SQLSTATE;
                reason := SQLERRM;
                PERFORM inventory.kafka_record_dead_letter(consumer_group, message, reason, error_code);
            END;
        ELSIF coalesce(message->>'action', 'none') <> 'none' THEN
            outcome := 'dead_letter';
            error_code := 'malformed';
            reason := format('unknown action "%s"', message->>'action');
            PERFORM inventory.kafka_record_dead_letter(consumer_group, message, reason, error_code);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION inventory_consume_batch(text, jsonb, interval) IS
'Applies a batch of decoded Kafka messages in one transaction, in input order: a message whose identity and content were seen before is a duplicate; order.created reserves (runs of them together); a follow-up event whose order is not ready parks for park_for; what cannot be processed becomes a dead letter awaiting publication. Records positions and reports the first new message below a partition''s recorded position. One row per message.';

CREATE FUNCTION inventory_sweep_parked_events(max_rows integer DEFAULT 1000)
RETURNS TABLE (applied integer, dead_lettered integer)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    candidate record;
    expired_count integer;
BEGIN
    IF max_rows IS NULL OR max_rows < 1 OR max_rows > 100000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 100000, not %', max_rows USING ERRCODE = '22023';
    END IF;
    applied := 0;
    dead_lettered := 0;
    -- Orders that became ready meanwhile: created by a transaction that raced the park, or over REST.
    FOR candidate IN
        SELECT DISTINCT p.order_id
          FROM (SELECT w.order_id FROM inventory.parked_events w
                 WHERE w.applied_at IS NULL
                   AND EXISTS (SELECT 1 FROM inventory.reservations r WHERE r.order_id = w.order_id)
                 LIMIT max_rows) p
    LOOP
        PERFORM inventory.kafka_lock_orders(ARRAY[candidate.order_id]);
        applied := applied + inventory.kafka_apply_parked(candidate.order_id);
    END LOOP;
    -- Parked events whose time is up: a last try, then the dead letters; cancel markers end.
    FOR candidate IN
        SELECT DISTINCT p.order_id FROM (SELECT order_id FROM inventory.parked_events
                                          WHERE expires_at <= now() ORDER BY expires_at LIMIT max_rows) p
    LOOP
        PERFORM inventory.kafka_lock_orders(ARRAY[candidate.order_id]);
        DELETE FROM inventory.parked_events p
         WHERE p.order_id = candidate.order_id AND p.applied_at IS NOT NULL AND p.expires_at <= now();
        applied := applied + inventory.kafka_apply_parked(candidate.order_id, true);
        WITH gone AS (
            DELETE FROM inventory.parked_events p
             WHERE p.order_id = candidate.order_id AND p.applied_at IS NULL AND p.expires_at <= now()
            RETURNING p)
        SELECT count(inventory.kafka_dead_letter_parked(g.p,
                   format('parked for %s waiting for order "%s" to be %s, which did not happen',
                          date_trunc('second', now() - (g.p).parked_at), (g.p).order_id, (g.p).waits_for),
                   'parked_timeout'))::integer
          INTO expired_count FROM gone g;
        dead_lettered := dead_lettered + expired_count;
    END LOOP;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION inventory_sweep_parked_events(integer) IS
'Applies parked order events whose order became ready meanwhile (a create that raced them, an order made over REST), and ends the wait of those whose time is up: applied if their order is ready by now, else a dead letter (error_code parked_timeout); cancel markers past their time are dropped. At most max_rows of each. Returns how many were applied (or found to need nothing) and dead-lettered.';

CREATE FUNCTION inventory_forget_consumed_messages(older_than interval, max_rows integer DEFAULT 10000)
RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    forgotten integer;
BEGIN
    IF older_than IS NULL OR older_than <= interval '0' THEN
        RAISE EXCEPTION 'older_than must be a positive interval' USING ERRCODE = '22023';
    END IF;
    IF max_rows IS NULL OR max_rows < 1 OR max_rows > 1000000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 1000000, not %', max_rows USING ERRCODE = '22023';
    END IF;
    DELETE FROM inventory.consumed_messages
     WHERE ctid = ANY (ARRAY(SELECT ctid FROM inventory.consumed_messages
                              WHERE consumed_at < now() - older_than LIMIT max_rows));
    GET DIAGNOSTICS forgotten = ROW_COUNT;
    RETURN forgotten;
END
$$;
COMMENT ON FUNCTION inventory_forget_consumed_messages(interval, integer) IS
'Forgets up to max_rows message identities consumed more than older_than ago; returns how many. Keep them longer than any redelivery can come (the topics'' retention): a message redelivered after its identity is forgotten is applied again.';

-- Publishing dead letters ---------------------------------------------------------------------

CREATE FUNCTION inventory_dead_letters_claim(max_rows integer DEFAULT 100, lease interval DEFAULT interval '30 seconds')
RETURNS TABLE (id bigint, consumer_group text, topic text, kafka_partition integer, kafka_offset bigint,
               message_key text, payload text, reason text, error_code text, created_at timestamptz)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF max_rows IS NULL OR max_rows < 1 OR max_rows > 10000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 10000, not %', max_rows USING ERRCODE = '22023';
    END IF;
    IF lease IS NULL OR lease <= interval '0' THEN
        RAISE EXCEPTION 'lease must be a positive interval' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
    UPDATE inventory.dead_letters d
       SET publish_lease_until = now() + lease, publish_attempts = d.publish_attempts + 1
     WHERE d.id IN (SELECT w.id FROM inventory.dead_letters w
                     WHERE w.published_at IS NULL AND (w.publish_lease_until IS NULL OR w.publish_lease_until <= now())
                     ORDER BY w.id LIMIT max_rows FOR UPDATE SKIP LOCKED)
    RETURNING d.id, d.consumer_group, d.topic, d.kafka_partition, d.kafka_offset, d.message_key, d.payload,
              d.reason, d.error_code, d.created_at;
END
$$;
COMMENT ON FUNCTION inventory_dead_letters_claim(integer, interval) IS
'Claims up to max_rows unpublished dead letters, oldest first, for lease: no other publisher takes them until the lease ends. Commit, publish, then call inventory_dead_letters_published or inventory_dead_letters_failed.';

CREATE FUNCTION inventory_dead_letters_published(ids bigint[])
RETURNS integer
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
WITH done AS (UPDATE inventory.dead_letters SET published_at = now(), publish_lease_until = NULL, publish_error = NULL
               WHERE id = ANY (ids) AND published_at IS NULL RETURNING 1)
SELECT count(*)::integer FROM done
$$;
COMMENT ON FUNCTION inventory_dead_letters_published(bigint[]) IS
'Marks dead letters that the dead-letter topic acknowledged as published; returns how many.';

CREATE FUNCTION inventory_dead_letters_failed(ids bigint[], error text, retry_after interval)
RETURNS integer
LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
WITH failed AS (UPDATE inventory.dead_letters SET publish_error = error, publish_lease_until = now() + retry_after
                 WHERE id = ANY (ids) AND published_at IS NULL RETURNING 1)
SELECT count(*)::integer FROM failed
$$;
COMMENT ON FUNCTION inventory_dead_letters_failed(bigint[], text, interval) IS
'Records why the dead-letter topic refused dead letters; they are claimed again after retry_after. Returns how many.';

-- Re-driving a dead letter --------------------------------------------------------------------

CREATE FUNCTION inventory_redrive_dead_letter(dead_letter_id bigint)
RETURNS TABLE (id bigint, action text, order_id text, redriven_at timestamptz, redriven_by text,
               parked_applied integer)
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    letter inventory.dead_letters;
    state record;
    caller text := coalesce(nullif(current_setting('inventory.actor', true), ''), session_user::text);
BEGIN
    IF dead_letter_id IS NULL THEN
        RAISE EXCEPTION 'dead_letter_id must not be NULL' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO letter FROM inventory.dead_letters d WHERE d.id = dead_letter_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dead letter % does not exist', dead_letter_id USING ERRCODE = 'IN003';
    END IF;
    IF letter.redriven_at IS NOT NULL THEN
        RAISE EXCEPTION 'dead letter % was already re-driven at % by %', dead_letter_id, letter.redriven_at,
                        letter.redriven_by
            USING ERRCODE = 'IN004', HINT = 'A dead letter is re-driven at most once.';
    END IF;
    IF letter.action IS NULL OR letter.effect IS NULL THEN
        RAISE EXCEPTION 'dead letter % cannot be re-driven: its message could not be decoded (%)', dead_letter_id,
                        letter.reason
            USING ERRCODE = 'IN004', HINT = 'Have the producer send a corrected message.';
    END IF;
    order_id := letter.effect->>'order_id';
    parked_applied := 0;
    IF order_id IS NOT NULL THEN
        PERFORM inventory.kafka_lock_orders(ARRAY[order_id]);
    END IF;
    CASE letter.action
        WHEN 'reserve' THEN
            SELECT * INTO state FROM inventory.kafka_order_state(order_id);
            IF state.cancelled_before_created THEN
                RAISE EXCEPTION 'dead letter % cannot be re-driven: order "%" was cancelled before it was created',
                                dead_letter_id, order_id
                    USING ERRCODE = 'IN004';
            END IF;
            PERFORM count(*) FROM @extschema@.inventory_reserve_order(order_id, letter.effect->'lines');
            parked_applied := inventory.kafka_apply_parked(order_id);
        WHEN 'set_stock' THEN
            PERFORM count(*) FROM @extschema@.inventory_set_stock(letter.effect->>'product_id',
                (letter.effect->>'on_hand')::bigint, coalesce(letter.effect->>'warehouse', 'main'),
                letter.effect->>'name');
        ELSE
            PERFORM inventory.kafka_apply_order_move(letter.action, order_id);
            IF letter.action = 'confirm' THEN
                parked_applied := inventory.kafka_apply_parked(order_id);
            END IF;
    END CASE;
    UPDATE inventory.dead_letters d
       SET redriven_at = now(),
           redriven_by = caller
     WHERE d.id = dead_letter_id
    RETURNING d.id, d.action, d.redriven_at, d.redriven_by INTO id, action, redriven_at, redriven_by;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION inventory_redrive_dead_letter(bigint) IS
'Applies a dead letter''s decoded effect again, after its cause was fixed, at most once: the effect and the re-drive mark commit together, and a refusal (still short, still unknown) changes nothing. Ledger rows name the caller''s inventory.actor. IN003 for an unknown id, IN004 when it was re-driven already or could not be decoded.';

-- The relay's fetch from a position (the pipelined relay) ----------------------------------------

-- The outbox's statistics are often stale (a burst of inserts since the last ANALYZE makes it look
-- empty); the fetch must walk the seq index whatever they say, not scan and sort the table.
-- With the outbox distributed by Citus, seq is ordered only within a node (and a product whose
-- shards moved has events from two nodes), so a position in seq order means nothing: the fetch
-- from the start is inventory_outbox_fetch's (each stock row's in version order), and a fetch after
-- a position finds nothing, so the relay has one batch in flight at a time there.
CREATE FUNCTION inventory_outbox_fetch_after(after_seq bigint, max_rows integer DEFAULT 500)
RETURNS SETOF inventory.outbox
LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET enable_seqscan = off SET enable_sort = off
AS $$
BEGIN
    IF max_rows IS NULL OR max_rows < 1 OR max_rows > 100000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 100000, not %', max_rows USING ERRCODE = '22023';
    END IF;
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'inventory.outbox'::regclass) THEN
            IF after_seq IS NULL THEN
                RETURN QUERY SELECT * FROM @extschema@.inventory_outbox_fetch(max_rows);
            END IF;
            RETURN;
        END IF;
    END IF;
    IF after_seq IS NULL THEN
        RETURN QUERY SELECT * FROM inventory.outbox ORDER BY seq LIMIT max_rows;
    ELSE
        RETURN QUERY SELECT * FROM inventory.outbox WHERE seq > after_seq ORDER BY seq LIMIT max_rows;
    END IF;
END
$$;
COMMENT ON FUNCTION inventory_outbox_fetch_after(bigint, integer) IS
'The unpublished events visible now with seq above after_seq (all of them when NULL), in seq order. For a relay that fetches while earlier events are in flight; it must still read from the start (NULL) regularly, since a transaction can commit a lower seq late. With the outbox distributed by Citus: from the start as inventory_outbox_fetch (each stock row''s events in version order), and nothing after a position.';

REVOKE ALL ON inventory.consumed_messages, inventory.parked_events FROM PUBLIC;
REVOKE ALL ON FUNCTION
    inventory.kafka_lock_orders(text[]), inventory.kafka_order_state(text),
    inventory.kafka_next_step(text, bigint, bigint, bigint, bigint, bigint, boolean),
    inventory.kafka_record_dead_letter(text, jsonb, text, text),
    inventory.kafka_dead_letter_parked(inventory.parked_events, text, text), inventory.kafka_apply_order_move(text, text),
    inventory.kafka_is_permanent(text), inventory.kafka_apply_parked(text, boolean),
    inventory.kafka_follow_up(text, jsonb, interval), inventory.kafka_reserve_requests(jsonb),
    inventory.kafka_reserve_created(text, jsonb, integer[]),
    inventory_consume_batch(text, jsonb, interval), inventory_sweep_parked_events(integer),
    inventory_forget_consumed_messages(interval, integer), inventory_dead_letters_claim(integer, interval),
    inventory_dead_letters_published(bigint[]), inventory_dead_letters_failed(bigint[], text, interval),
    inventory_redrive_dead_letter(bigint), inventory_outbox_fetch_after(bigint, integer)
FROM PUBLIC;
GRANT SELECT ON inventory.consumed_messages, inventory.parked_events TO inventory_reader;
GRANT EXECUTE ON FUNCTION
    inventory_consume_batch(text, jsonb, interval), inventory_sweep_parked_events(integer),
    inventory_forget_consumed_messages(interval, integer), inventory_dead_letters_claim(integer, interval),
    inventory_dead_letters_published(bigint[]), inventory_dead_letters_failed(bigint[], text, interval)
    TO inventory_writer;
GRANT EXECUTE ON FUNCTION inventory_redrive_dead_letter(bigint) TO inventory_admin;
GRANT EXECUTE ON FUNCTION inventory_outbox_fetch_after(bigint, integer) TO inventory_relay;


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


-- Routing support (see the scale-out section) for the functions Citus routes by product, with
-- their 1.2 signatures ----------------------------------------------------------------------------
ALTER FUNCTION inventory_reserve(text, text, bigint, text, interval, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_reserve_batch(text, jsonb) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_restock(text, bigint, text, text, text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_adjust(text, bigint, text, text, text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_set_stock(text, bigint, text, text, bigint, text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_remove(text, text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_available(text, text) SUPPORT inventory_routing_support;
ALTER FUNCTION inventory_check(text, bigint, text) SUPPORT inventory_routing_support;


-- The reaper job: transactions of its own until nothing is overdue ---------------------------------
-- One call of inventory_expire_reservations is one transaction, which holds every stock row it
-- expired on until it commits: its max_rows (1000 by default) bounds how long a hot row waits for
-- it, and so, run once a minute, how many reservations expire per minute. After a flash sale's
-- burst more than that falls due each minute (reads then walk every overdue reservation), so the
-- job calls it again and again (250 at a time), committing after each and then pausing as long as
-- the call took, so order traffic keeps at least half of a hot row's time, until a call finds
-- fewer than it may expire or max_seconds have passed. A procedure that commits cannot pin its search_path or run as
-- its owner: it runs as the caller, names every function and operator with its schema, and needs
-- what the caller needs to call inventory_expire_reservations.
CREATE PROCEDURE inventory_expire_overdue(max_seconds integer DEFAULT 50, rows_per_transaction integer DEFAULT 250)
LANGUAGE plpgsql
AS $$
DECLARE
    deadline timestamptz;
    started timestamptz;
    expired integer;
BEGIN
    -- Operators and functions are named with their schema: the caller's search_path (pg_cron runs
    -- the job as its owner, often a superuser) must not choose them.
    IF max_seconds IS NULL OR max_seconds OPERATOR(pg_catalog.<) 1 OR max_seconds OPERATOR(pg_catalog.>) 3600 THEN
        RAISE EXCEPTION 'max_seconds must be between 1 and 3600, not %', coalesce(max_seconds::text, 'null')
            USING ERRCODE = '22023';
    END IF;
    deadline := pg_catalog.clock_timestamp() OPERATOR(pg_catalog.+) pg_catalog.make_interval(secs => max_seconds);
    LOOP
        started := pg_catalog.clock_timestamp();
        expired := @extschema@.inventory_expire_reservations(rows_per_transaction);
        COMMIT;
        EXIT WHEN expired OPERATOR(pg_catalog.<) rows_per_transaction
               OR pg_catalog.clock_timestamp() OPERATOR(pg_catalog.>=) deadline;
        -- Leave the rows to order traffic for as long as this transaction held them.
        PERFORM pg_catalog.pg_sleep(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) started));
    END LOOP;
END
$$;
COMMENT ON PROCEDURE inventory_expire_overdue(integer, integer) IS
'The reaper job: calls inventory_expire_reservations(rows_per_transaction) and commits, then pauses as long as that took, again and again, until a call expires fewer than rows_per_transaction or max_seconds have passed. CALL it alone, outside a transaction block.';
REVOKE ALL ON PROCEDURE inventory_expire_overdue(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE inventory_expire_overdue(integer, integer) TO inventory_admin;

CREATE OR REPLACE FUNCTION inventory_schedule_reaper(schedule text DEFAULT '* * * * *')
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
                         || ', ''* * * * *'', ''CALL @extschema@.inventory_expire_overdue()'', '
                         || quote_literal(current_database()) || ');';
    END IF;
    RETURN cron.schedule('inventory-expire-reservations', schedule,
                         'CALL @extschema@.inventory_expire_overdue()');
END
$$;
COMMENT ON FUNCTION inventory_schedule_reaper(text) IS
'Schedules the reaper job (CALL inventory_expire_overdue()) with pg_cron, every minute by default; returns the job id. Scheduling again replaces the job.';

-- A job that 1.0 or 1.1 scheduled keeps its schedule and now runs the procedure.
DO $$
DECLARE
    current_schedule text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        EXECUTE 'SELECT schedule FROM cron.job WHERE jobname = $1 AND username = current_user'
            INTO current_schedule USING 'inventory-expire-reservations';
        IF current_schedule IS NOT NULL THEN
            PERFORM inventory_schedule_reaper(current_schedule);
        END IF;
    END IF;
END
$$;
