-- pg_inventory 1.0 -> 1.1: exactly-once consumption of Kafka input, and its dead letters.
-- A consumer claims a message's position in the same transaction as the message's effect; a
-- message that cannot be processed is recorded as a dead letter, also claiming its position.

\echo Use "ALTER EXTENSION pg_inventory UPDATE TO '1.1'" to load this file. \quit

-- The next offset to process per consumer group, topic and partition. A small table, not keyed by
-- product: on a distributed PostgreSQL it stays a local table of the node the consumers use.
CREATE TABLE inventory.consumer_offsets (
    consumer_group  text        NOT NULL,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL CHECK (kafka_partition >= 0),
    next_offset     bigint      NOT NULL CHECK (next_offset >= 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, kafka_partition)
);
COMMENT ON TABLE inventory.consumer_offsets IS 'Per consumer group and partition, the next Kafka offset whose effect is not yet committed';

CREATE TABLE inventory.dead_letters (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer_group  text        NOT NULL,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    message_key     text,
    payload         text,
    reason          text        NOT NULL,
    error_code      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE inventory.dead_letters IS 'Kafka messages that could not be processed, with the reason; their positions are claimed so they never block a partition';

SELECT pg_catalog.pg_extension_config_dump('inventory.consumer_offsets', '');
SELECT pg_catalog.pg_extension_config_dump('inventory.dead_letters', '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('inventory.dead_letters', 'id'), '');

CREATE FUNCTION inventory_claim_message(consumer_group text, topic text, kafka_partition integer,
                                        kafka_offset bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    claimed boolean;
BEGIN
    IF consumer_group IS NULL OR consumer_group = '' OR topic IS NULL OR topic = ''
       OR kafka_partition IS NULL OR kafka_partition < 0 OR kafka_offset IS NULL OR kafka_offset < 0 THEN
        RAISE EXCEPTION 'consumer_group and topic must be non-empty, kafka_partition and kafka_offset non-negative'
            USING ERRCODE = '22023';
    END IF;
    -- The row lock on the position serialises two consumers of one partition (as during a
    -- rebalance): the second waits, then finds the offset already taken.
    INSERT INTO inventory.consumer_offsets AS o (consumer_group, topic, kafka_partition, next_offset)
    VALUES (inventory_claim_message.consumer_group, inventory_claim_message.topic,
            inventory_claim_message.kafka_partition, kafka_offset + 1)
    ON CONFLICT ON CONSTRAINT consumer_offsets_pkey DO UPDATE
        SET next_offset = EXCLUDED.next_offset, updated_at = now()
        WHERE o.next_offset <= kafka_offset
    RETURNING true INTO claimed;
    RETURN coalesce(claimed, false);
END
$$;
COMMENT ON FUNCTION inventory_claim_message(text, text, integer, bigint) IS
'Claims a Kafka message position for a consumer group, in the caller''s transaction: true when its effect may be applied now, false when it already was. Call it in the same transaction as the effect and commit the Kafka offset after the transaction.';

CREATE FUNCTION inventory_consumer_offsets(consumer_group text)
RETURNS TABLE (topic text, kafka_partition integer, next_offset bigint)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT o.topic, o.kafka_partition, o.next_offset FROM inventory.consumer_offsets o
       WHERE o.consumer_group = inventory_consumer_offsets.consumer_group
       ORDER BY o.topic, o.kafka_partition $$;
COMMENT ON FUNCTION inventory_consumer_offsets(text) IS
'The next offset to consume per topic and partition for a consumer group, for seeking on partition assignment.';

CREATE FUNCTION inventory_dead_letter(consumer_group text, topic text, kafka_partition integer,
                                      kafka_offset bigint, message_key text, payload text,
                                      reason text, error_code text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF reason IS NULL OR reason = '' THEN
        RAISE EXCEPTION 'reason must not be empty' USING ERRCODE = '22023';
    END IF;
    IF NOT @extschema@.inventory_claim_message(consumer_group, topic, kafka_partition, kafka_offset) THEN
        RETURN false;
    END IF;
    INSERT INTO inventory.dead_letters (consumer_group, topic, kafka_partition, kafka_offset,
                                        message_key, payload, reason, error_code)
    VALUES (consumer_group, topic, kafka_partition, kafka_offset, message_key, payload, reason, error_code);
    RETURN true;
END
$$;
COMMENT ON FUNCTION inventory_dead_letter(text, text, integer, bigint, text, text, text, text) IS
'Records a message that cannot be processed, with the reason, and claims its position so the partition moves on; false when the position was already claimed.';

REVOKE ALL ON FUNCTION inventory_claim_message(text, text, integer, bigint),
    inventory_consumer_offsets(text),
    inventory_dead_letter(text, text, integer, bigint, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON inventory.consumer_offsets, inventory.dead_letters FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory_claim_message(text, text, integer, bigint),
    inventory_consumer_offsets(text),
    inventory_dead_letter(text, text, integer, bigint, text, text, text, text) TO inventory_writer;
GRANT SELECT ON inventory.consumer_offsets, inventory.dead_letters TO inventory_reader;
