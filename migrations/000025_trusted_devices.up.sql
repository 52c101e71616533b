-- 000025_trusted_devices: browsers an account has fully signed in on
-- (issue 15, lockout abuse; OWASP "device cookies"). Failed sign-ins from
-- such a browser count in the browser's own bucket, not the account's, so
-- a stranger who knows an e-mail address and fails five times cannot lock
-- its owner out of the browser they always use. A device proves nothing
-- by itself: the password (and second factor) are still asked.
CREATE TABLE trusted_devices (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);
CREATE INDEX trusted_devices_user_idx ON trusted_devices (user_id);
CREATE INDEX trusted_devices_expiry_idx ON trusted_devices (expires_at);
