-- A user's global id carries this random id, never the row id, so users cannot be listed by
-- counting ids. Existing rows get one each; new rows get one by default.
ALTER TABLE users ADD COLUMN public_id UUID NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX users_public_id_key ON users (public_id);
