-- batch_templates.sql: the request templates bench/sql/reserve_batch.sql sends, 50 per batch size
-- and product set; '{o}' stands for the call's order id prefix. Part of make bench only.
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE bench.batch_templates (
    size     integer NOT NULL,
    hot      boolean NOT NULL,
    template integer NOT NULL,
    requests text    NOT NULL,
    PRIMARY KEY (size, hot, template)
);
-- The subquery refers to the outer row (template > 0), so random() picks new products per template.
INSERT INTO bench.batch_templates
SELECT size, hot, template,
       (SELECT jsonb_agg(jsonb_build_object(
                   'order_id', '{o}-' || n,
                   'lines', jsonb_build_array(jsonb_build_object(
                       'product_id', CASE WHEN hot THEN '1' ELSE (1 + floor(random() * :products))::int::text END,
                       'quantity', 1))))::text
          FROM generate_series(1, size) n WHERE template > 0)
  FROM unnest(ARRAY[1, 8, 32, 128]) size, unnest(ARRAY[true, false]) hot, generate_series(1, 50) template;
