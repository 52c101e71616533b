-- 000001_init: the foundation. Later migrations add the domain tables.
--
-- app_settings holds small instance-wide facts that every instance behind a
-- load balancer must agree on (for example when demo data was loaded). It is
-- deliberately a key/value table: anything with structure gets its own table.
CREATE TABLE app_settings (
    key        text        PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,62}$'),
    value      text        NOT NULL CHECK (length(value) <= 4000),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE app_settings IS 'Instance-wide settings shared by every cmcoord instance.';
