DROP INDEX requests_org_status_updated_idx;
CREATE INDEX requests_org_status_idx ON requests (requesting_org_id, status);
CREATE INDEX requests_operation_status_idx ON requests (operation_id, status, submitted_at);
CREATE INDEX requests_operation_number_idx ON requests (operation_id, number DESC, id DESC);
