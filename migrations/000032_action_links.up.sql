-- 000032_action_links: links in e-mails that act for their recipient
-- (issue 19): an HCT member's vote, the HC's decision. Each is bound to
-- one user, request, review and round, purpose, value and expiry: its
-- token carries an HMAC over all of them under the installation's
-- "action-links" secret (internal/actionlink), and the row is found by
-- the SHA-256 of the token's random part only, so a copy of this table
-- opens nothing and an edited row no longer matches its token. A link works once; using one spends its siblings (the same
-- user's other values for the same review and purpose).
CREATE TABLE action_links (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    secret_hash bytea       NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    user_id     bigint      NOT NULL REFERENCES users (id),
    request_id  bigint      NOT NULL REFERENCES requests (id),
    review_id   bigint      NOT NULL REFERENCES reviews (id),
    round       integer     NOT NULL CHECK (round >= 1),
    -- domain.LinkPurposes and domain.LinkValues.
    purpose     text        NOT NULL CHECK (purpose IN ('vote', 'decide')),
    value       text        NOT NULL CHECK (
        (purpose = 'vote' AND value IN ('support', 'support_with_conditions', 'object', 'abstain', 'recuse'))
        OR (purpose = 'decide' AND value IN ('approved', 'rejected'))),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
    used_at     timestamptz
);
CREATE INDEX action_links_siblings_idx ON action_links (review_id, user_id, purpose) WHERE used_at IS NULL;
-- Links expired for domain.ActionLinkKept are deleted by housekeeping.
CREATE INDEX action_links_expiry_idx ON action_links (expires_at);
