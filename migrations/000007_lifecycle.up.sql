-- 000007_lifecycle: after approval — the affected State's consent,
-- taskings to providers, execution reports, the hand-over — and the HRDDP
-- assessment. Every change also appends an event to the request's chain.

CREATE TABLE consents (
    request_id  bigint      PRIMARY KEY REFERENCES requests (id),
    status      text        NOT NULL CHECK (status IN ('requested', 'consented', 'pending', 'refused', 'not_applicable')),
    authority   text        NOT NULL DEFAULT '' CHECK (length(authority) <= 200),
    channel     text        NOT NULL DEFAULT '' CHECK (length(channel) <= 200),
    date        date,
    reference   text        NOT NULL DEFAULT '' CHECK (length(reference) <= 200),
    recorded_by bigint      NOT NULL REFERENCES users (id),
    recorded_at timestamptz NOT NULL
);

CREATE TABLE taskings (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id     bigint      NOT NULL REFERENCES requests (id),
    provider_iso3  text        NOT NULL CHECK (provider_iso3 ~ '^[A-Z]{3}$'),
    unit           text        NOT NULL CHECK (length(btrim(unit)) BETWEEN 1 AND 200),
    asset_type     text        NOT NULL CHECK (length(btrim(asset_type)) BETWEEN 1 AND 200),
    asset_count    integer     NOT NULL CHECK (asset_count BETWEEN 1 AND 10000),
    platform_ref   text        NOT NULL DEFAULT '' CHECK (length(platform_ref) <= 200),
    tasked_by      bigint      NOT NULL REFERENCES users (id),
    tasked_at      timestamptz NOT NULL,
    declined_at    timestamptz,
    decline_reason text        NOT NULL DEFAULT '' CHECK (length(decline_reason) <= 2000),
    started_at     timestamptz,
    CONSTRAINT taskings_declined_check CHECK (declined_at IS NULL OR btrim(decline_reason) <> '')
);
CREATE INDEX taskings_request_idx ON taskings (request_id, id);
-- At most one live (not declined) tasking per request.
CREATE UNIQUE INDEX taskings_one_live_idx ON taskings (request_id) WHERE declined_at IS NULL;

CREATE TABLE execution_reports (
    id             bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id     bigint        NOT NULL REFERENCES requests (id),
    report_date    date          NOT NULL,
    sorties        integer       NOT NULL DEFAULT 0 CHECK (sorties >= 0),
    flight_hours   numeric(10,1) NOT NULL DEFAULT 0 CHECK (flight_hours >= 0),
    tonnes         numeric(12,2) NOT NULL DEFAULT 0 CHECK (tonnes >= 0),
    passengers     integer       NOT NULL DEFAULT 0 CHECK (passengers >= 0),
    medevacs       integer       NOT NULL DEFAULT 0 CHECK (medevacs >= 0),
    people_reached integer       NOT NULL DEFAULT 0 CHECK (people_reached >= 0),
    incidents      text          NOT NULL DEFAULT '' CHECK (length(incidents) <= 2000),
    notes          text          NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    reported_by    bigint        NOT NULL REFERENCES users (id),
    reported_at    timestamptz   NOT NULL
);
CREATE INDEX execution_reports_request_idx ON execution_reports (request_id, report_date, id);
CREATE TRIGGER execution_reports_append_only BEFORE UPDATE OR DELETE ON execution_reports
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE handovers (
    request_id   bigint      PRIMARY KEY REFERENCES requests (id),
    organization text        NOT NULL CHECK (length(btrim(organization)) BETWEEN 1 AND 200),
    date         date        NOT NULL,
    reason       text        NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    recorded_by  bigint      NOT NULL REFERENCES users (id),
    recorded_at  timestamptz NOT NULL
);
CREATE TRIGGER handovers_append_only BEFORE UPDATE OR DELETE ON handovers
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- The HRDDP assessment; visible only to HRDDP reviewers, the HC and the
-- CMCoord officers (enforced by the services on every channel).
CREATE TABLE hrddp_assessments (
    request_id           bigint      PRIMARY KEY REFERENCES requests (id),
    receiving_entity     text        NOT NULL,
    support_description  text        NOT NULL,
    support_category     text        NOT NULL CHECK (support_category IN ('training', 'authority_support', 'financial', 'logistical', 'operational', 'joint_operation')),
    grave_violations     text        NOT NULL,
    accountability       text        NOT NULL,
    risk_level           text        NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
    benefits_and_risks   text        NOT NULL,
    mitigation           text        NOT NULL DEFAULT '',
    communication        text        NOT NULL DEFAULT '',
    monitoring_plan      text        NOT NULL,
    intervention_process text        NOT NULL,
    outcome              text        NOT NULL CHECK (outcome IN ('support', 'support_with_mitigation', 'no_support')),
    country_mechanism_ref text       NOT NULL DEFAULT '',
    assessed_by          bigint      NOT NULL REFERENCES users (id),
    assessed_at          timestamptz NOT NULL,
    CONSTRAINT hrddp_mitigation_check CHECK (risk_level = 'low' OR btrim(mitigation) <> '')
);
