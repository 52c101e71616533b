-- 000037_attachments: the documents of a request (domain/attachment.go).
-- The row is the document's record: what it is, who may see it, its size
-- and SHA-256 (also in the request's audit chain). Its content is kept in
-- attachment_chunks, 256 KiB a row, so a file is written and read as a
-- stream, never whole in memory, and one backup of the database holds
-- everything. Removing a document sets removed_*; an administrator's
-- purge deletes the chunks and sets purged_*; the row itself is never
-- deleted and what it records never changes.
CREATE TABLE attachments (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id     bigint      NOT NULL REFERENCES requests (id),
    kind           text        NOT NULL CHECK (kind IN ('consent_letter', 'security_assessment', 'map', 'photo',
                                                        'provider_document', 'other')),
    title          text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    filename       text        NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type   text        NOT NULL CHECK (length(content_type) BETWEEN 1 AND 200),
    size           bigint      NOT NULL CHECK (size >= 0),
    sha256         bytea       NOT NULL CHECK (length(sha256) = 32),
    visibility     text        NOT NULL CHECK (visibility IN ('everyone', 'officer_hc', 'hrddp')),
    scanned        boolean     NOT NULL,
    added_by       bigint      NOT NULL REFERENCES users (id),
    added_at       timestamptz NOT NULL,
    removed_at     timestamptz,
    removed_by     bigint      REFERENCES users (id),
    removal_reason text        CHECK (length(removal_reason) <= 1000),
    purged_at      timestamptz,
    purged_by      bigint      REFERENCES users (id),
    purge_reason   text        CHECK (length(purge_reason) <= 1000),
    CHECK ((removed_at IS NULL) = (removed_by IS NULL) AND (removed_at IS NULL) = (removal_reason IS NULL)),
    CHECK ((purged_at IS NULL) = (purged_by IS NULL) AND (purged_at IS NULL) = (purge_reason IS NULL))
);
CREATE INDEX attachments_request ON attachments (request_id, id);

CREATE TABLE attachment_chunks (
    attachment_id bigint  NOT NULL REFERENCES attachments (id),
    seq           integer NOT NULL CHECK (seq >= 0),
    data          bytea   NOT NULL CHECK (length(data) BETWEEN 1 AND 262144),
    PRIMARY KEY (attachment_id, seq)
);
-- Documents are mostly compressed already (PDF, JPEG, ZIP-based office
-- files): store the chunks out of line without trying to compress them.
ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- What a document's row records never changes: only its removal and its
-- purge are set, once each; rows are never deleted.
CREATE FUNCTION attachments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'attachments are never deleted (purge the content instead)' USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.id, NEW.request_id, NEW.kind, NEW.title, NEW.filename, NEW.content_type, NEW.size, NEW.sha256,
        NEW.visibility, NEW.scanned, NEW.added_by, NEW.added_at)
       IS DISTINCT FROM
       (OLD.id, OLD.request_id, OLD.kind, OLD.title, OLD.filename, OLD.content_type, OLD.size, OLD.sha256,
        OLD.visibility, OLD.scanned, OLD.added_by, OLD.added_at)
       OR (OLD.removed_at IS NOT NULL AND (NEW.removed_at, NEW.removed_by, NEW.removal_reason)
                                         IS DISTINCT FROM (OLD.removed_at, OLD.removed_by, OLD.removal_reason))
       OR (OLD.purged_at IS NOT NULL AND (NEW.purged_at, NEW.purged_by, NEW.purge_reason)
                                        IS DISTINCT FROM (OLD.purged_at, OLD.purged_by, OLD.purge_reason)) THEN
        RAISE EXCEPTION 'an attachment''s record does not change' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER attachments_guard BEFORE UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION attachments_guard();

-- Chunks are written once; only a purge deletes them, and only those of
-- a purged document (the purge marks the row first, in its transaction).
CREATE FUNCTION attachment_chunks_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'a stored file does not change' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM attachments WHERE id = OLD.attachment_id AND purged_at IS NOT NULL) THEN
        RAISE EXCEPTION 'a stored file is deleted only by a purge' USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER attachment_chunks_guard BEFORE UPDATE OR DELETE ON attachment_chunks
    FOR EACH ROW EXECUTE FUNCTION attachment_chunks_guard();
