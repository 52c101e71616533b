-- 000003_requests: requests for assistance, their comments, the audit
-- trail (append-only, hash-chained per request), idempotency keys, and
-- the workflow's allowed status changes.

-- The reference counter: requests of an operation are numbered 1, 2, …
-- under the operation row's lock, so numbers have no gaps or duplicates.
ALTER TABLE operations ADD COLUMN last_request_number integer NOT NULL DEFAULT 0 CHECK (last_request_number >= 0);

-- The workflow's (from, to) pairs. cmcoord writes this table from the
-- domain's one transition table (store.SyncWorkflow) at every start and
-- migration; the trigger below refuses any other status change, even
-- from raw SQL.
CREATE TABLE request_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);

CREATE TABLE requests (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_id       bigint      NOT NULL REFERENCES operations (id),
    number             integer     NOT NULL CHECK (number > 0),
    reference          text        NOT NULL CHECK (reference ~ '^[A-Z]{3}-RFA-[0-9]{4,}$'),
    status             text        NOT NULL DEFAULT 'draft',
    version            integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    title              text        NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 120),
    requesting_org_id  bigint      NOT NULL REFERENCES organizations (id),
    created_by         bigint      NOT NULL REFERENCES users (id),
    sectors            text[]      NOT NULL DEFAULT '{}',
    need               text        NOT NULL DEFAULT '' CHECK (length(need) <= 4000),
    people_targeted    integer     NOT NULL DEFAULT 0 CHECK (people_targeted BETWEEN 0 AND 100000000),
    task_category      text        NOT NULL DEFAULT '',
    capability         text        NOT NULL DEFAULT '' CHECK (length(capability) <= 4000),
    support_type       text        NOT NULL DEFAULT '' CHECK (support_type IN ('', 'direct', 'indirect', 'infrastructure')),
    task_description   text        NOT NULL DEFAULT '' CHECK (length(task_description) <= 4000),
    origin             jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(origin) = 'object'),
    destination        jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(destination) = 'object'),
    required_by        timestamptz,
    start_date         date,
    end_date           date,
    priority           text        NOT NULL DEFAULT '' CHECK (priority IN ('', 'lifesaving', 'life_sustaining', 'high', 'normal')),
    urgency_reason     text        NOT NULL DEFAULT '' CHECK (length(urgency_reason) <= 2000),
    civilian_options   jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(civilian_options) = 'array'),
    complementarity    text        NOT NULL DEFAULT '' CHECK (length(complementarity) <= 4000),
    exit_strategy      jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(exit_strategy) = 'object'),
    poc                jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(poc) = 'object'),
    checklist          jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(checklist) = 'object'),
    escort             jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(escort) = 'object'),
    status_reason      text        NOT NULL DEFAULT '' CHECK (length(status_reason) <= 2000),
    civilian_reference text        NOT NULL DEFAULT '' CHECK (length(civilian_reference) <= 200),
    submitted_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    -- Search over reference, title and need, in any language ('simple'
    -- configuration: no stemming, so Arabic and French match as typed).
    search             tsvector    GENERATED ALWAYS AS (
                           to_tsvector('simple', reference || ' ' || title || ' ' || need)) STORED,
    CONSTRAINT requests_number_key UNIQUE (operation_id, number),
    CONSTRAINT requests_reference_key UNIQUE (operation_id, reference),
    CONSTRAINT requests_dates_check CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
    CONSTRAINT requests_submitted_check CHECK (status = 'draft' OR submitted_at IS NOT NULL)
);
-- The list: per operation, newest activity first, with keyset pagination.
CREATE INDEX requests_operation_updated_idx ON requests (operation_id, updated_at DESC, id DESC);
-- Queues and status filters (screening: submitted, most urgent and oldest first).
CREATE INDEX requests_operation_status_idx ON requests (operation_id, status, submitted_at);
CREATE INDEX requests_org_status_idx ON requests (requesting_org_id, status);
CREATE INDEX requests_sectors_idx ON requests USING gin (sectors);
CREATE INDEX requests_search_idx ON requests USING gin (search);

-- A status change must be one of the workflow's; a new request starts as
-- a draft.
CREATE FUNCTION requests_check_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'draft' THEN
            RAISE EXCEPTION 'a request starts as a draft, not %', NEW.status
                USING ERRCODE = 'check_violation', CONSTRAINT = 'requests_status_transition';
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM request_transitions WHERE from_status = OLD.status AND to_status = NEW.status) THEN
        RAISE EXCEPTION 'no transition from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'requests_status_transition';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER requests_check_status BEFORE INSERT OR UPDATE OF status ON requests
    FOR EACH ROW EXECUTE FUNCTION requests_check_status();

CREATE TABLE comments (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id bigint      NOT NULL REFERENCES requests (id),
    author_id  bigint      NOT NULL REFERENCES users (id),
    body       text        NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 4000),
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at  timestamptz
);
CREATE INDEX comments_request_idx ON comments (request_id, id);

-- The audit trail. Each request's events are numbered 1, 2, … (seq) and
-- chained: hash = SHA-256(canonical content, prev_hash), computed by
-- cmcoord (domain.Event.ComputeHash) and checked by `cmcoord audit verify`.
-- payload is stored as the exact canonical JSON text that was hashed.
CREATE TABLE events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id bigint      NOT NULL REFERENCES requests (id),
    seq        integer     NOT NULL CHECK (seq >= 1),
    actor_id   bigint      REFERENCES users (id),
    action     text        NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    payload    text        NOT NULL CHECK (payload::jsonb IS NOT NULL),
    at         timestamptz NOT NULL,
    prev_hash  bytea       CHECK (prev_hash IS NULL OR length(prev_hash) = 32),
    hash       bytea       NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT events_seq_key UNIQUE (request_id, seq),
    CONSTRAINT events_chain_check CHECK ((seq = 1) = (prev_hash IS NULL))
);

-- Events and comments are never removed, and events never change.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the record is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER comments_no_delete BEFORE DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER comments_no_truncate BEFORE TRUNCATE ON comments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
-- Requests are withdrawn, never deleted: their events point at them.
CREATE TRIGGER requests_no_delete BEFORE DELETE ON requests
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Idempotent creation: the first request a user created with a key.
CREATE TABLE idempotency_keys (
    user_id    bigint      NOT NULL REFERENCES users (id),
    key        text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_id bigint      NOT NULL REFERENCES requests (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
