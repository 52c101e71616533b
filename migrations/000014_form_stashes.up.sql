-- 000014_form_stashes: what was typed in a form whose session ended
-- before it was posted, kept for the same user to get back after signing
-- in again (issue 14, "no lost work").

-- Which user last signed in on a browser: a random marker in a cookie,
-- stored here only as its SHA-256. It binds a kept form to a user when the
-- session it was typed in is gone.
CREATE TABLE browser_markers (
    marker_hash bytea       PRIMARY KEY CHECK (length(marker_hash) = 32),
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX browser_markers_user_idx ON browser_markers (user_id);
CREATE INDEX browser_markers_expiry_idx ON browser_markers (expires_at);

-- A form posted after its session ended: the page it goes back to and the
-- body as posted (bounded), for its user only, once, until it expires.
-- One per user: a newer one replaces it.
CREATE TABLE form_stashes (
    id_hash    bytea       PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id    bigint      NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    path       text        NOT NULL CHECK (path LIKE '/%' AND length(path) <= 300),
    body       text        NOT NULL CHECK (octet_length(body) <= 262144),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX form_stashes_expiry_idx ON form_stashes (expires_at);
