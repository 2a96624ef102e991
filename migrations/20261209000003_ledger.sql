-- What each paid order earned, for sellers and the marketplace: an append-only ledger in the
-- order's currency. A store may have its own commission; otherwise the server's default
-- (`--marketplace-commission-percent`) applies.
ALTER TABLE stores ADD COLUMN commission_percent NUMERIC(5, 2)
    CHECK (commission_percent BETWEEN 0 AND 100);

CREATE TABLE ledger_entries (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id       BIGINT NOT NULL REFERENCES orders (id),
    store_id       BIGINT NOT NULL REFERENCES stores (id),
    -- SALE when the order is paid; REFUND, its negation, when the payment went back. A
    -- refund adds an entry, never edits the sale.
    kind           TEXT NOT NULL CHECK (kind IN ('SALE', 'REFUND')),
    gross          NUMERIC(14, 2) NOT NULL,
    commission     NUMERIC(14, 2) NOT NULL,
    net            NUMERIC(14, 2) NOT NULL CHECK (net = gross - commission),
    currency_code  CHAR(3) NOT NULL,
    recorded_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind)
);
CREATE INDEX ledger_entries_store_idx ON ledger_entries (store_id, recorded_at);

-- Append-only: an entry is never changed or removed.
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only';
END;
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
