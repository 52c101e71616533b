-- As 000016: the log is append-only, so a database that recorded a retried
-- e-mail keeps the entry and this step fails rather than lose history.
ALTER TABLE directory_events DROP CONSTRAINT directory_events_target_type_check;
ALTER TABLE directory_events ADD CONSTRAINT directory_events_target_type_check
    CHECK (target_type IN ('organization', 'user', 'operation', 'sso_provider'));
ALTER TABLE reviews DROP CONSTRAINT reviews_manual_reminded_at_check;
ALTER TABLE reviews DROP COLUMN manual_reminded_at;
DROP INDEX outbox_queued_idx;
DROP INDEX outbox_failed_idx;
ALTER TABLE outbox DROP COLUMN language;
