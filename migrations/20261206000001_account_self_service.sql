-- Account self-service: verified email addresses, single-use tokens sent by mail (email
-- verification, password reset, email change), the mail outbox, deleted (anonymised)
-- accounts and an audit trail of every step.

-- Accounts made before verification existed keep working: their addresses count as verified.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
UPDATE users SET email_verified_at = created_at;
-- A deleted account keeps its row (orders, reviews and messages point at it) with the
-- personal data replaced (api/src/accounts/self_service.rs).
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMPTZ;

CREATE TYPE account_token_purpose AS ENUM ('VERIFY_EMAIL', 'RESET_PASSWORD', 'CHANGE_EMAIL');

-- Only the SHA-256 of a token is stored: the token itself lives in the mail alone.
CREATE TABLE account_tokens (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose        account_token_purpose NOT NULL,
    token_hash     BYTEA NOT NULL,
    -- The address the token was sent to: the new one for CHANGE_EMAIL. A verification
    -- token for an address the user no longer has verifies nothing.
    email          TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    used_at        TIMESTAMPTZ,
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX account_tokens_hash_key ON account_tokens (token_hash);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- Mail is written here in the transaction of the change it tells of, and sent by
-- api/src/mail.rs. A sent mail's body (which may hold a live link) is wiped.
CREATE TABLE mail_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,
    user_id         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_user_idx ON mail_outbox (user_id);

-- Every self-service step (what, who, from where), for support and for the law's right of
-- access. No names or addresses: a deleted account leaves its id and history, nothing personal.
CREATE TABLE account_audit (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action         TEXT NOT NULL,
    client_ip      INET,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX account_audit_user_idx ON account_audit (user_id, created_at);
