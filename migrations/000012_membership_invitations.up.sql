-- 000012_membership_invitations: an officer (who does not browse the user
-- directory) adding a member by e-mail records an invitation instead of
-- looking the account up. It takes effect when an account with this
-- address signs in or is created by an administrator. email is stored
-- trimmed and lower-cased, so one address has one invitation per operation.
CREATE TABLE membership_invitations (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_id bigint      NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    email        text        NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254 AND email LIKE '_%@_%'),
    roles        text[]      NOT NULL CHECK (cardinality(roles) BETWEEN 1 AND 6
                                 AND roles <@ ARRAY['requester', 'cmcoord_officer', 'hct_member',
                                                    'hc', 'hrddp_reviewer', 'viewer']::text[]),
    invited_by   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT membership_invitations_operation_email_key UNIQUE (operation_id, email)
);
-- Sign-in and account creation look invitations up by address.
CREATE INDEX membership_invitations_email_idx ON membership_invitations (email);
CREATE INDEX membership_invitations_invited_by_idx ON membership_invitations (invited_by);
