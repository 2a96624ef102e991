-- Each product's uploaded images are kept between requests beside its row and its newest
-- reviews (api/src/runtime/row_cache.rs, kind `images`): a listing that shows images then
-- costs no statement for them. Every change that alters what `Product.images` or
-- `ProductVariant.images` shows names the product on `textisur_rows`, as reviews do:
--   'images 12,40'   the images of products 12 and 40 changed
--   'images *'       more than 200 products at once: forget every product's images
-- The changes: an image added, edited, reordered or deleted (`product_images`), a variant
-- linked or unlinked (`variant_images`), and a file made ready or failed by the worker
-- (`media_files`: every product showing that file).

CREATE FUNCTION notify_image_lists(products BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(products) > 200 THEN
        PERFORM pg_notify('textisur_rows', 'images *');
    ELSIF cardinality(products) > 0 THEN
        PERFORM pg_notify('textisur_rows', 'images ' || array_to_string(products, ','));
    END IF;
END
$$;

CREATE FUNCTION notify_product_images() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_image_lists(ARRAY(SELECT DISTINCT product_id FROM changed_rows));
    RETURN NULL;
END
$$;

CREATE TRIGGER product_images_row_cache_insert AFTER INSERT ON product_images
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_product_images();
CREATE TRIGGER product_images_row_cache_update AFTER UPDATE ON product_images
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_product_images();
CREATE TRIGGER product_images_row_cache_delete AFTER DELETE ON product_images
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_product_images();

-- A link names its product through its variant (an image's own row may be going away in the
-- same cascade; its product is then named by the image's own trigger).
CREATE FUNCTION notify_variant_images() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_image_lists(ARRAY(
        SELECT v.product_id FROM product_variants v WHERE v.id IN (SELECT variant_id FROM changed_rows)
        UNION
        SELECT i.product_id FROM product_images i WHERE i.id IN (SELECT image_id FROM changed_rows)));
    RETURN NULL;
END
$$;

CREATE TRIGGER variant_images_row_cache_insert AFTER INSERT ON variant_images
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_variant_images();
CREATE TRIGGER variant_images_row_cache_delete AFTER DELETE ON variant_images
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_variant_images();

-- A file's state, size or attempts changed: every product that shows it.
CREATE FUNCTION notify_media_files() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM notify_image_lists(ARRAY(
        SELECT DISTINCT i.product_id FROM product_images i
        WHERE i.file_hash IN (SELECT hash FROM changed_rows)));
    RETURN NULL;
END
$$;

CREATE TRIGGER media_files_row_cache_update AFTER UPDATE ON media_files
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION notify_media_files();
