-- 11_kafka_input.sql: Kafka input of version 1.2: inventory_consume_batch (identity and content
-- fingerprint instead of position, regressions of positions, order events in any order with parked
-- events, dead letters that wait for publication), inventory_sweep_parked_events,
-- inventory_forget_consumed_messages, the dead-letter publication lease, inventory_redrive_dead_letter
-- and inventory_outbox_fetch_after; grants and bad arguments.
-- Every pair of order events (created, paid, cancelled, shipped) is played in both arrival orders,
-- each event in its own batch and both in one batch, and every permutation of created-paid-shipped
-- and created-paid-cancelled, against the end state the order's true history implies.
-- Runs in one transaction that is rolled back; uses only products and orders named 'tap-10-*'.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(121);
\ir include/helpers.sql

SELECT is((SELECT count(*) FROM inventory.stock WHERE product_id LIKE 'tap-10-%')
        + (SELECT count(*) FROM inventory.parked_events WHERE order_id LIKE 'tap-10-%')
        + (SELECT count(*) FROM inventory.consumed_messages WHERE message_identity LIKE '%tap-10-%'),
          0::bigint, 'precondition: no tap-10-* stock, parked events or consumed messages exist');

DO $$ BEGIN PERFORM inventory_set_stock('tap-10-a', 1000); PERFORM inventory_set_stock('tap-10-b', 5); END $$;

CREATE SEQUENCE pg_temp.tap_offsets;

-- A decoded message as the service sends it. Order events get the identity order:<id>:<kind> and
-- their decoded content; offset NULL takes the next free one of the partition.
CREATE FUNCTION pg_temp.tap_msg(kind text, order_id text, topic_offset bigint DEFAULT NULL,
                                kafka_partition integer DEFAULT 0, lines jsonb DEFAULT NULL,
                                identity text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
SELECT jsonb_strip_nulls(jsonb_build_object(
    'topic', CASE kind WHEN 'C' THEN 'order.created' WHEN 'P' THEN 'order.paid'
                       WHEN 'X' THEN 'order.cancelled' ELSE 'order.shipped' END,
    'partition', kafka_partition,
    'offset', coalesce(topic_offset, nextval('pg_temp.tap_offsets')),
    'key', order_id,
    'payload', format('{"orderId":"%s"}', order_id),
    'identity', coalesce(identity, format('order:%s:%s', order_id, kind)),
    'content', format('%s|%s|%s', kind, order_id, coalesce(lines, '[{"product_id":"tap-10-a","quantity":2}]')),
    'action', CASE kind WHEN 'C' THEN 'reserve' WHEN 'P' THEN 'confirm' WHEN 'X' THEN 'release' ELSE 'ship' END,
    'order_id', order_id,
    'lines', CASE WHEN kind = 'C' THEN coalesce(lines, '[{"product_id":"tap-10-a","quantity":2}]') END))
$$;

-- consume(messages...): outcomes of one batch as 'outcome[/code][/regressed]' joined by spaces.
CREATE FUNCTION pg_temp.tap_consume(VARIADIC messages jsonb[]) RETURNS text LANGUAGE sql AS $$
SELECT string_agg(outcome || coalesce('/' || error_code, '') || CASE WHEN position_regressed THEN '/regressed' ELSE '' END,
                  ' ' ORDER BY message_index)
  FROM inventory_consume_batch('tap-10-g', to_jsonb(messages))
$$;

-- The order's state: reservation statuses, waiting parked events and dead letters.
CREATE FUNCTION pg_temp.tap_order(order_id text) RETURNS text LANGUAGE sql AS $$
SELECT concat_ws(' ',
    coalesce((SELECT string_agg(DISTINCT status, ',') FROM inventory.reservations r WHERE r.order_id = $1), 'none'),
    (SELECT 'parked=' || string_agg(action || '>' || waits_for, ',' ORDER BY id)
       FROM inventory.parked_events p WHERE p.order_id = $1 AND applied_at IS NULL),
    (SELECT 'dead=' || string_agg(error_code, ',' ORDER BY id)
       FROM inventory.dead_letters d WHERE d.effect->>'order_id' = $1))
$$;

-- Plays the events of history (one letter each: C created, P paid, X cancelled, S shipped) for a
-- new order, each in its own batch, or all in one batch; returns the order's end state.
CREATE FUNCTION pg_temp.tap_play(order_id text, history text, one_batch boolean DEFAULT false)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    kind text;
    batch jsonb[] := '{}';
BEGIN
    FOREACH kind IN ARRAY regexp_split_to_array(history, '') LOOP
        IF one_batch THEN
            batch := batch || pg_temp.tap_msg(kind, order_id);
        ELSE
            PERFORM pg_temp.tap_consume(pg_temp.tap_msg(kind, order_id));
        END IF;
    END LOOP;
    IF one_batch THEN
        PERFORM pg_temp.tap_consume(VARIADIC batch);
    END IF;
    RETURN pg_temp.tap_order(order_id);
END
$$;

-- Identity, not position -------------------------------------------------------------------------

SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i1', 0)), 'applied', 'a new order.created is applied');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i1', 0)), 'duplicate',
          'the same message delivered again at its position is a duplicate');
SELECT is((SELECT reserved FROM inventory.stock WHERE product_id = 'tap-10-a'), 2::bigint, 'and reserved once');
SELECT is((SELECT regressions FROM inventory.consumer_offsets
            WHERE consumer_group = 'tap-10-g' AND topic = 'order.created' AND kafka_partition = 0), 0::bigint,
          'a redelivery at the position first seen is no regression');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i2', 1), pg_temp.tap_msg('C', 'tap-10-i2', 2)),
          'applied duplicate', 'the same message twice in one batch: the second is a duplicate');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i3', 0)), 'applied/regressed',
          'a new message at a position already passed (a recreated topic) is applied and reported as a regression');
SELECT results_eq($$SELECT next_offset, regressions, regressed_at IS NOT NULL FROM inventory.consumer_offsets
                     WHERE consumer_group = 'tap-10-g' AND topic = 'order.created' AND kafka_partition = 0$$,
                  $$VALUES (1::bigint, 1::bigint, true)$$,
                  'the partition''s position follows the new stream and counts the regression');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i4', 1)), 'applied',
          'the next message of the new stream is no regression');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i1', 1)), 'duplicate/regressed',
          'an old message re-sent at another position of a new stream is a duplicate, and the position a regression');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i1', 9, 0, '[{"product_id":"tap-10-b","quantity":1}]')),
          'applied', 'the same identity with other content is another message: applied');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i5', 7, 3, NULL, 'event:tap-10-e1'),
                              pg_temp.tap_msg('C', 'tap-10-i6', 8, 3, NULL, 'event:tap-10-e1')),
          'applied applied', 'an event id with other content (another order) is another message');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i5', 9, 3, NULL, 'event:tap-10-e1')), 'duplicate',
          'the same event id and content is a duplicate');
SELECT is((SELECT count(*) FROM inventory.consumed_messages WHERE message_identity LIKE '%tap-10-i%'
             OR message_identity = 'event:tap-10-e1'), 7::bigint, 'one identity row per distinct message');

-- Dead letters are recorded with the batch and wait for publication ------------------------------

SELECT is(pg_temp.tap_consume(
              jsonb_build_object('topic', 'order.created', 'partition', 5, 'offset', 0, 'key', 'k',
                                 'payload', 'not json', 'identity', 'position:order.created/5/0',
                                 'content', 'not json', 'malformed', 'payload is not JSON'),
              pg_temp.tap_msg('C', 'tap-10-d1', 1, 5, '[{"product_id":"tap-10-b","quantity":50}]'),
              pg_temp.tap_msg('C', 'tap-10-d2', 2, 5, '[{"product_id":"tap-10-nope","quantity":1}]'),
              pg_temp.tap_msg('C', 'tap-10-d3', 3, 5)),
          'dead_letter/malformed dead_letter/IN001 dead_letter/IN002 applied',
          'malformed, short and unknown-product messages become dead letters; the next one is applied');
SELECT results_eq(
    $$SELECT kafka_offset, error_code, action, effect->>'order_id', published_at IS NULL, publish_attempts
        FROM inventory.dead_letters WHERE consumer_group = 'tap-10-g' AND kafka_partition = 5 ORDER BY kafka_offset$$,
    $$VALUES (0::bigint, 'malformed'::text, NULL::text, NULL::text, true, 0),
             (1, 'IN001', 'reserve', 'tap-10-d1', true, 0), (2, 'IN002', 'reserve', 'tap-10-d2', true, 0)$$,
    'dead letters keep position, code and decoded effect, and wait unpublished');
SELECT is((SELECT payload || ' | ' || reason FROM inventory.dead_letters WHERE consumer_group = 'tap-10-g'
            AND kafka_partition = 5 AND kafka_offset = 0), 'not json | payload is not JSON',
          'the malformed message keeps its payload and reason');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-d1', 1, 5, '[{"product_id":"tap-10-b","quantity":50}]')),
          'duplicate', 'a dead-lettered message delivered again is a duplicate, not a second dead letter');

-- Publication lease: claim, refuse, publish.
CREATE TEMP TABLE tap_claimed AS SELECT * FROM inventory_dead_letters_claim(10000, '1 hour');
SELECT ok((SELECT count(*) FROM tap_claimed WHERE consumer_group = 'tap-10-g' AND kafka_partition = 5) = 3,
          'a publisher claims the unpublished dead letters');
SELECT is((SELECT count(*) FROM inventory_dead_letters_claim(10000, '1 hour') WHERE consumer_group = 'tap-10-g'),
          0::bigint, 'claimed dead letters are not handed to a second publisher during the lease');
SELECT is(inventory_dead_letters_failed(ARRAY(SELECT id FROM tap_claimed WHERE consumer_group = 'tap-10-g'),
                                        'Broker: Topic authorization failed', '0 seconds'), 3,
          'a refused publication is recorded');
SELECT results_eq($$SELECT publish_error, publish_attempts FROM inventory.dead_letters
                     WHERE consumer_group = 'tap-10-g' AND kafka_partition = 5 ORDER BY id LIMIT 1$$,
                  $$VALUES ('Broker: Topic authorization failed'::text, 1)$$, 'with its error and attempt count');
SELECT is((SELECT count(*) FROM inventory_dead_letters_claim(10000, '1 hour') WHERE consumer_group = 'tap-10-g'),
          3::bigint, 'after retry_after they are claimed again');
SELECT is(inventory_dead_letters_published(ARRAY(SELECT id FROM tap_claimed WHERE consumer_group = 'tap-10-g')), 3,
          'acknowledged dead letters are marked published');
SELECT is((SELECT count(*) FROM inventory.dead_letters WHERE consumer_group = 'tap-10-g' AND published_at IS NULL),
          0::bigint, 'and no longer wait');
SELECT is(inventory_dead_letters_published(ARRAY(SELECT id FROM tap_claimed WHERE consumer_group = 'tap-10-g')), 0,
          'marking them again changes nothing');

-- Order events in any order: every pair, both orders -----------------------------------------------

SELECT is(pg_temp.tap_play('tap-10-cp', 'CP'), 'confirmed', 'created, paid: confirmed');
SELECT is(pg_temp.tap_play('tap-10-pc', 'PC'), 'confirmed', 'paid before created: confirmed once the reservation exists');
SELECT is(pg_temp.tap_play('tap-10-cx', 'CX'), 'released', 'created, cancelled: released');
SELECT is(pg_temp.tap_play('tap-10-xc', 'XC'), 'none', 'cancelled before created: the order never holds stock');
SELECT is((SELECT count(*) FROM inventory.ledger WHERE order_id = 'tap-10-xc'), 0::bigint,
          'cancelled before created: no ledger row, no event');
SELECT is(pg_temp.tap_play('tap-10-cs', 'CS'), 'shipped',
          'created, shipped: shipped at once (a ship of an active reservation confirms and ships it)');
SELECT is(pg_temp.tap_play('tap-10-sc', 'SC'), 'shipped',
          'shipped before created: shipped once the reservation exists');
SELECT is(pg_temp.tap_play('tap-10-csp', 'CSP'), 'shipped', 'created, shipped, paid: shipped once paid');
SELECT is(pg_temp.tap_play('tap-10-cps', 'CPS'), 'shipped', 'after created: paid, shipped: shipped');
SELECT is(pg_temp.tap_play('tap-10-cpx', 'CPX'), 'released', 'after created: paid, cancelled: released');
SELECT is(pg_temp.tap_play('tap-10-cxp', 'CXP'), 'released', 'after created: cancelled, paid: released (the payment changes nothing)');
SELECT is(pg_temp.tap_play('tap-10-cxs', 'CXS'), 'released dead=IN004',
          'after created: cancelled, shipped: released, the ship is a dead letter (a contradiction for an operator)');
SELECT is(pg_temp.tap_play('tap-10-csx', 'CSX'), 'shipped dead=IN004',
          'after created: shipped, cancelled: shipped, the cancel is a dead letter (a contradiction for an operator)');
SELECT is(pg_temp.tap_play('tap-10-cpxs', 'CPXS'), 'released dead=IN004',
          'after created and paid: cancelled, shipped: released, the ship is a dead letter');
SELECT is(pg_temp.tap_play('tap-10-cpsx', 'CPSX'), 'shipped dead=IN004',
          'after created and paid: shipped, cancelled: shipped, the cancel is a dead letter');
SELECT is(pg_temp.tap_play('tap-10-xp', 'XP'), 'none parked=release>created',
          'cancelled, paid, neither created: the cancel waits, the payment changes nothing');
SELECT is(pg_temp.tap_play('tap-10-px', 'PX'), 'none parked=confirm>created,release>created',
          'paid, cancelled, neither created: both wait');
SELECT is(pg_temp.tap_play('tap-10-pxc', 'PXC'), 'none', '... and the create then takes no stock');
SELECT is(pg_temp.tap_play('tap-10-xs', 'XS'), 'none parked=release>created dead=IN003',
          'cancelled, then shipped, neither created: the ship of a cancelled order is a dead letter');
SELECT is(pg_temp.tap_play('tap-10-sx', 'SX'), 'none parked=ship>created,release>created',
          'shipped, then cancelled, neither created: both wait');
SELECT is(pg_temp.tap_play('tap-10-sx', 'C'), 'none dead=IN003',
          '... and the create takes no stock, and the waiting ship becomes a dead letter as in the other order');
SELECT is(pg_temp.tap_play('tap-10-ps', 'PS'), 'none parked=confirm>created,ship>created',
          'paid, then shipped, neither created: both wait');
SELECT is(pg_temp.tap_play('tap-10-ps', 'C'), 'shipped', '... and the create ships the order');
SELECT is(pg_temp.tap_play('tap-10-sp', 'SP'), 'none parked=ship>created,confirm>created',
          'shipped, then paid, neither created: both wait');
SELECT is(pg_temp.tap_play('tap-10-sp', 'C'), 'shipped', '... and the create ships the order');

-- Both in one batch.
SELECT is(pg_temp.tap_play('tap-10-b-pc', 'PC', true), 'confirmed', 'one batch: paid before created: confirmed');
SELECT is(pg_temp.tap_play('tap-10-b-cp', 'CP', true), 'confirmed', 'one batch: created, paid: confirmed');
SELECT is(pg_temp.tap_play('tap-10-b-xc', 'XC', true), 'none', 'one batch: cancelled before created: no stock');
SELECT is(pg_temp.tap_play('tap-10-b-cx', 'CX', true), 'released', 'one batch: created, cancelled: released');
SELECT is(pg_temp.tap_play('tap-10-b-sc', 'SC', true), 'shipped', 'one batch: shipped before created: shipped');
SELECT is(pg_temp.tap_play('tap-10-b-spc', 'SPC', true), 'shipped', 'one batch: shipped, paid, created: shipped');

-- Every permutation of the two true histories.
SELECT is(pg_temp.tap_play('tap-10-p-' || h, h), 'shipped', 'created-paid-shipped arriving as ' || h)
  FROM unnest(ARRAY['CPS', 'CSP', 'PCS', 'PSC', 'SCP', 'SPC']) h;
SELECT is(pg_temp.tap_play('tap-10-q-' || h, h), CASE WHEN strpos(h, 'X') < strpos(h, 'C') THEN 'none' ELSE 'released' END,
          'created-paid-cancelled arriving as ' || h || ': no stock held at the end')
  FROM unnest(ARRAY['CPX', 'CXP', 'PCX', 'PXC', 'XCP', 'XPC']) h;
SELECT is((SELECT count(*) FROM inventory.ledger WHERE order_id IN ('tap-10-q-PXC', 'tap-10-q-XCP', 'tap-10-q-XPC')),
          0::bigint, 'an order whose cancel arrived before its create never appears in the ledger');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-q-XCP', NULL, 0, NULL, 'event:tap-10-again')), 'applied',
          'another order.created of an order cancelled before creation (new event id) is taken ...');
SELECT is(pg_temp.tap_order('tap-10-q-XCP'), 'none', '... and takes no stock while the cancel is remembered');
SELECT * FROM pg_temp.tap_consistency('tap-10-');

-- Parked events end: the sweep, expiry, the last try, markers ----------------------------------------------------

SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('P', 'tap-10-late')), 'parked', 'a payment of an unknown order parks');
SELECT ok((SELECT expires_at - parked_at FROM inventory.parked_events WHERE order_id = 'tap-10-late') = interval '10 minutes',
          'it waits park_for (10 minutes by default)');
SELECT results_eq($$SELECT * FROM inventory_sweep_parked_events()$$, $$VALUES (0, 0)$$,
                  'nothing expires before its time');
UPDATE inventory.parked_events SET expires_at = now() - interval '1 second' WHERE order_id LIKE 'tap-10-%';
SELECT results_eq($$SELECT * FROM inventory_sweep_parked_events()$$, $$VALUES (1, 4)$$,
                  'at its time a parked event whose order never came becomes a dead letter (a payment of a cancelled order is dropped)');
SELECT results_eq($$SELECT error_code, reason LIKE 'parked for % waiting for order "tap-10-late" to be created, which did not happen',
                           action, published_at IS NULL
                      FROM inventory.dead_letters WHERE effect->>'order_id' = 'tap-10-late'$$,
                  $$VALUES ('parked_timeout'::text, true, 'confirm'::text, true)$$,
                  'with error_code parked_timeout, a clear reason, its action, waiting for publication');
SELECT is((SELECT count(*) FROM inventory.parked_events WHERE order_id LIKE 'tap-10-%'), 0::bigint,
          'expired parked events and cancel markers are gone');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('P', 'tap-10-rest')), 'parked', 'a payment parks ...');
SELECT ok((SELECT count(*) FROM inventory_reserve_order('tap-10-rest', '[{"product_id":"tap-10-a","quantity":1}]')) = 1,
          '... the order is created over REST, not through Kafka ...');
SELECT results_eq($$SELECT * FROM inventory_sweep_parked_events()$$, $$VALUES (1, 0)$$,
                  '... and the next sweep applies the payment, long before it would expire');
SELECT is(pg_temp.tap_order('tap-10-rest'), 'confirmed', 'the REST order is confirmed');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('X', 'tap-10-race')), 'parked', 'a cancel parks ...');
SELECT ok((SELECT count(*) FROM inventory_reserve_order('tap-10-race', '[{"product_id":"tap-10-a","quantity":1}]')) = 1,
          '... while a create that did not see it reserves (two transactions racing) ...');
SELECT results_eq($$SELECT * FROM inventory_sweep_parked_events()$$, $$VALUES (1, 0)$$,
                  '... and the next sweep applies the cancel');
SELECT is(pg_temp.tap_order('tap-10-race'), 'released', 'the raced order ends released');

-- Re-drive -------------------------------------------------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_redrive_dead_letter(-1)$$, 'IN003', NULL, 'an unknown dead letter is IN003');
SELECT throws_ok(format('SELECT * FROM inventory_redrive_dead_letter(%s)',
                        (SELECT id FROM inventory.dead_letters WHERE consumer_group = 'tap-10-g' AND error_code = 'malformed')),
                 'IN004', NULL, 'a malformed message cannot be re-driven (IN004)');
SELECT throws_ok(format('SELECT * FROM inventory_redrive_dead_letter(%s)',
                        (SELECT id FROM inventory.dead_letters WHERE effect->>'order_id' = 'tap-10-d1')),
                 'IN001', NULL, 'a re-drive whose cause is not fixed fails with the cause''s SQLSTATE ...');
SELECT is((SELECT redriven_at FROM inventory.dead_letters WHERE effect->>'order_id' = 'tap-10-d1'), NULL,
          '... and leaves the dead letter as it was');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('P', 'tap-10-d1')), 'parked', 'a payment of the short order parks');
DO $$ BEGIN PERFORM inventory_restock('tap-10-b', 100); END $$;
SET LOCAL inventory.actor = 'ops-alice';
SELECT results_eq(format('SELECT action, order_id, redriven_by, parked_applied FROM inventory_redrive_dead_letter(%s)',
                         (SELECT id FROM inventory.dead_letters WHERE effect->>'order_id' = 'tap-10-d1')),
                  $$VALUES ('reserve'::text, 'tap-10-d1'::text, 'ops-alice'::text, 1)$$,
                  'after a restock the re-drive reserves, applies the parked payment, and names who did it');
SELECT is(pg_temp.tap_order('tap-10-d1'), 'confirmed dead=IN001', 'the order is reserved and confirmed');
SELECT results_eq($$SELECT reason, actor FROM inventory.ledger WHERE order_id = 'tap-10-d1' ORDER BY version$$,
                  $$VALUES ('reserve'::text, 'ops-alice'::text), ('confirm', 'kafka:order.paid')$$,
                  'the ledger records the re-drive''s reservation under the operator, the payment under its topic');
SELECT throws_ok(format('SELECT * FROM inventory_redrive_dead_letter(%s)',
                        (SELECT id FROM inventory.dead_letters WHERE effect->>'order_id' = 'tap-10-d1')),
                 'IN004', NULL, 'a dead letter is re-driven at most once');
RESET inventory.actor;

-- Housekeeping: forgetting identities; the relay's fetch after a position ---------------------------

UPDATE inventory.consumed_messages SET consumed_at = now() - interval '8 days' WHERE message_identity = 'order:tap-10-i4:C';
SELECT is(inventory_forget_consumed_messages('7 days'), 1, 'identities older than the retention are forgotten');
SELECT is(pg_temp.tap_consume(pg_temp.tap_msg('C', 'tap-10-i4', 100000)), 'applied',
          'a message whose identity was forgotten counts as new (keep identities longer than redeliveries)');
SELECT ok((SELECT bool_and(seq > (SELECT min(seq) FROM inventory.outbox WHERE aggregateid LIKE 'tap-10-%'))
             FROM inventory_outbox_fetch_after((SELECT min(seq) FROM inventory.outbox WHERE aggregateid LIKE 'tap-10-%'), 100000)),
          'inventory_outbox_fetch_after returns only rows after the given seq');
SELECT is((SELECT count(*) FROM inventory_outbox_fetch_after(NULL, 100000) WHERE aggregateid LIKE 'tap-10-%'),
          (SELECT count(*) FROM inventory.outbox WHERE aggregateid LIKE 'tap-10-%'), 'and all of them after NULL');

-- Arguments and grants --------------------------------------------------------------------------------

SELECT throws_ok($$SELECT * FROM inventory_consume_batch('', '[]')$$, '22023', NULL, 'an empty consumer group is 22023');
SELECT throws_ok($$SELECT * FROM inventory_consume_batch('g', '[]')$$, '22023', NULL, 'an empty batch is 22023');
SELECT throws_ok($$SELECT * FROM inventory_consume_batch('g', '{}')$$, '22023', NULL, 'a batch that is no array is 22023');
SELECT throws_ok($$SELECT * FROM inventory_consume_batch('g', '[{"topic":"t","partition":0,"offset":1}]')$$, '22023', NULL,
                 'a message without identity and content is 22023');
SELECT throws_ok(format('SELECT * FROM inventory_consume_batch(%L, %L)', 'g',
                        jsonb_build_array(jsonb_build_object('topic', 't', 'partition', 0, 'offset', 1,
                                                             'identity', repeat('x', 1001), 'content', 'c'))),
                 '22023', NULL, 'an identity longer than 1000 characters is 22023 (it is an index key)');
SELECT throws_ok($$SELECT * FROM inventory_consume_batch('g', '[{"topic":"t","partition":0,"offset":1,"identity":"i","content":"c","action":"confirm"}]')$$,
                 '22023', NULL, 'an order event without order_id is 22023');
SELECT throws_ok($$SELECT * FROM inventory_consume_batch('g', '[{"topic":"t","partition":0,"offset":1,"identity":"i","content":"c"}]', '0 seconds')$$,
                 '22023', NULL, 'park_for of zero is 22023');
SELECT throws_ok($$SELECT * FROM inventory_sweep_parked_events(0)$$, '22023', NULL, 'expire max_rows 0 is 22023');
SELECT throws_ok($$SELECT inventory_forget_consumed_messages('-1 day')$$, '22023', NULL, 'a negative retention is 22023');
SELECT throws_ok($$SELECT * FROM inventory_dead_letters_claim(0)$$, '22023', NULL, 'claim max_rows 0 is 22023');
SELECT throws_ok($$SELECT * FROM inventory_outbox_fetch_after(1, 0)$$, '22023', NULL, 'fetch_after max_rows 0 is 22023');
SELECT throws_ok($$SELECT * FROM inventory_redrive_dead_letter(NULL)$$, '22023', NULL, 'a NULL dead letter id is 22023');

SET LOCAL ROLE inventory_writer;
SELECT is((SELECT outcome FROM inventory_consume_batch('tap-10-g', '[{"topic":"order.created","partition":9,"offset":0,
             "identity":"order:tap-10-w1:C","content":"w1","action":"reserve","order_id":"tap-10-w1",
             "lines":[{"product_id":"tap-10-a","quantity":1}]}]')), 'applied', 'a writer consumes batches');
SELECT lives_ok($$SELECT * FROM inventory_dead_letters_claim(1, '1 second')$$, 'a writer publishes dead letters');
SELECT throws_ok($$SELECT * FROM inventory_redrive_dead_letter(1)$$, '42501', NULL, 'a writer cannot re-drive');
SELECT throws_ok($$SELECT inventory.kafka_apply_parked('x')$$, '42501', NULL, 'nobody may call the internal helpers');
RESET ROLE;
SET LOCAL ROLE inventory_reader;
SELECT throws_ok($$SELECT * FROM inventory_consume_batch('g', '[{"topic":"t","partition":0,"offset":1,"identity":"i","content":"c"}]')$$,
                 '42501', NULL, 'a reader cannot consume');
SELECT lives_ok($$SELECT count(*) FROM inventory.parked_events, inventory.consumed_messages$$,
                'a reader can read parked events and consumed messages');
RESET ROLE;
SET LOCAL ROLE inventory_admin;
SELECT throws_ok($$SELECT * FROM inventory_redrive_dead_letter(-1)$$, 'IN003', NULL, 'an admin may re-drive');
RESET ROLE;
SET LOCAL ROLE inventory_relay;
SELECT lives_ok($$SELECT count(*) FROM inventory_outbox_fetch_after(NULL, 1)$$, 'the relay may fetch after a position');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
