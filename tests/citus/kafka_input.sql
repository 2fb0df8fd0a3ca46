-- tests/citus/kafka_input.sql: one batch of order events through inventory_consume_batch (a payment
-- before its order, an order short of stock, a cancel before its order), run on the coordinator and
-- on one PostgreSQL by tests/citus/run.sh, which compares the outcomes and the end state.
SELECT string_agg(outcome || coalesce('/' || error_code, ''), ' ' ORDER BY message_index)
  FROM inventory_consume_batch('citus-g', (
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'topic', t, 'partition', 0, 'offset', o, 'key', oid, 'payload', format('{"orderId":"%s"}', oid),
               'identity', format('order:%s:%s', oid, a), 'content', format('%s|%s|%s', a, oid, q),
               'action', a, 'order_id', oid,
               'lines', CASE WHEN a = 'reserve' THEN jsonb_build_array(jsonb_build_object('product_id', 'kafka-p', 'quantity', q)) END))
             ORDER BY o)
      FROM (VALUES ('order.created', 1, 'k-o1', 'reserve', 2), ('order.paid', 2, 'k-o1', 'confirm', 0),
                   ('order.paid', 3, 'k-o2', 'confirm', 0), ('order.created', 4, 'k-o2', 'reserve', 1),
                   ('order.created', 5, 'k-o3', 'reserve', 100), ('order.cancelled', 6, 'k-o4', 'release', 0),
                   ('order.created', 7, 'k-o4', 'reserve', 1)) v(t, o, oid, a, q)));
