DROP TRIGGER users_end_stale_sessions ON users;
DROP FUNCTION user_sessions_end_stale();
DROP TABLE user_sessions;
