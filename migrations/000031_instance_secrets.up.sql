-- 000031_instance_secrets: secrets of the whole installation, generated
-- once by the first instance that needs one (service.Access) and shared
-- by every instance. The first is "local-drafts": the key from which each
-- user's key for the copies and drafts their browser keeps (encrypted,
-- in IndexedDB) is derived, HMAC-SHA256(secret, "local-drafts:" || user
-- id). Kept apart from app_settings, which pages may show.
CREATE TABLE instance_secrets (
    name       text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,62}$'),
    secret     bytea       NOT NULL CHECK (length(secret) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
