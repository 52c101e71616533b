-- 000024_sso_trusted_domains: a provider vouches only for the e-mail
-- domains an administrator lists for it (issue 15, point 4, after an
-- independent test: any provider could sign in as any account by
-- asserting its e-mail). Matching is exact on the part after "@", in
-- any case; the domain layer (SSOProvider.VouchesFor) holds the rule and
-- keeps the list lower-case.
ALTER TABLE sso_providers ADD COLUMN trusted_domains text[] NOT NULL DEFAULT '{}';

-- Existing providers have no domains yet: nothing is known to say which
-- they may vouch for, so they stop signing anyone in until an
-- administrator lists their domains and enables them again.
UPDATE sso_providers SET enabled = false WHERE enabled;

-- An enabled provider vouches for at least one domain; a disabled one
-- (only those this migration disabled) may have none.
ALTER TABLE sso_providers ADD CONSTRAINT sso_providers_trusted_domains_check
    CHECK (NOT enabled OR cardinality(trusted_domains) > 0);
