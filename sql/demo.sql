-- The demo data set, loaded by `orgbill seed-demo` (make demo runs it).
-- Idempotent: every insert is keyed and skips rows already present.
BEGIN;

INSERT INTO app_settings (key, value)
VALUES ('demo.loaded', to_jsonb(now()))
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;

COMMIT;
