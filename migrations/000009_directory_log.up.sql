-- 000009_directory_log: the directory log, a tamper-evident record of
-- every role grant and removal and every administrator's edit of an
-- organisation, a user or an operation (issue #13, point 4). One chain
-- over the whole log, built as each request's events are: seq 1, 2, …,
-- hash = SHA-256(canonical content, prev_hash), computed by cmcoord
-- (domain.DirectoryEvent.ComputeHash) and checked by `cmcoord audit
-- verify`. Appends serialise on a transaction-level advisory lock taken
-- by the store, so the chain never forks; seq's uniqueness is the last
-- line of defence.
CREATE TABLE directory_events (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq          bigint      NOT NULL CHECK (seq >= 1),
    actor_id     bigint      REFERENCES users (id),
    action       text        NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    target_type  text        NOT NULL CHECK (target_type IN ('organization', 'user', 'operation')),
    target_id    bigint      NOT NULL,
    operation_id bigint      REFERENCES operations (id),
    payload      text        NOT NULL CHECK (payload::jsonb IS NOT NULL),
    at           timestamptz NOT NULL,
    prev_hash    bytea       CHECK (prev_hash IS NULL OR length(prev_hash) = 32),
    hash         bytea       NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT directory_events_seq_key UNIQUE (seq),
    CONSTRAINT directory_events_chain_check CHECK ((seq = 1) = (prev_hash IS NULL))
);

-- Append-only, as the request events (refuse_change is from 000003).
CREATE TRIGGER directory_events_append_only BEFORE UPDATE OR DELETE ON directory_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER directory_events_no_truncate BEFORE TRUNCATE ON directory_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
