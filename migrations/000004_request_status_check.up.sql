-- 000004_request_status_check: a draft that was never submitted may be
-- withdrawn by its requester or expire (the workflow allows both), so
-- "not submitted" is not limited to drafts.
ALTER TABLE requests DROP CONSTRAINT requests_submitted_check;
ALTER TABLE requests ADD CONSTRAINT requests_submitted_check
    CHECK (status IN ('draft', 'withdrawn', 'expired') OR submitted_at IS NOT NULL);
