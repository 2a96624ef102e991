-- The API keeps hot rows (products, stores, categories, users, and each product's newest
-- reviews) in each process between requests (api/src/row_cache.rs). Every change to one of those rows tells every process at
-- commit, on the channel `textisur_rows`, which rows to forget:
--   'product 12,40,41'   these ids changed or went away
--   'product *'          more than 200 rows changed in one statement: forget every product
--   'reviews 12'         the reviews of product 12 changed (also on insert: a new review
--                        changes the product's newest page)
-- Other inserts need no message: a row that did not exist was never kept.
--
-- Statement-level triggers with a transition table: one message per statement, so a bulk
-- upsert or the seeder's updates cost one NOTIFY, not one per row.
CREATE FUNCTION notify_row_cache() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT;
BEGIN
    SELECT CASE WHEN count(*) > 200 THEN '*' ELSE string_agg(id::text, ',') END
    INTO ids FROM old_rows;
    IF ids IS NOT NULL THEN
        PERFORM pg_notify('textisur_rows', TG_ARGV[0] || ' ' || ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_row_cache_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('product');
CREATE TRIGGER products_row_cache_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('product');
CREATE TRIGGER stores_row_cache_update AFTER UPDATE ON stores
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('store');
CREATE TRIGGER stores_row_cache_delete AFTER DELETE ON stores
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('store');
CREATE TRIGGER categories_row_cache_update AFTER UPDATE ON categories
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('category');
CREATE TRIGGER categories_row_cache_delete AFTER DELETE ON categories
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('category');
CREATE TRIGGER users_row_cache_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('user');
CREATE TRIGGER users_row_cache_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_row_cache('user');

-- Reviews are kept per product, so their messages name the product.
CREATE FUNCTION notify_review_pages() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids TEXT;
BEGIN
    SELECT CASE WHEN count(DISTINCT product_id) > 200 THEN '*'
                ELSE string_agg(DISTINCT product_id::text, ',') END
    INTO ids FROM changed_rows;
    IF ids IS NOT NULL THEN
        PERFORM pg_notify('textisur_rows', 'reviews ' || ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_row_cache_insert AFTER INSERT ON reviews
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_review_pages();
CREATE TRIGGER reviews_row_cache_update AFTER UPDATE ON reviews
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_review_pages();
CREATE TRIGGER reviews_row_cache_delete AFTER DELETE ON reviews
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_review_pages();
