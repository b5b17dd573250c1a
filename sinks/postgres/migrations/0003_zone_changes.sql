-- Time zone changes reach running replicas at a day boundary they all agree
-- on: a row remembers the zone before its latest change and when the change
-- was saved (set by the trigger, by the database clock), and every replica
-- cuts the same days from them (windows.Zone). previous_time_zone NULL with
-- a zone_changed_at means the tenant had no row before: the process default.
ALTER TABLE tenant_settings
    ADD COLUMN previous_time_zone text,
    ADD COLUMN zone_changed_at timestamptz;

CREATE FUNCTION remember_zone_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.previous_time_zone := NULL;
        NEW.zone_changed_at := now();
    ELSIF NEW.time_zone IS DISTINCT FROM OLD.time_zone THEN
        NEW.previous_time_zone := OLD.time_zone;
        NEW.zone_changed_at := now();
    ELSE
        NEW.previous_time_zone := OLD.previous_time_zone;
        NEW.zone_changed_at := OLD.zone_changed_at;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER tenant_zone_changed BEFORE INSERT OR UPDATE ON tenant_settings
    FOR EACH ROW EXECUTE FUNCTION remember_zone_change();
