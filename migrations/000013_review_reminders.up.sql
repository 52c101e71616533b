-- 000013_review_reminders: when a review reminds the organisations that
-- have not voted is fixed as it opens (domain.ReminderAt: ahead of the
-- deadline by the reminder notice, never in the first half of the
-- review), and the job claims reminders by that time.
ALTER TABLE reviews ADD COLUMN remind_at timestamptz;
-- Reviews opened before: ReminderAt with the default 12-hour notice.
UPDATE reviews SET remind_at = deadline - LEAST(interval '12 hours', (deadline - opened_at) / 2);
ALTER TABLE reviews ALTER COLUMN remind_at SET NOT NULL;
ALTER TABLE reviews ADD CONSTRAINT reviews_remind_at_check CHECK (remind_at >= opened_at AND remind_at <= deadline);
CREATE INDEX reviews_remind_idx ON reviews (remind_at) WHERE closed_at IS NULL AND reminded_at IS NULL;
