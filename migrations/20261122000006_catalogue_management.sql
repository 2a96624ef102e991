-- Sellers' catalogue management: store allowances and the search outbox.

-- How many stores a user may run; admins raise it.
ALTER TABLE users ADD COLUMN store_allowance INT NOT NULL DEFAULT 1 CHECK (store_allowance >= 0);

-- Every change to a row that feeds a search document is queued here by a trigger, in the
-- writing transaction itself, so the index can never miss a committed change. The indexer
-- (search issue) reads it in commit order using the transaction id.
CREATE TABLE search_outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity      TEXT NOT NULL CHECK (entity IN ('product', 'store', 'category')),
    entity_id   BIGINT NOT NULL,
    txid        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    queued_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX search_outbox_txid_idx ON search_outbox (txid, id);

CREATE FUNCTION enqueue_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_outbox (entity, entity_id)
    VALUES (TG_ARGV[0], CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END
$$;

CREATE TRIGGER products_search_outbox AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION enqueue_search_document('product');
CREATE TRIGGER stores_search_outbox AFTER INSERT OR UPDATE OR DELETE ON stores
    FOR EACH ROW EXECUTE FUNCTION enqueue_search_document('store');
CREATE TRIGGER categories_search_outbox AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION enqueue_search_document('category');
