-- reserve_batch.sql: pgbench script calling inventory_reserve_batch with -D size=N requests of 1
-- unit each, on one hot product (-D hot=1: product 1) or on random products (-D hot=0: any of the
-- products bench/run.sh stocks). The requests come from one of 50 JSON templates per size and
-- product set (bench.batch_templates), with a new order id prefix per call, so every request is a
-- new order and the JSON is parsed per call, as a caller's parameter would be.
\set template random(1, 50)
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve_batch(
    (SELECT replace(t.requests, '{o}', :order::text)::jsonb FROM bench.batch_templates t
      WHERE t.size = :size AND t.hot = (:hot = 1) AND t.template = :template));
