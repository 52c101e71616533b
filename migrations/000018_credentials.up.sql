-- Issue 15 (2): an API token has a scope (read: safe methods only; full)
-- and an optional expiry. Tokens made before keep full scope and never
-- expire, as they were issued.
ALTER TABLE api_tokens
    ADD COLUMN scope      text        NOT NULL DEFAULT 'full' CHECK (scope IN ('read', 'full')),
    ADD COLUMN expires_at timestamptz CHECK (expires_at IS NULL OR expires_at > created_at);
ALTER TABLE api_tokens ALTER COLUMN scope DROP DEFAULT;
