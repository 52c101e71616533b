-- The floor of a creation: the request row and its first event, committed, and nothing else
-- (no limit, no idempotency key, no gapless number). Run as create-full.sql.
--   pgbench -n -M prepared -c 16 -j 2 -T 20 -D tpl=<a request's id> -D op=<BENCH-WRITE's id> -f FILE <bench database>
--
-- (the bench runs it after its create load, -pgbench). Its rows are real ones: request :tpl's
-- row and creation event copied into operation :op, drafts, as the create load's are.
BEGIN;
SELECT nextval(pg_get_serial_sequence('requests', 'id')) AS rid \gset
SELECT :rid AS n \gset
INSERT INTO requests (id, operation_id, number, reference, status, version, title, requesting_org_id, created_by, sectors, need, people_targeted, task_category, capability, support_type, task_description, origin, destination, required_by, start_date, end_date, priority, urgency_reason, civilian_options, complementarity, exit_strategy, poc, checklist, escort, status_reason, civilian_reference, submitted_at, created_at, updated_at, extension_of, status_reason_code)
  OVERRIDING SYSTEM VALUE SELECT :rid, :op, :n, 'BEN-RFA-' || lpad(:n::text, 6, '0'), 'draft', 1, title, requesting_org_id, created_by, sectors, need, people_targeted, task_category, capability, support_type, task_description, origin, destination, required_by, start_date, end_date, priority, urgency_reason, civilian_options, complementarity, exit_strategy, poc, checklist, escort, status_reason, civilian_reference, NULL, now(), now(), extension_of, status_reason_code
  FROM requests WHERE id = :tpl;
INSERT INTO events (request_id, seq, actor_id, action, payload, at, prev_hash, hash)
  SELECT :rid, 1, actor_id, action, payload, now(), NULL, sha256(:rid::text::bytea) FROM events WHERE request_id = :tpl AND seq = 1;
COMMIT;
