-- 000027_fewer_request_indexes: two indexes of requests that no query
-- needs go, and one is widened to serve the requester's queues (issue
-- 17). Every new request and every status change writes an
-- entry in each of the table's indexes (a status change is never a HOT
-- update: status is indexed), so each one costs the creations, the
-- workflow's steps and the deadline job.
--
-- (operation_id, status, submitted_at): every read by operation and
-- status uses the sort indexes of migration 5, which begin with the same
-- two columns; make bench's runs used it 0 times.
DROP INDEX requests_operation_status_idx;
-- (operation_id, number DESC, id DESC): the unique (operation_id, number)
-- is read backwards for the "by number" sort (a number is unique in its
-- operation, so the id only orders rows an incremental sort meets one at
-- a time): 0.19 ms for a first page of 100,000 requests, 0.07 ms for a
-- keyset page.
DROP INDEX requests_operation_number_idx;

-- (requesting_org_id, status) becomes (requesting_org_id, status,
-- operation_id, updated_at DESC, id DESC): a requester's "returned" and
-- "my drafts" queues (one organisation's requests of one status in one
-- operation, newest first) read their first rows in order instead of
-- every returned request of the operation (2.6 ms at 1,000,000 requests
-- for a queue that was empty → 0.06 ms). Anything the old index served,
-- the new one's first two columns still do.
DROP INDEX requests_org_status_idx;
CREATE INDEX requests_org_status_updated_idx ON requests (requesting_org_id, status, operation_id, updated_at DESC, id DESC);
