-- Variants, step 2 of 2 (contract): every cart and order line names its variant, and a
-- line is keyed by it, so one product can be in a cart or an order in two sizes.
ALTER TABLE cart_lines ALTER COLUMN variant_id SET NOT NULL;
ALTER TABLE cart_lines DROP CONSTRAINT cart_lines_pkey;
ALTER TABLE cart_lines ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX cart_lines_variant_key ON cart_lines (user_id, variant_id);
CREATE INDEX cart_lines_user_idx ON cart_lines (user_id, added_at, id);

ALTER TABLE order_lines ALTER COLUMN variant_id SET NOT NULL;
ALTER TABLE order_lines DROP CONSTRAINT order_lines_pkey;
ALTER TABLE order_lines ADD PRIMARY KEY (order_id, variant_id);
