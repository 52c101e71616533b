-- Every instance keeps, in memory, what nearly every request reads and
-- rarely changes: users with their memberships and second factor, API
-- tokens, operations, browser sessions, unread counts (store.Cache).
-- These triggers tell every instance, through NOTIFY on channel
-- cmcoord_cache, which entry a committed change makes stale, whichever
-- path or instance wrote it. A notification is delivered at commit, never
-- for a rolled-back change. Payloads (store.Cache.forget):
--   u:<user id>   the user, their memberships, factor and API tokens
--   t:<hex hash>  one API token (by its secret's hash)
--   s:<md5 hex>   one browser session (by the md5 of its token)
--   n:<user id>   the user's unread count
--   *             everything (an operation changed: memberships name it)
CREATE FUNCTION cache_forget_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('cmcoord_cache', 'u:' || OLD.user_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('cmcoord_cache', 'u:' || NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION cache_forget_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cmcoord_cache', 'u:' || OLD.id);
    RETURN NULL;
END
$$;

CREATE FUNCTION cache_forget_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cmcoord_cache', '*');
    RETURN NULL;
END
$$;

CREATE FUNCTION cache_forget_token() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cmcoord_cache', 't:' || encode(OLD.secret_hash, 'hex'));
    RETURN NULL;
END
$$;

CREATE FUNCTION cache_forget_session() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cmcoord_cache', 's:' || md5(OLD.token));
    RETURN NULL;
END
$$;

CREATE FUNCTION cache_forget_unread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('cmcoord_cache', 'n:' || OLD.user_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('cmcoord_cache', 'n:' || NEW.user_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER cache_forget AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION cache_forget_users();
CREATE TRIGGER cache_forget AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION cache_forget_user();
CREATE TRIGGER cache_forget AFTER INSERT OR UPDATE OR DELETE ON user_factors
    FOR EACH ROW EXECUTE FUNCTION cache_forget_user();
-- Numbering a new request bumps its operation's last_request_number,
-- which no cache holds: that update alone announces nothing.
CREATE TRIGGER cache_forget AFTER UPDATE ON operations
    FOR EACH ROW WHEN ((to_jsonb(OLD) - 'last_request_number') IS DISTINCT FROM (to_jsonb(NEW) - 'last_request_number'))
    EXECUTE FUNCTION cache_forget_all();
CREATE TRIGGER cache_forget_deleted AFTER DELETE ON operations
    FOR EACH STATEMENT EXECUTE FUNCTION cache_forget_all();
CREATE TRIGGER cache_forget AFTER UPDATE OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION cache_forget_token();
CREATE TRIGGER cache_forget AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION cache_forget_session();
CREATE TRIGGER cache_forget AFTER UPDATE OR DELETE ON user_sessions
    FOR EACH ROW EXECUTE FUNCTION cache_forget_session();
CREATE TRIGGER cache_forget AFTER INSERT OR UPDATE OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION cache_forget_unread();
