-- 000038_record_keys: the keys that sign decision records (the signed
-- bundle, internal/recordbundle). Ed25519 SSH keys; the public half in
-- authorized_keys form, the private half as an OpenSSH private key (PEM)
-- or NULL when it lives in a file (-record-key-file), whose public half
-- is registered here all the same so that the history of keys stays in
-- one place. At most one key is current (retired_at NULL); retired keys
-- stay published so that records signed with them still verify.
CREATE TABLE record_keys (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_key  text        NOT NULL CHECK (public_key ~ '^ssh-ed25519 [A-Za-z0-9+/=]+$'),
    private_key bytea,
    fingerprint text        NOT NULL UNIQUE CHECK (fingerprint ~ '^SHA256:[A-Za-z0-9+/]{43}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz,
    CHECK (retired_at IS NULL OR retired_at >= created_at)
);

CREATE UNIQUE INDEX record_keys_one_current ON record_keys ((true)) WHERE retired_at IS NULL;
