-- 000039_sealed_file_no_insert: a sealed file takes no new chunk either.
-- 000037's guard refused updates and deletions of a sealed file's
-- chunks; an INSERT of one more chunk slipped past it (caught later by a
-- download's check and by `cmcoord audit verify`, but it should never
-- be written at all).
CREATE OR REPLACE FUNCTION file_chunks_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF EXISTS (SELECT 1 FROM files f WHERE f.id = NEW.file_id AND f.sealed_at IS NOT NULL) THEN
            RAISE EXCEPTION 'a sealed file takes no new content' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'a stored file does not change' USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM files f WHERE f.id = OLD.file_id AND f.sealed_at IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.file_id = OLD.file_id AND a.purged_at IS NOT NULL) THEN
        RAISE EXCEPTION 'a stored file is deleted only by a purge' USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
END $$;
DROP TRIGGER file_chunks_guard ON file_chunks;
CREATE TRIGGER file_chunks_guard BEFORE INSERT OR UPDATE OR DELETE ON file_chunks
    FOR EACH ROW EXECUTE FUNCTION file_chunks_guard();
