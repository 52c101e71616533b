DROP TABLE attachments;
DROP TABLE file_chunks;
DROP TABLE files;
DROP FUNCTION attachments_guard();
DROP FUNCTION file_chunks_guard();
DROP FUNCTION files_guard();
