-- 018: invoices and refunds are named to tenants by an opaque public id
-- ("inv_" or "rfd_" and 32 hex digits from gen_random_uuid(), a strong
-- random source), never by the bigint primary key, a sequence shared by
-- every org whose values show how many exist and in which order they came.
-- The key stays internal (joins, foreign keys, Stripe's metadata, staff
-- tools); URLs, API answers, CSV exports, cursors and the org's activity
-- log carry the public id (docs/SECURITY.md).
CREATE FUNCTION ob_public_id(prefix text) RETURNS text
	LANGUAGE sql VOLATILE
	AS $$ SELECT prefix || '_' || replace(gen_random_uuid()::text, '-', '') $$;

-- A volatile default is evaluated per row: every existing row gets its own.
ALTER TABLE invoices
	ADD COLUMN public_id text NOT NULL DEFAULT ob_public_id('inv')
	CHECK (public_id ~ '^inv_[0-9a-f]{32}$');
CREATE UNIQUE INDEX invoices_public_id ON invoices (public_id);

ALTER TABLE refunds
	ADD COLUMN public_id text NOT NULL DEFAULT ob_public_id('rfd')
	CHECK (public_id ~ '^rfd_[0-9a-f]{32}$');
CREATE UNIQUE INDEX refunds_public_id ON refunds (public_id);
