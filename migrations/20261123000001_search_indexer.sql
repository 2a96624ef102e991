-- The search indexer: wake it on every queued change, and record what each index generation
-- has applied so the outbox can be trimmed.

-- Same as before plus a notification. NOTIFY is delivered at commit, and identical
-- notifications of one transaction fold into one, so a bulk upsert wakes the indexer once.
CREATE OR REPLACE FUNCTION enqueue_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_outbox (entity, entity_id)
    VALUES (TG_ARGV[0], CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    PERFORM pg_notify('search_outbox', '');
    RETURN NULL;
END
$$;

-- Acknowledgements: one row per index generation (the live one and any being built). Outbox
-- rows at or below the smallest checkpoint are applied everywhere and get deleted. The index
-- itself holds the authoritative checkpoint (in its commit payload); this table only says
-- what may be forgotten.
CREATE TABLE search_index_consumers (
    generation       TEXT PRIMARY KEY,
    checkpoint_txid  xid8 NOT NULL,
    checkpoint_seq   BIGINT NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
