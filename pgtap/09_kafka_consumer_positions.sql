-- 09_kafka_consumer_positions.sql: exactly-once support for Kafka consumers (version 1.1):
-- inventory_claim_message, inventory_consumer_offsets and inventory_dead_letter. A position is
-- claimed once; a repeat or an older offset is refused; a dead letter claims its position and keeps
-- the reason; a claim rolled back with its transaction can be made again; bad arguments raise 22023.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(16);

SELECT ok(inventory_claim_message('tap-09-g', 'order.created', 0, 10), 'the first claim of an offset succeeds');
SELECT ok(NOT inventory_claim_message('tap-09-g', 'order.created', 0, 10), 'a repeated offset is refused');
SELECT ok(NOT inventory_claim_message('tap-09-g', 'order.created', 0, 3), 'an older offset is refused');
SELECT ok(inventory_claim_message('tap-09-g', 'order.created', 0, 11), 'the next offset is claimed');
SELECT ok(inventory_claim_message('tap-09-g', 'order.created', 1, 11), 'partitions are independent');
SELECT ok(inventory_claim_message('tap-09-other', 'order.created', 0, 10), 'consumer groups are independent');
SELECT results_eq(
    $$SELECT topic, kafka_partition, next_offset FROM inventory_consumer_offsets('tap-09-g')$$,
    $$VALUES ('order.created'::text, 0, 12::bigint), ('order.created'::text, 1, 12::bigint)$$,
    'inventory_consumer_offsets gives the next offset per partition');

SAVEPOINT before_effect;
SELECT ok(inventory_claim_message('tap-09-g', 'order.cancelled', 0, 0), 'a claim inside a transaction');
ROLLBACK TO SAVEPOINT before_effect;
SELECT ok(inventory_claim_message('tap-09-g', 'order.cancelled', 0, 0),
          'a claim rolled back with its effect can be made again');

SELECT ok(inventory_dead_letter('tap-09-g', 'order.created', 2, 5, 'key-1', '{not json', 'malformed JSON', '22P02'),
          'a dead letter is recorded');
SELECT results_eq(
    $$SELECT kafka_offset, message_key, payload, reason, error_code FROM inventory.dead_letters
       WHERE consumer_group = 'tap-09-g'$$,
    $$VALUES (5::bigint, 'key-1'::text, '{not json'::text, 'malformed JSON'::text, '22P02'::text)$$,
    'the dead letter keeps the position, key, payload, reason and code');
SELECT ok(NOT inventory_claim_message('tap-09-g', 'order.created', 2, 5), 'a dead letter claims its position');
SELECT ok(NOT inventory_dead_letter('tap-09-g', 'order.created', 2, 5, 'key-1', '{not json', 'malformed JSON'),
          'a repeated dead letter is refused');
SELECT is((SELECT count(*) FROM inventory.dead_letters WHERE consumer_group = 'tap-09-g'), 1::bigint,
          'and writes no second row');

SELECT throws_ok($$SELECT inventory_claim_message('tap-09-g', 'order.created', -1, 0)$$, '22023', NULL,
                 'a negative partition is refused with 22023');
SELECT throws_ok($$SELECT inventory_dead_letter('tap-09-g', 'order.created', 0, 99, NULL, NULL, '')$$, '22023', NULL,
                 'a dead letter without a reason is refused with 22023');

SELECT * FROM finish();
ROLLBACK;
