-- 000026_create_before_lock: two changes for issue 17 (throughput).
--
-- The operation's HCT members, read by every
-- request page and every step's rules (store.hctOrganizationsSQL), by an
-- index of their own instead of a scan of the operation's memberships
-- (issue 17: 0.3-0.5 ms with a thousand members, 0.08 ms with this).
CREATE INDEX memberships_hct_idx ON memberships (operation_id, user_id) WHERE 'hct_member' = ANY (roles);

-- A creation claims its idempotency key with the request's id before it
-- takes the operation's numbering lock and inserts the request (issue
-- 17): the key's reference to the request is checked at commit.
ALTER TABLE idempotency_records ALTER CONSTRAINT idempotency_records_request_id_fkey DEFERRABLE INITIALLY DEFERRED;
