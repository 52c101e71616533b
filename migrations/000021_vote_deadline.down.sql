DROP TRIGGER IF EXISTS votes_before_deadline ON votes;
DROP FUNCTION IF EXISTS votes_before_deadline();
