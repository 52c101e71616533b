DROP INDEX reviews_remind_idx;
ALTER TABLE reviews DROP COLUMN remind_at;
