-- 000033_notification_preferences (issue 19): how each user receives each
-- kind of notice, the daily digest's queue, and the List-Unsubscribe
-- header of an e-mail.
--
-- A user's choice per notice kind: in-app only, e-mail now, or a daily
-- digest. Only choices that differ from the default of the user's roles
-- (domain.DefaultDelivery) are stored; account notices are never
-- configurable. The in-app notification is always made.
CREATE TABLE notification_preferences (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    delivery   text        NOT NULL CHECK (delivery IN ('inapp', 'email', 'digest')),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Notifications waiting for their recipient's next digest e-mail; the
-- digest job deletes them as it queues the e-mail that lists them.
CREATE TABLE digest_items (
    notification_id bigint      PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    queued_at       timestamptz NOT NULL
);
CREATE INDEX digest_items_user_idx ON digest_items (user_id, queued_at);

-- The URL of a digest's List-Unsubscribe header (RFC 8058 one-click);
-- '' for e-mails without one.
ALTER TABLE outbox ADD COLUMN list_unsubscribe text NOT NULL DEFAULT ''
    CHECK (length(list_unsubscribe) <= 2000 AND list_unsubscribe !~ '[\r\n]');
