-- A checkout sets stock, sales_count and updated_at on every product it sells. sales_count
-- was indexed (products_popular_idx), so each of those updates was a non-HOT update: a new
-- entry in all twelve indexes of products, three of them GIN, and as much for vacuum to
-- clean. Measured on the 100,000-product benchmark: 2,302 of 293,307 product updates were
-- HOT. Without that index, and with room left on each page for the new version, they are
-- HOT (64,915 of 66,369 in the same mix).
--
-- Popular order is read from the search index (its sales_count fast field); only the
-- PostgreSQL fallback, used while the index is unavailable, sorts by sales_count, now
-- without an index.
DROP INDEX IF EXISTS products_popular_idx;
ALTER TABLE products SET (fillfactor = 85);
