-- create-full.sql without the operation's gapless numbering (its UPDATE of the operation's row,
-- whose lock serialises the operation's creations): what that number costs.
--   pgbench -n -M prepared -c 16 -j 2 -T 20 -D tpl=<a request's id> -D op=<BENCH-WRITE's id> -f FILE <bench database>
--
-- (the bench runs it after its create load, -pgbench). Its rows are real ones: request :tpl's
-- row and creation event copied into operation :op, drafts, as the create load's are.
\set u random(1, 1000000000)
-- the idempotency middleware: is the key known?
SELECT user_id, key, method, path, fingerprint, request_id, created_at, status, content_type, location, body
  FROM idempotency_records WHERE user_id = :u AND key = 'pgbench-' || :u AND created_at > now() - make_interval(secs => 86400);
BEGIN;
-- the idempotency middleware: the key's claim, serialised per user and key
SELECT pg_advisory_xact_lock(7, hashtext('pgbench' || :u));
-- the drafts limit (domain.LimitDrafts): read the account's recent creations, record this one
SELECT at FROM rate_events WHERE bucket = 'pgbench:' || (:u % 1000) AND at > now() - interval '1 minute';
INSERT INTO rate_events (bucket, at) VALUES ('pgbench:' || (:u % 1000), now()) RETURNING id;
SELECT nextval(pg_get_serial_sequence('requests', 'id')) AS rid \gset
INSERT INTO idempotency_records (user_id, key, method, path, fingerprint, request_id, created_at)
  SELECT created_by, 'pgbench-' || :rid, 'POST', '/api', 'f', :rid, now() FROM requests WHERE id = :tpl;
-- no gapless number: the request's number is its id, and no lock is held
SELECT :rid AS n \gset
INSERT INTO requests (id, operation_id, number, reference, status, version, title, requesting_org_id, created_by, sectors, need, people_targeted, task_category, capability, support_type, task_description, origin, destination, required_by, start_date, end_date, priority, urgency_reason, civilian_options, complementarity, exit_strategy, poc, checklist, escort, status_reason, civilian_reference, submitted_at, created_at, updated_at, extension_of, status_reason_code)
  OVERRIDING SYSTEM VALUE SELECT :rid, :op, :n, 'BEN-RFA-' || lpad(:n::text, 6, '0'), 'draft', 1, title, requesting_org_id, created_by, sectors, need, people_targeted, task_category, capability, support_type, task_description, origin, destination, required_by, start_date, end_date, priority, urgency_reason, civilian_options, complementarity, exit_strategy, poc, checklist, escort, status_reason, civilian_reference, NULL, now(), now(), extension_of, status_reason_code
  FROM requests WHERE id = :tpl;
INSERT INTO events (request_id, seq, actor_id, action, payload, at, prev_hash, hash)
  SELECT :rid, 1, actor_id, action, payload, now(), NULL, sha256(:rid::text::bytea) FROM events WHERE request_id = :tpl AND seq = 1;
COMMIT;
-- the answer's facts (store.NewRequestFacts): the operation, the organisation, the HCT's organisations
SELECT id, code, name, country_iso3, coalesce(glide, ''), context, quorum_percent, pass_rule,
  review_hours, urgent_review_hours, sealed_votes, lead_time_hours, closed_at IS NOT NULL, require_second_factor,
  created_at, updated_at FROM operations WHERE id = (SELECT operation_id FROM requests WHERE id = :rid);
SELECT id, name, acronym, type, un_entity, created_at, updated_at FROM organizations
  WHERE id = (SELECT requesting_org_id FROM requests WHERE id = :rid);
SELECT DISTINCT x.org FROM (
  SELECT (SELECT u.organization_id FROM users u WHERE u.id = m.user_id AND u.disabled_at IS NULL) AS org
  FROM memberships m WHERE m.operation_id = (SELECT operation_id FROM requests WHERE id = :rid) AND 'hct_member' = ANY (m.roles)) x
  WHERE x.org IS NOT NULL ORDER BY 1;
-- the stored answer, committed on its own
UPDATE idempotency_records SET status = 201, content_type = 'application/json', location = '/api',
  body = (SELECT payload::text::bytea FROM events WHERE request_id = :tpl AND seq = 1)
  WHERE user_id = (SELECT created_by FROM requests WHERE id = :tpl) AND key = 'pgbench-' || :rid AND status IS NULL;
