-- 000002_access: organisations, users, operations, memberships, sessions,
-- sign-in attempts, API tokens and set-password links.

CREATE TABLE organizations (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    acronym    text        NOT NULL CHECK (length(btrim(acronym)) BETWEEN 1 AND 30),
    type       text        NOT NULL CHECK (type IN ('un_agency', 'ingo', 'nngo', 'red_cross_red_crescent',
                                                    'government', 'military_civil_defence', 'other')),
    un_entity  boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));

CREATE TABLE users (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           text        NOT NULL CHECK (email = btrim(email) AND length(email) BETWEEN 3 AND 254 AND email LIKE '_%@_%'),
    name            text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    organization_id bigint      NOT NULL REFERENCES organizations (id),
    language        text        NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr', 'es', 'ar')),
    -- argon2id PHC string; NULL until the user sets a password through a link.
    password_hash   text        CHECK (password_hash IS NULL OR password_hash LIKE '$argon2id$%'),
    is_admin        boolean     NOT NULL DEFAULT false,
    disabled_at     timestamptz,
    -- Bumped to end every session of the user (disabled, password changed).
    session_epoch   bigint      NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- E-mail addresses are unique whatever their case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_organization_idx ON users (organization_id);

CREATE TABLE operations (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                text        NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,39}$'),
    name                text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    country_iso3        text        NOT NULL CHECK (country_iso3 ~ '^[A-Z]{3}$'),
    glide               text        CHECK (glide IS NULL OR glide ~ '^[A-Z]{2}-[0-9]{4}-[0-9]{6}-[A-Z]{3}$'),
    context             text        NOT NULL CHECK (context IN ('natural_disaster', 'complex_emergency', 'mixed')),
    quorum_percent      integer     NOT NULL DEFAULT 50 CHECK (quorum_percent BETWEEN 1 AND 100),
    pass_rule           text        NOT NULL DEFAULT 'consensus' CHECK (pass_rule IN ('consensus', 'majority')),
    review_hours        integer     NOT NULL DEFAULT 72 CHECK (review_hours BETWEEN 1 AND 720),
    urgent_review_hours integer     NOT NULL DEFAULT 12 CHECK (urgent_review_hours BETWEEN 1 AND 720),
    sealed_votes        boolean     NOT NULL DEFAULT true,
    lead_time_hours     integer     NOT NULL DEFAULT 48 CHECK (lead_time_hours BETWEEN 0 AND 720),
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT operations_code_key UNIQUE (code),
    CONSTRAINT operations_urgent_hours_check CHECK (urgent_review_hours <= review_hours)
);

CREATE TABLE memberships (
    operation_id bigint      NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    roles        text[]      NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 6
                                 AND roles <@ ARRAY['requester', 'cmcoord_officer', 'hct_member',
                                                    'hc', 'hrddp_reviewer', 'viewer']::text[]),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- Server-side sessions, in the schema alexedwards/scs's pgxstore expects.
CREATE TABLE sessions (
    token  text        PRIMARY KEY,
    data   bytea       NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Every sign-in attempt, for throttling across instances (and for the
-- record). email is stored as typed, lower-cased, whether or not it exists.
CREATE TABLE login_attempts (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text        NOT NULL CHECK (length(email) <= 254),
    client_ip    text        NOT NULL CHECK (length(client_ip) <= 64),
    succeeded    boolean     NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, attempted_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (client_ip, attempted_at);

-- API tokens: only a SHA-256 of the secret is stored; prefix identifies a
-- token to its owner without revealing it.
CREATE TABLE api_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    prefix       text        NOT NULL CHECK (length(prefix) BETWEEN 8 AND 16),
    secret_hash  bytea       NOT NULL CHECK (length(secret_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT api_tokens_secret_hash_key UNIQUE (secret_hash)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- One-time links to set a password (new users, resets).
CREATE TABLE password_links (
    secret_hash bytea       PRIMARY KEY CHECK (length(secret_hash) = 32),
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX password_links_user_idx ON password_links (user_id);
