CREATE INDEX requests_operation_status_idx ON requests (operation_id, status, submitted_at);
CREATE INDEX requests_operation_number_idx ON requests (operation_id, number DESC, id DESC);
