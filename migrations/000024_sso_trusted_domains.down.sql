-- Providers this migration disabled stay disabled: which were enabled
-- before it is not kept, and enabling one again is an administrator's
-- decision.
ALTER TABLE sso_providers DROP CONSTRAINT sso_providers_trusted_domains_check;
ALTER TABLE sso_providers DROP COLUMN trusted_domains;
