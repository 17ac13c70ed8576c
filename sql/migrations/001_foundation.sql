-- 001: foundations shared by every later migration.
--
-- Conventions (docs/ARCHITECTURE.md): money is BIGINT minor units with a
-- CHAR(3) ISO currency; credits are BIGINT; every tenant table carries
-- org_id first in its keys; timestamps are timestamptz (UTC on the wire).

-- Keeps updated_at honest on tables that have one.
CREATE OR REPLACE FUNCTION ob_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated_at := now();
	RETURN NEW;
END;
$$;

-- Settings the whole installation shares (feature switches, the version of
-- the demo data set); one row per key.
CREATE TABLE app_settings (
	key        text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]{0,63}$'),
	value      jsonb NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER app_settings_touch BEFORE UPDATE ON app_settings
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();
