ALTER TABLE outbox DROP COLUMN list_unsubscribe;
DROP TABLE digest_items;
DROP TABLE notification_preferences;
