-- reserve_reference.sql: pgbench script calling the PL/pgSQL baseline bench_reference.reserve
-- (bench/reference_reserve.sql) with exactly the arguments reserve_c.sql gives inventory_reserve.
\set product random(1, :products)
\set order random(1, 9000000000000000000)
SELECT * FROM bench_reference.reserve(:order, :product, 1, 'main');
