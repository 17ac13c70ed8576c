-- 018: invoices are named to tenants by an opaque public id ("inv_" and 32
-- hex digits from gen_random_uuid(), a strong random source), never by the
-- bigint primary key, a sequence shared by every org whose values show how
-- many invoices exist and in which order they came. The key stays internal
-- (joins, foreign keys, staff tools); URLs, API answers, CSV exports and
-- cursors carry the public id (docs/SECURITY.md).
CREATE FUNCTION ob_public_id(prefix text) RETURNS text
	LANGUAGE sql VOLATILE
	AS $$ SELECT prefix || '_' || replace(gen_random_uuid()::text, '-', '') $$;

-- A volatile default is evaluated per row: every existing invoice gets its own.
ALTER TABLE invoices
	ADD COLUMN public_id text NOT NULL DEFAULT ob_public_id('inv')
	CHECK (public_id ~ '^inv_[0-9a-f]{32}$');
CREATE UNIQUE INDEX invoices_public_id ON invoices (public_id);
