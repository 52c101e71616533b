-- 000005_request_sort_indexes: indexes that let every sort of the request
-- list, and the screening queue, read one page in order instead of
-- sorting the operation's requests (measured with make bench on 100,000
-- requests: urgency and required-by sorts 270–480 ms → ~1 ms).

-- The priority's rank (0 most urgent), stored so the list's ORDER BY and
-- these indexes share one expression.
ALTER TABLE requests ADD COLUMN priority_rank smallint GENERATED ALWAYS AS (
    CASE priority WHEN 'lifesaving' THEN 0 WHEN 'life_sustaining' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3 ELSE 4 END
) STORED;

CREATE INDEX requests_operation_urgency_idx
    ON requests (operation_id, priority_rank, (coalesce(submitted_at, 'infinity')), id);
CREATE INDEX requests_operation_required_idx
    ON requests (operation_id, (coalesce(required_by, 'infinity')), id);
CREATE INDEX requests_operation_number_idx
    ON requests (operation_id, number DESC, id DESC);
-- The screening queue and "returned to me": one status, most urgent first.
CREATE INDEX requests_operation_status_urgency_idx
    ON requests (operation_id, status, priority_rank, (coalesce(submitted_at, 'infinity')), id);
CREATE INDEX requests_operation_status_updated_idx
    ON requests (operation_id, status, updated_at DESC, id DESC);
