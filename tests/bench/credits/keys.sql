-- Meter keys for the benchmark: one per org for orgs 2..K+1 and one for the
-- largest org, inserted directly (secret_hash = sha256(secret), as
-- orgbill apikey create stores it). Prefixes are chosen so that no two
-- land in the same slot of the workers' 1024-slot key cache (the djb2 hash
-- of core/auth.c), so every request is authenticated from the cache.
-- Prints "key org_id first_member_id members" per key, the largest org first.
\set ON_ERROR_STOP on
\pset tuples_only on
\pset format unaligned
\pset fieldsep ' '
DELETE FROM api_keys WHERE name = 'bench-credits';
DO $$
DECLARE
	used int[] := ARRAY[]::int[];
	o int := 1;
	n int := 0;
	attempt int := 0;
	pfx text;
	slot bigint;
	c int;
	want int := current_setting('bench.keys')::int;
BEGIN
	WHILE n < want + 1 LOOP
		attempt := attempt + 1;
		pfx := 'bk' || lpad(o::text, 5, '0') || lpad(attempt::text, 5, '0');
		slot := 5381;
		FOR c IN 1..12 LOOP
			slot := (slot * 33 + ascii(substr(pfx, c, 1))) % 1024;
		END LOOP;
		CONTINUE WHEN slot = ANY (used);
		used := used || slot::int;
		INSERT INTO api_keys (org_id, prefix, secret_hash, name, scopes)
		VALUES (1000000 + o, pfx, sha256(convert_to(rpad('secret' || pfx, 43, 'x'), 'UTF8')),
		    'bench-credits', ARRAY['meter', 'read', 'admin']);
		n := n + 1;
		o := o + 1;
	END LOOP;
END;
$$;
SELECT 'ob_' || prefix || '_' || rpad('secret' || prefix, 43, 'x'), org_id,
       CASE WHEN org_id = 1000001 THEN 10000001 ELSE 10002001 + (org_id - 1000002) * 100 END,
       CASE WHEN org_id = 1000001 THEN 2000 ELSE 100 END
FROM api_keys WHERE name = 'bench-credits' ORDER BY org_id;
