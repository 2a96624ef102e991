-- Exchange rates of the five markets' currencies against the reference currency (USD), set
-- by admins with their source. Listings without a market compare prices converted with the
-- newest rate of each currency; every process keeps the rates in memory and reloads them
-- when told on `textisur_events` (and once a minute in case a notice was lost).
CREATE TABLE exchange_rates (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    currency_code  TEXT NOT NULL CHECK (currency_code IN ('ARS', 'CLP', 'UYU', 'PYG', 'PEN')),
    -- Units of the currency one US dollar buys.
    units_per_usd  NUMERIC(24, 8) NOT NULL CHECK (units_per_usd > 0 AND units_per_usd < 1000000000),
    source         TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    set_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    set_at         TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX exchange_rates_newest ON exchange_rates (currency_code, id DESC);

-- Starting rates, so every market converts before an admin sets one (approximate).
INSERT INTO exchange_rates (currency_code, units_per_usd, source) VALUES
    ('ARS', 1050, 'initial rate (approximate)'),
    ('CLP', 950, 'initial rate (approximate)'),
    ('UYU', 40, 'initial rate (approximate)'),
    ('PYG', 7300, 'initial rate (approximate)'),
    ('PEN', 3.75, 'initial rate (approximate)');

CREATE FUNCTION notify_exchange_rates() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('textisur_events', '{"type":"RatesChanged"}');
    RETURN NULL;
END
$$;

CREATE TRIGGER exchange_rates_changed AFTER INSERT OR UPDATE OR DELETE ON exchange_rates
    FOR EACH STATEMENT EXECUTE FUNCTION notify_exchange_rates();
