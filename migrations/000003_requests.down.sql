DROP TABLE IF EXISTS idempotency_keys;
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS comments;
DROP TABLE IF EXISTS requests;
DROP FUNCTION IF EXISTS refuse_change();
DROP FUNCTION IF EXISTS requests_check_status();
DROP TABLE IF EXISTS request_transitions;
ALTER TABLE operations DROP COLUMN IF EXISTS last_request_number;
