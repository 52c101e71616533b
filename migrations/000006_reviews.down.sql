DROP TABLE outbox;
DROP TABLE notifications;
DROP TABLE decisions;
DROP TABLE votes;
DROP FUNCTION votes_check_open();
DROP TABLE vote_history;
DROP TABLE reviews;
