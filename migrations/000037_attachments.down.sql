DROP TABLE attachment_chunks;
DROP TABLE attachments;
DROP FUNCTION attachment_chunks_guard();
DROP FUNCTION attachments_guard();
