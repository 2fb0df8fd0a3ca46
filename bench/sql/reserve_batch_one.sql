-- reserve_batch_one.sql: pgbench script calling inventory_reserve_batch with one request of 1 unit
-- of one of products 1..N (-D products=N; 1 = hot) for a new order: exactly the arguments
-- reserve_c.sql gives inventory_reserve, written as the request JSON a caller would send.
\set product random(1, :products)
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve_batch(
    ('[{"order_id": "' || :order || '", "lines": [{"product_id": "' || :product || '", "quantity": 1}]}]')::jsonb);
