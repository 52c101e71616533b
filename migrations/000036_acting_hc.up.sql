-- 000036_acting_hc: the HC (or an administrator) names an acting HC for a
-- period (issue 19, point 6). During [starts_at, ends_at), unless ended
-- early (ended_at), the named member holds the HC role of the operation
-- as acting HC. The grant is derived in one place, memberships_at(at):
-- every read of who holds which role (an actor's memberships, the
-- members holding a role) goes through it, so the period begins and
-- ends by itself, at the time the caller reads at.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE acting_hc (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_id bigint      NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    user_id      bigint      NOT NULL REFERENCES users (id),
    named_by     bigint      NOT NULL REFERENCES users (id),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    reason       text        NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    created_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    ended_by     bigint      REFERENCES users (id),
    CONSTRAINT acting_hc_period_check CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '30 days'),
    CONSTRAINT acting_hc_ended_check CHECK ((ended_at IS NULL) = (ended_by IS NULL)),
    -- At most one acting HC at a time per operation. A period ended early
    -- covers only up to its end (nothing when ended before it began).
    CONSTRAINT acting_hc_overlap EXCLUDE USING gist (operation_id WITH =,
        tstzrange(starts_at, GREATEST(starts_at, LEAST(ends_at, ended_at))) WITH &&)
);
CREATE INDEX acting_hc_user_idx ON acting_hc (user_id);

-- A decision taken by an acting HC names the period it was taken under.
ALTER TABLE decisions ADD COLUMN acting_hc_id bigint REFERENCES acting_hc (id);

-- memberships_at is the memberships as they stand at time at: each
-- member's roles, with 'hc' added while an acting period of theirs runs
-- (acting_hc_id names it; NULL when none runs or they are HC already),
-- and pending, true while such a period is running or still to come (the
-- roles then depend on the time: the in-process cache keeps no copy).
CREATE FUNCTION memberships_at(at timestamptz)
RETURNS TABLE (operation_id bigint, user_id bigint, roles text[], acting_hc_id bigint, pending boolean)
LANGUAGE sql STABLE AS $$
    SELECT m.operation_id, m.user_id,
           CASE WHEN a.id IS NULL THEN m.roles ELSE m.roles || 'hc'::text END,
           a.id,
           EXISTS (SELECT 1 FROM acting_hc p WHERE p.operation_id = m.operation_id AND p.user_id = m.user_id
                     AND at < LEAST(p.ends_at, p.ended_at))
    FROM memberships m
    LEFT JOIN acting_hc a ON a.operation_id = m.operation_id AND a.user_id = m.user_id
         AND NOT ('hc' = ANY (m.roles))
         AND a.starts_at <= at AND at < LEAST(a.ends_at, a.ended_at)
$$;

CREATE TRIGGER cache_forget AFTER INSERT OR UPDATE OR DELETE ON acting_hc
    FOR EACH ROW EXECUTE FUNCTION cache_forget_user();
