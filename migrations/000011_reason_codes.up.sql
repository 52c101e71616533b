-- 000011_reason_codes: a reason the system states (a refused consent
-- cancelling a task, an HRDDP assessment rejecting a request) is stored
-- as a code and shown in the reader's language; status_reason and
-- decline_reason keep only what a person wrote.
-- The codes are domain.SystemReasons (not restated here).
ALTER TABLE requests ADD COLUMN status_reason_code text NOT NULL DEFAULT '' CHECK (length(status_reason_code) <= 100);
ALTER TABLE taskings ADD COLUMN decline_reason_code text NOT NULL DEFAULT '' CHECK (length(decline_reason_code) <= 100);
ALTER TABLE taskings DROP CONSTRAINT taskings_declined_check;
ALTER TABLE taskings ADD CONSTRAINT taskings_declined_check
    CHECK (declined_at IS NULL OR btrim(decline_reason) <> '' OR decline_reason_code <> '');

-- The English sentences written before: their codes. (Audit events are
-- never rewritten; the pages show an old event's text as it was.)
UPDATE requests SET status_reason_code = 'consent_refused', status_reason = ''
 WHERE status_reason LIKE 'The affected State refused consent (%).';
UPDATE requests SET status_reason_code = 'hrddp_no_support', status_reason = ''
 WHERE status_reason = 'The HRDDP assessment concluded that support cannot be given.';
UPDATE taskings SET decline_reason_code = 'consent_refused', decline_reason = ''
 WHERE decline_reason = 'The affected State refused consent.';
