-- 000019_second_factor: TOTP second factor (RFC 6238) with recovery codes
-- (issue 15, point 3), and the operations' policy of requiring it of their
-- CMCoord officers and Humanitarian Coordinator. Administrators always
-- need one (domain.NeedsSecondFactor).

-- One TOTP factor per user. confirmed_at is NULL while enrolment is
-- pending (the secret shown, no code typed yet); the secret of a
-- confirmed factor is never shown again. last_used_step is the RFC 6238
-- time step of the last code accepted: a code of that step or an earlier
-- one is refused (no replay). Wrong codes are limited by the generic
-- limiter (domain.LimitSecondFactor, table rate_events).
CREATE TABLE user_factors (
    user_id        bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- The shared secret, base32 (RFC 4648, no padding), 160 bits.
    secret         text        NOT NULL CHECK (secret ~ '^[A-Z2-7]{32}$'),
    created_at     timestamptz NOT NULL,
    confirmed_at   timestamptz CHECK (confirmed_at IS NULL OR confirmed_at >= created_at),
    last_used_step bigint      NOT NULL DEFAULT 0 CHECK (last_used_step >= 0)
);

-- Ten single-use recovery codes per confirmed factor, by the SHA-256 of
-- the normalised code (80 random bits each: a fast hash is enough).
CREATE TABLE recovery_codes (
    user_id    bigint      NOT NULL REFERENCES user_factors (user_id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL CHECK (length(code_hash) = 32),
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Per operation: require a second factor of its CMCoord officers and HC.
ALTER TABLE operations ADD COLUMN require_second_factor boolean NOT NULL DEFAULT false;
