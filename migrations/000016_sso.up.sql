-- 000016_sso: single sign-on with an organisation's OpenID Connect
-- identity provider (issue 15, point 4). An administrator configures the
-- providers; an account is linked to a provider's subject by a verified
-- e-mail, and created only when the provider provisions into a named
-- organisation.
CREATE TABLE sso_providers (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug                text        NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name                text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    issuer_url          text        NOT NULL CHECK (length(issuer_url) BETWEEN 8 AND 500),
    client_id           text        NOT NULL CHECK (length(client_id) BETWEEN 1 AND 500),
    -- The client secret the provider issued: needed in clear to call its
    -- token endpoint. Never shown back once saved, never logged.
    client_secret       text        NOT NULL CHECK (length(client_secret) BETWEEN 1 AND 1000),
    enabled             boolean     NOT NULL DEFAULT true,
    -- When set, a verified e-mail with no account creates one in this
    -- organisation (with no roles); when null, never.
    provision_org_id    bigint      REFERENCES organizations (id),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT sso_providers_slug_key UNIQUE (slug)
);

-- Which provider subject is which account. One account per subject, and
-- one subject per account and provider: a second subject presenting the
-- e-mail of an account already linked to that provider is refused.
CREATE TABLE sso_identities (
    provider_id bigint      NOT NULL REFERENCES sso_providers (id),
    subject     text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (provider_id, subject),
    CONSTRAINT sso_identities_provider_user_key UNIQUE (provider_id, user_id)
);
CREATE INDEX sso_identities_user_idx ON sso_identities (user_id);

-- The directory log also records administrators' changes of providers.
ALTER TABLE directory_events DROP CONSTRAINT directory_events_target_type_check;
ALTER TABLE directory_events ADD CONSTRAINT directory_events_target_type_check
    CHECK (target_type IN ('organization', 'user', 'operation', 'sso_provider'));
