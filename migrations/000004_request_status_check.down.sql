ALTER TABLE requests DROP CONSTRAINT requests_submitted_check;
ALTER TABLE requests ADD CONSTRAINT requests_submitted_check CHECK (status = 'draft' OR submitted_at IS NOT NULL);
