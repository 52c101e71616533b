-- 000020_idempotency: one Idempotency-Key mechanism for every state-changing
-- route (issue 16, point 3), replacing idempotency_keys, which only request
-- creation used.
--
-- A row binds (user, key) to the first outcome of a request. It is inserted
-- in the same transaction as the change it guards (with the change's first
-- audit event), so a change that committed is never run twice, even when
-- the process died before answering; the answer (status, headers, body) is
-- stored afterwards and replayed to a retry. A row without an answer is a
-- change whose answer was lost: the retry gets its truthful equivalent.
-- Rows expire after a day (service.IdempotencyTTL, housekeeping).
CREATE TABLE idempotency_records (
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    -- What the key was used for: method, path (with query) and a hash of
    -- the body without the key. '' for rows migrated from idempotency_keys,
    -- whose request was not recorded: any retry matches them.
    method       text        NOT NULL DEFAULT '',
    path         text        NOT NULL DEFAULT '',
    fingerprint  text        NOT NULL DEFAULT '',
    -- The request the change concerned (its first audit event's), when
    -- any: what a retry whose answer was lost is shown.
    request_id   bigint      REFERENCES requests (id),
    created_at   timestamptz NOT NULL,
    -- The stored answer; NULL status until the answer is known.
    status       integer     CHECK (status IS NULL OR status BETWEEN 100 AND 599),
    content_type text        NOT NULL DEFAULT '',
    location     text        NOT NULL DEFAULT '',
    body         bytea,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_records_created_at ON idempotency_records (created_at);

INSERT INTO idempotency_records (user_id, key, request_id, created_at)
SELECT user_id, key, request_id, created_at FROM idempotency_keys;

DROP TABLE idempotency_keys;
