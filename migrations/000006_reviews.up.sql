-- 000006_reviews: HCT reviews with their frozen rules and voters, votes
-- and their full history, the HC's decisions, in-app notifications and
-- the e-mail outbox.

CREATE TABLE reviews (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id     bigint      NOT NULL REFERENCES requests (id),
    round          integer     NOT NULL CHECK (round >= 1),
    -- The operation's policy and the eligible organisations, copied when
    -- the review opens: a later change never alters a running review.
    quorum_percent integer     NOT NULL CHECK (quorum_percent BETWEEN 1 AND 100),
    pass_rule      text        NOT NULL CHECK (pass_rule IN ('consensus', 'majority')),
    sealed         boolean     NOT NULL,
    eligible       bigint[]    NOT NULL,
    recused        bigint[]    NOT NULL DEFAULT '{}',
    opened_by      bigint      NOT NULL REFERENCES users (id),
    opened_at      timestamptz NOT NULL,
    deadline       timestamptz NOT NULL,
    -- A re-opening after a failed quorum (allowed once per submission).
    reopening      boolean     NOT NULL DEFAULT false,
    reminded_at    timestamptz,
    closed_at      timestamptz,
    closed_by      bigint      REFERENCES users (id), -- NULL with closed_at: closed by the system
    -- 'closed' (tally frozen) or 'cancelled' (request returned during
    -- the review: its votes never carry over).
    outcome        text        CHECK (outcome IN ('closed', 'cancelled')),
    tally          jsonb,
    CONSTRAINT reviews_round_key UNIQUE (request_id, round),
    CONSTRAINT reviews_deadline_check CHECK (deadline > opened_at),
    CONSTRAINT reviews_closed_check CHECK ((closed_at IS NULL) = (outcome IS NULL)),
    CONSTRAINT reviews_tally_check CHECK (outcome IS DISTINCT FROM 'closed' OR tally IS NOT NULL)
);
-- At most one open review per request.
CREATE UNIQUE INDEX reviews_one_open_idx ON reviews (request_id) WHERE closed_at IS NULL;
-- The background job: open reviews by deadline.
CREATE INDEX reviews_due_idx ON reviews (deadline) WHERE closed_at IS NULL;

-- The current vote of each eligible organisation.
CREATE TABLE votes (
    review_id       bigint      NOT NULL REFERENCES reviews (id),
    organization_id bigint      NOT NULL REFERENCES organizations (id),
    value           text        NOT NULL CHECK (value IN ('support', 'support_with_conditions', 'object', 'abstain', 'recuse')),
    comment         text        NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    cast_by         bigint      NOT NULL REFERENCES users (id),
    cast_at         timestamptz NOT NULL,
    PRIMARY KEY (review_id, organization_id),
    CONSTRAINT votes_text_check CHECK (value NOT IN ('support_with_conditions', 'object') OR btrim(comment) <> '')
);

-- Every cast and change, in order; never changed or removed.
CREATE TABLE vote_history (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id       bigint      NOT NULL REFERENCES reviews (id),
    organization_id bigint      NOT NULL REFERENCES organizations (id),
    value           text        NOT NULL,
    comment         text        NOT NULL,
    cast_by         bigint      NOT NULL REFERENCES users (id),
    cast_at         timestamptz NOT NULL
);
CREATE INDEX vote_history_review_idx ON vote_history (review_id, id);
CREATE TRIGGER vote_history_append_only BEFORE UPDATE OR DELETE ON vote_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- A vote is refused once its review is closed, even from raw SQL; only
-- eligible organisations vote.
CREATE FUNCTION votes_check_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r reviews%ROWTYPE;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'votes are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO r FROM reviews WHERE id = NEW.review_id;
    IF r.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'review % is closed', NEW.review_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'votes_review_open';
    END IF;
    IF NOT NEW.organization_id = ANY (r.eligible) THEN
        RAISE EXCEPTION 'organisation % is not eligible in review %', NEW.organization_id, NEW.review_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'votes_eligible';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER votes_check_open BEFORE INSERT OR UPDATE OR DELETE ON votes
    FOR EACH ROW EXECUTE FUNCTION votes_check_open();

-- The Humanitarian Coordinator's decision: one per review.
CREATE TABLE decisions (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id  bigint      NOT NULL REFERENCES requests (id),
    review_id   bigint      NOT NULL REFERENCES reviews (id),
    outcome     text        NOT NULL CHECK (outcome IN ('approved', 'rejected')),
    rationale   text        NOT NULL CHECK (length(btrim(rationale)) BETWEEN 1 AND 4000),
    conditions  text        NOT NULL DEFAULT '' CHECK (length(conditions) <= 4000),
    decided_by  bigint      NOT NULL REFERENCES users (id),
    decided_at  timestamptz NOT NULL,
    CONSTRAINT decisions_review_key UNIQUE (review_id)
);
CREATE INDEX decisions_request_idx ON decisions (request_id);
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- In-app notifications, one row per recipient.
CREATE TABLE notifications (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    kind       text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    request_id bigint      REFERENCES requests (id),
    data       jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    created_at timestamptz NOT NULL,
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- E-mail to send, written in the same transaction as the change it tells
-- of and drained by a background worker with retries.
CREATE TABLE outbox (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id bigint      REFERENCES notifications (id),
    to_address      text        NOT NULL CHECK (length(to_address) BETWEEN 3 AND 254),
    subject         text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
    body            text        NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    sent_at         timestamptz,
    failed_at       timestamptz, -- gave up after the last retry
    last_error      text        NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
