-- 000035_reply_tokens: comment by replying to a notification e-mail.
-- Each e-mail about a request, sent while a reply domain is configured,
-- carries its own reply address reply+<token>@<reply domain>; the token
-- names one recipient and one request. Only its SHA-256 is kept, so a
-- copy of the database lends no one a way to post as a user; the token
-- also carries an HMAC under the instance secret "reply-tokens", so a
-- forged one is refused before any lookup (domain.CheckReplyToken).
CREATE TABLE reply_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_id   bigint      NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL CHECK (expires_at > created_at),
    used_count   integer     NOT NULL DEFAULT 0 CHECK (used_count >= 0),
    last_used_at timestamptz
);
CREATE INDEX reply_tokens_expires_at ON reply_tokens (expires_at);

-- The Reply-To of an outbox e-mail: '' for none.
ALTER TABLE outbox ADD COLUMN reply_to text NOT NULL DEFAULT '' CHECK (length(reply_to) <= 320);
