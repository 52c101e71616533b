-- 000034_mail_language_manual_reminders: the recipient's language on
-- each outbox e-mail, so its HTML part says its language and direction
-- (Arabic right to left); and when an officer last reminded a review's
-- undecided organisations on demand (request.review.remind), which may
-- be done again only some hours later (domain.RemindAgainAfter).
ALTER TABLE outbox ADD COLUMN language text NOT NULL DEFAULT '' CHECK (length(language) <= 12);
ALTER TABLE reviews ADD COLUMN manual_reminded_at timestamptz;
ALTER TABLE reviews ADD CONSTRAINT reviews_manual_reminded_at_check CHECK (manual_reminded_at >= opened_at);
-- The administrators' mail page lists failed and recently sent mail,
-- newest first.
CREATE INDEX outbox_failed_idx ON outbox (failed_at DESC, id DESC) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_sent_idx ON outbox (sent_at DESC, id DESC) WHERE sent_at IS NOT NULL;
