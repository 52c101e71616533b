-- The log's entries about providers must go before the narrower check
-- returns; the log is append-only, so a database that recorded any keeps
-- them and this step fails rather than lose history.
ALTER TABLE directory_events DROP CONSTRAINT directory_events_target_type_check;
ALTER TABLE directory_events ADD CONSTRAINT directory_events_target_type_check
    CHECK (target_type IN ('organization', 'user', 'operation'));
DROP TABLE sso_identities;
DROP TABLE sso_providers;
