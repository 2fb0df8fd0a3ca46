-- order_two.sql: pgbench script reserving 1 unit of two products for a new order: one of products
-- 1..N and one of N+1..2N (-D products=N), so on Citus the two are as often on different workers as
-- on the same one. The call names no single product: on Citus it runs on the coordinator.
\set first random(1, :products)
\set second random(:products + 1, 2 * :products)
\set order random(1, 9000000000000000000)
SELECT count(*) FROM inventory_reserve_order(:order, jsonb_build_array(
    jsonb_build_object('product_id', :first::text, 'quantity', 1, 'warehouse', 'main'),
    jsonb_build_object('product_id', :second::text, 'quantity', 1, 'warehouse', 'main')));
