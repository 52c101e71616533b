UPDATE taskings SET decline_reason = 'The affected State refused consent.'
 WHERE decline_reason_code = 'consent_refused' AND btrim(decline_reason) = '';
UPDATE requests SET status_reason = 'The HRDDP assessment concluded that support cannot be given.'
 WHERE status_reason_code = 'hrddp_no_support' AND status_reason = '';
UPDATE requests SET status_reason = 'The affected State refused consent.'
 WHERE status_reason_code = 'consent_refused' AND status_reason = '';
ALTER TABLE taskings DROP CONSTRAINT taskings_declined_check;
ALTER TABLE taskings ADD CONSTRAINT taskings_declined_check CHECK (declined_at IS NULL OR btrim(decline_reason) <> '');
ALTER TABLE taskings DROP COLUMN decline_reason_code;
ALTER TABLE requests DROP COLUMN status_reason_code;
