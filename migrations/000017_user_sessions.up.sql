-- The signed-in sessions of each user, beside the session store's own
-- table (sessions: token, data, expiry, written by alexedwards/scs's
-- pgxstore, whose data is opaque to SQL). A row is written when a
-- sign-in becomes a session and goes with its session: deleting the
-- session row (sign-out, ending it from the profile, expiry pruned)
-- deletes it, and so does a change of the user's session epoch (password
-- changed, account disabled), which ends every session of the old epoch.
CREATE TABLE user_sessions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token        text        NOT NULL UNIQUE REFERENCES sessions (token) ON DELETE CASCADE,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    epoch        bigint      NOT NULL,
    -- A short readable label of the browser and system ("Firefox 128 on
    -- Windows"), and the User-Agent it came from, cut to 256 bytes.
    device       text        NOT NULL CHECK (length(device) <= 100),
    user_agent   text        NOT NULL CHECK (length(user_agent) <= 256),
    -- The client address the session was last seen from.
    client_ip    text        NOT NULL CHECK (length(client_ip) <= 64),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    CHECK (last_seen_at >= created_at)
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- A new session epoch ends every session of the earlier ones at once,
-- on whatever path moved it: the sessions were refused already (their
-- epoch no longer matches), now they are gone from the store and the
-- profile too.
CREATE FUNCTION user_sessions_end_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sessions s USING user_sessions u
     WHERE u.token = s.token AND u.user_id = NEW.id AND u.epoch <> NEW.session_epoch;
    RETURN NULL;
END $$;

CREATE TRIGGER users_end_stale_sessions
    AFTER UPDATE OF session_epoch ON users
    FOR EACH ROW WHEN (OLD.session_epoch IS DISTINCT FROM NEW.session_epoch)
    EXECUTE FUNCTION user_sessions_end_stale();
