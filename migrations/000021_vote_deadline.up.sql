-- A vote is recorded only while its review is open and before its
-- deadline: the record can never show a vote cast at or after the
-- deadline, whichever path wrote it. The time is the vote's own, taken
-- by the application from the database's clock (store.DBClock).
CREATE FUNCTION votes_before_deadline() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM reviews
                    WHERE id = NEW.review_id AND closed_at IS NULL AND deadline > NEW.cast_at) THEN
        RAISE EXCEPTION 'vote on review % at or after its deadline, or after its close', NEW.review_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'votes_before_deadline', TABLE = 'votes';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER votes_before_deadline BEFORE INSERT OR UPDATE ON votes
    FOR EACH ROW EXECUTE FUNCTION votes_before_deadline();
