DROP INDEX IF EXISTS requests_status_required_idx;
