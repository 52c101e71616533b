DROP INDEX outbox_sent_idx;
DROP INDEX outbox_failed_idx;
ALTER TABLE reviews DROP CONSTRAINT reviews_manual_reminded_at_check;
ALTER TABLE reviews DROP COLUMN manual_reminded_at;
ALTER TABLE outbox DROP COLUMN language;
