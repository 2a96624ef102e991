-- Payments through a provider (Mercado Pago's marketplace model): each store connects its
-- own provider account (the seller collects), and each order gets a payment preference
-- whose link the buyer pays; the provider's webhook, checked against its API, moves the
-- order to PAID.

-- A store's account at the provider, from the OAuth authorization the seller gave. The
-- access token is a secret: it is never returned by the API nor logged.
CREATE TABLE store_payment_accounts (
    store_id        BIGINT PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    provider        TEXT NOT NULL CHECK (provider IN ('MERCADOPAGO')),
    -- The provider's id of the seller's account (Mercado Pago's `user_id`, the collector).
    collector_id    TEXT NOT NULL,
    access_token    TEXT NOT NULL,
    refresh_token   TEXT,
    connected_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (provider, collector_id)
);

CREATE TYPE payment_status AS ENUM ('PENDING', 'APPROVED', 'REJECTED', 'REFUNDED', 'REFUND_PENDING');

-- One payment per order: the preference made at checkout, then the provider's payment once
-- a webhook named it.
CREATE TABLE payments (
    order_id        BIGINT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    provider        TEXT NOT NULL CHECK (provider IN ('MERCADOPAGO')),
    preference_id   TEXT NOT NULL,
    init_point      TEXT NOT NULL,
    -- The provider's payment, once one was approved (or refused) for the order.
    payment_id      TEXT,
    status          payment_status NOT NULL DEFAULT 'PENDING',
    amount          NUMERIC(14, 2) NOT NULL CHECK (amount >= 0),
    currency_code   CHAR(3) NOT NULL,
    -- The marketplace's fee on the payment, in its currency.
    marketplace_fee NUMERIC(14, 2) NOT NULL CHECK (marketplace_fee >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (provider, preference_id)
);
CREATE UNIQUE INDEX payments_provider_payment_idx ON payments (provider, payment_id)
    WHERE payment_id IS NOT NULL;
