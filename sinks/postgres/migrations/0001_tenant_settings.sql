-- Tenant settings: read at start, refreshed while running (settings_revision).
CREATE TABLE tenant_settings (
    tenant_id    text PRIMARY KEY,
    -- IANA zone of the tenant's calendar-day windows and seasonal baselines.
    time_zone    text NOT NULL DEFAULT 'UTC',
    -- Currency of the amounts in commerce.orders, which has none: the warm
    -- start converts total_amount to minor units of it.
    currency     text NOT NULL DEFAULT 'USD',
    -- Window sizes scored by the detectors ("1h", "1d"); empty: the
    -- process default.
    window_sizes text[] NOT NULL DEFAULT '{}',
    -- Detector per metric: {"*": {...}, "revenue": {"method": "robust",
    -- "threshold": 3, "critical": 5}}; "*" applies to every metric.
    detector     jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (jsonb_typeof(detector) = 'object')
);

-- Muted periods: no anomaly alert opens for the tenant (and metric, or every
-- metric when metric is NULL) in [starts_at, ends_at), e.g. a planned sale.
CREATE TABLE muted_periods (
    id         bigserial PRIMARY KEY,
    tenant_id  text NOT NULL,
    metric     text,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    reason     text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX muted_periods_tenant ON muted_periods (tenant_id, ends_at);

-- One row whose revision moves on every change to either table, deletes
-- included (polling max(updated_at) would miss a delete).
CREATE TABLE settings_revision (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    revision bigint NOT NULL
);
INSERT INTO settings_revision (id, revision) VALUES (true, 1);

CREATE FUNCTION bump_settings_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE settings_revision SET revision = revision + 1;
    PERFORM pg_notify('pulse_settings', '');
    RETURN NULL;
END $$;

CREATE TRIGGER tenant_settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenant_settings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_settings_revision();
CREATE TRIGGER muted_periods_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON muted_periods
    FOR EACH STATEMENT EXECUTE FUNCTION bump_settings_revision();
