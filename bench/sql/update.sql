-- update.sql: pgbench script for the floor of the benchmark, a bare single-row UPDATE of a stock
-- row (no ledger, outbox or reservation). -D products=N picks among products 1..N (1 = hot).
\set product random(1, :products)
UPDATE inventory.stock SET reserved = reserved + 1 WHERE product_id = :product AND warehouse = 'main';
