-- Where orders go and what delivery costs: buyers' addresses, each store's shipping
-- options, and what an order keeps of both (a copy of the address and the price of the
-- option chosen, so later edits or deletions never change a past order).

CREATE TABLE addresses (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    country_code  CHAR(2) NOT NULL CHECK (country_code IN ('AR', 'CL', 'UY', 'PY', 'PE')),
    recipient     TEXT NOT NULL CHECK (length(recipient) BETWEEN 1 AND 120),
    -- E.164 (checked per country by the API).
    phone         TEXT NOT NULL CHECK (phone ~ '^\+[0-9]{8,15}$'),
    region        TEXT NOT NULL CHECK (length(region) BETWEEN 1 AND 80),
    city          TEXT NOT NULL CHECK (length(city) BETWEEN 1 AND 80),
    postal_code   TEXT CHECK (postal_code ~ '^[A-Z0-9]{4,8}$'),
    street        TEXT NOT NULL CHECK (length(street) BETWEEN 1 AND 120),
    number        TEXT NOT NULL CHECK (length(number) BETWEEN 1 AND 12),
    apartment     TEXT CHECK (length(apartment) BETWEEN 1 AND 40),
    notes         TEXT CHECK (length(notes) BETWEEN 1 AND 300),
    is_default    BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_idx ON addresses (user_id, id);
CREATE UNIQUE INDEX addresses_one_default_idx ON addresses (user_id) WHERE is_default;

CREATE TABLE shipping_options (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id      BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('PICKUP', 'LOCAL_DELIVERY', 'COURIER')),
    name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    -- In the store's currency. A courier may add a price per kilogram of the order.
    price         NUMERIC(12, 2) NOT NULL CHECK (price >= 0),
    price_per_kg  NUMERIC(12, 2) CHECK (price_per_kg > 0),
    -- LOCAL_DELIVERY: the regions it reaches (at least one). COURIER: empty for the whole
    -- country, else those regions.
    regions       TEXT[] NOT NULL DEFAULT '{}' CHECK (cardinality(regions) <= 30),
    pickup_address TEXT CHECK (length(pickup_address) BETWEEN 1 AND 200),
    pickup_hours  TEXT CHECK (length(pickup_hours) BETWEEN 1 AND 200),
    min_days      INT NOT NULL CHECK (min_days BETWEEN 0 AND 90),
    max_days      INT NOT NULL CHECK (max_days BETWEEN min_days AND 90),
    active        BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (kind <> 'PICKUP' OR (pickup_address IS NOT NULL AND price = 0
                                AND price_per_kg IS NULL AND cardinality(regions) = 0)),
    CHECK (kind <> 'LOCAL_DELIVERY' OR (cardinality(regions) >= 1 AND price_per_kg IS NULL))
);
CREATE INDEX shipping_options_store_idx ON shipping_options (store_id, id);

-- The weight of one unit (a piece, a metre, a kilogram of yarn: 1000), for couriers that
-- charge by weight; unknown weights weigh nothing.
ALTER TABLE products ADD COLUMN weight_grams INT CHECK (weight_grams BETWEEN 1 AND 1000000);

ALTER TABLE orders
    ADD COLUMN subtotal NUMERIC(14, 2) CHECK (subtotal >= 0),
    ADD COLUMN shipping_price NUMERIC(12, 2) NOT NULL DEFAULT 0 CHECK (shipping_price >= 0),
    ADD COLUMN shipping_option_id BIGINT REFERENCES shipping_options (id) ON DELETE SET NULL,
    ADD COLUMN shipping_kind TEXT CHECK (shipping_kind IN ('PICKUP', 'LOCAL_DELIVERY', 'COURIER')),
    ADD COLUMN shipping_name TEXT,
    ADD COLUMN shipping_max_days INT,
    -- A copy of the address (or of the pickup point) as it was at checkout.
    ADD COLUMN delivery_address JSONB,
    -- The value-added tax the total includes (prices in these countries include it).
    ADD COLUMN tax_included NUMERIC(14, 2) CHECK (tax_included >= 0);

-- Orders so far had no shipping: their lines are their total.
UPDATE orders SET subtotal = total WHERE subtotal IS NULL;
