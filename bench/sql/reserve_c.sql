-- reserve_c.sql: pgbench script calling the C inventory_reserve for 1 unit of one of products
-- 1..N (-D products=N; 1 = hot) with a new order id, so the idempotency check never short-cuts.
\set product random(1, :products)
\set order random(1, 9000000000000000000)
SELECT * FROM inventory_reserve(:order, :product, 1, 'main');
