-- 000015_limits: one store for every rate limit (issue #15, points 1 and
-- 9). Each row is one counted event of one bucket (a limit's name and its
-- key: an account, an address, a user). cmcoord reserves a slot before
-- the work it guards, holding a transaction-level advisory lock on the
-- bucket while it counts and inserts (store.Reserve), so parallel
-- attempts cannot all see room; a successful sign-in gives its slot back.
-- The table replaces login_attempts, whose failures it counts the same
-- way; who signed in or failed to is in the security log (directory_events).
CREATE TABLE rate_events (
    id     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket text        NOT NULL CHECK (length(bucket) BETWEEN 1 AND 400),
    at     timestamptz NOT NULL
);
CREATE INDEX rate_events_bucket_at_idx ON rate_events (bucket, at);

DROP TABLE login_attempts;
