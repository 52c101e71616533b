CREATE OR REPLACE FUNCTION file_chunks_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
CREATE TRIGGER file_chunks_guard BEFORE UPDATE OR DELETE ON file_chunks
    FOR EACH ROW EXECUTE FUNCTION file_chunks_guard();
