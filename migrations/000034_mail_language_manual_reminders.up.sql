-- 000034_mail_language_manual_reminders: the recipient's language on
-- each outbox e-mail, so its HTML part says its language and direction
-- (Arabic right to left); when an officer last reminded a review's
-- undecided organisations on demand (request.review.remind), which may
-- be done again only some hours later (domain.RemindAgainAfter); and the
-- administrators' mail page (/admin/mail): its lists, newest first, and
-- its "retry now", recorded in the directory log against the message.
ALTER TABLE outbox ADD COLUMN language text NOT NULL DEFAULT '' CHECK (length(language) <= 12);
CREATE INDEX outbox_failed_idx ON outbox (id) WHERE failed_at IS NOT NULL;
CREATE INDEX outbox_queued_idx ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
ALTER TABLE reviews ADD COLUMN manual_reminded_at timestamptz;
ALTER TABLE reviews ADD CONSTRAINT reviews_manual_reminded_at_check CHECK (manual_reminded_at >= opened_at);
ALTER TABLE directory_events DROP CONSTRAINT directory_events_target_type_check;
ALTER TABLE directory_events ADD CONSTRAINT directory_events_target_type_check
    CHECK (target_type IN ('organization', 'user', 'operation', 'sso_provider', 'mail'));
