-- Whether a product ever had an image uploaded. Nearly every product of a listing has none,
-- and `Product.images` then needs no lookup of `product_images` (not even a kept one: a
-- listing over a cold part of the catalogue paid a statement per page for empty lists).
-- Set by the first upload, in the upload's transaction; left set when images are deleted
-- (a lookup then finds none, which is right, only slower). Changing it updates the product
-- row, whose own trigger tells every process to forget the kept row.
ALTER TABLE products ADD COLUMN images_uploaded BOOLEAN NOT NULL DEFAULT false;
UPDATE products SET images_uploaded = true
WHERE id IN (SELECT product_id FROM product_images);

CREATE FUNCTION mark_images_uploaded() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products SET images_uploaded = true
    WHERE id IN (SELECT DISTINCT product_id FROM new_rows) AND NOT images_uploaded;
    RETURN NULL;
END
$$;

CREATE TRIGGER product_images_mark_uploaded AFTER INSERT ON product_images
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION mark_images_uploaded();
