-- Alert history: one row per incident, merged from its anomaly.* insights.
CREATE FUNCTION pulse_severity_rank(s text) RETURNS integer IMMUTABLE LANGUAGE sql AS $$
    SELECT CASE s WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 WHEN 'info' THEN 1 ELSE 0 END
$$;

CREATE TABLE incidents (
    incident_id      text PRIMARY KEY,
    seq              bigserial NOT NULL UNIQUE, -- insertion order: the API's cursor
    tenant_id        text NOT NULL,
    metric           text NOT NULL,
    window_size      text NOT NULL,
    currency         text NOT NULL DEFAULT '',
    state            text NOT NULL CHECK (state IN ('open', 'resolved')),
    severity         text NOT NULL,           -- of the latest insight
    peak_severity    text NOT NULL,
    peak_score       double precision NOT NULL,
    opened_at        timestamptz NOT NULL,    -- earliest insight's generated_at
    escalated_at     timestamptz,
    resolved_at      timestamptz,
    updated_at       timestamptz NOT NULL,    -- latest insight's generated_at
    first_window_start timestamptz NOT NULL,
    first_window_end   timestamptz NOT NULL,
    last_window_start  timestamptz NOT NULL,
    last_window_end    timestamptz NOT NULL,
    observed         double precision NOT NULL,
    expected         double precision NOT NULL,
    band_low         double precision NOT NULL,
    band_high        double precision NOT NULL,
    message          text NOT NULL,
    first_insight_id text NOT NULL,
    last_insight_id  text NOT NULL,
    updates          integer NOT NULL
);
CREATE INDEX incidents_tenant_seq ON incidents (tenant_id, seq DESC);

-- Every insight applied, so a replay is recognised and changes nothing.
CREATE TABLE incident_insights (
    insight_id   text PRIMARY KEY,
    incident_id  text NOT NULL REFERENCES incidents (incident_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    kind         text NOT NULL,
    severity     text NOT NULL,
    score        double precision NOT NULL,
    generated_at timestamptz NOT NULL
);
CREATE INDEX incident_insights_incident ON incident_insights (incident_id);
