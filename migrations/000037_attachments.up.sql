-- 000037_attachments: the documents of a request (domain/attachment.go).
--
-- files hold uploaded bytes, in chunks of at most 256 KiB (file_chunks),
-- so a file is written and read as a stream, never whole in memory, and
-- one backup of the database holds everything. A file grows while it is
-- uploaded (a multipart form, or a resumable tus upload over a bad link),
-- then is sealed with its SHA-256 once checked; a sealed file never
-- changes. Unsealed files older than a day are removed by the job.
--
-- attachments record a sealed file as a request's document: what it is,
-- who may see it, its size and SHA-256 (also in the request's audit
-- chain). Removing a document sets removed_*; an administrator's purge
-- deletes its chunks and sets purged_*; the row is never deleted and
-- what it records never changes.
CREATE TABLE files (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_by    bigint      NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    size          bigint      NOT NULL DEFAULT 0 CHECK (size >= 0),
    -- length announced by a resumable upload (NULL: not announced)
    expected_size bigint      CHECK (expected_size >= 0),
    -- what a resumable upload was created for (request, kind, title...)
    meta          jsonb       NOT NULL DEFAULT '{}',
    sha256        bytea       CHECK (length(sha256) = 32),
    sealed_at     timestamptz,
    CHECK ((sha256 IS NULL) = (sealed_at IS NULL)),
    CHECK (expected_size IS NULL OR size <= expected_size)
);
CREATE INDEX files_unsealed ON files (created_at) WHERE sealed_at IS NULL;

CREATE TABLE file_chunks (
    file_id bigint  NOT NULL REFERENCES files (id),
    seq     integer NOT NULL CHECK (seq >= 0),
    data    bytea   NOT NULL CHECK (length(data) BETWEEN 1 AND 262144),
    PRIMARY KEY (file_id, seq)
);
-- Documents are mostly compressed already (PDF, JPEG, ZIP-based office
-- files): store the chunks out of line without trying to compress them.
ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE attachments (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id     bigint      NOT NULL REFERENCES requests (id),
    file_id        bigint      NOT NULL UNIQUE REFERENCES files (id),
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

-- A sealed file never changes: not its size, not its hash.
CREATE FUNCTION files_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.sealed_at IS NOT NULL AND EXISTS (SELECT 1 FROM attachments WHERE file_id = OLD.id) THEN
            RAISE EXCEPTION 'a document''s file is never deleted (purge its content instead)' USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.sealed_at IS NOT NULL AND (NEW.size, NEW.sha256, NEW.sealed_at, NEW.created_by, NEW.created_at)
                                     IS DISTINCT FROM (OLD.size, OLD.sha256, OLD.sealed_at, OLD.created_by, OLD.created_at) THEN
        RAISE EXCEPTION 'a sealed file does not change' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER files_guard BEFORE UPDATE OR DELETE ON files
    FOR EACH ROW EXECUTE FUNCTION files_guard();

-- Chunks are written once. A sealed file's chunks are deleted only by a
-- purge of its document (the purge marks the row first, in its
-- transaction); an unsealed file's, when the upload is abandoned.
CREATE FUNCTION file_chunks_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER file_chunks_guard BEFORE UPDATE OR DELETE ON file_chunks
    FOR EACH ROW EXECUTE FUNCTION file_chunks_guard();

-- What a document's row records never changes: only its removal and its
-- purge are set, once each; rows are never deleted.
CREATE FUNCTION attachments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'documents are never deleted (purge the content instead)' USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.id, NEW.request_id, NEW.file_id, NEW.kind, NEW.title, NEW.filename, NEW.content_type, NEW.size,
        NEW.sha256, NEW.visibility, NEW.scanned, NEW.added_by, NEW.added_at)
       IS DISTINCT FROM
       (OLD.id, OLD.request_id, OLD.file_id, OLD.kind, OLD.title, OLD.filename, OLD.content_type, OLD.size,
        OLD.sha256, OLD.visibility, OLD.scanned, OLD.added_by, OLD.added_at)
       OR (OLD.removed_at IS NOT NULL AND (NEW.removed_at, NEW.removed_by, NEW.removal_reason)
                                         IS DISTINCT FROM (OLD.removed_at, OLD.removed_by, OLD.removal_reason))
       OR (OLD.purged_at IS NOT NULL AND (NEW.purged_at, NEW.purged_by, NEW.purge_reason)
                                        IS DISTINCT FROM (OLD.purged_at, OLD.purged_by, OLD.purge_reason)) THEN
        RAISE EXCEPTION 'a document''s record does not change' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER attachments_guard BEFORE UPDATE OR DELETE ON attachments
    FOR EACH ROW EXECUTE FUNCTION attachments_guard();
