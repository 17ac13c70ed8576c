-- The credits benchmark's data set, generated inside PostgreSQL:
--   10,000 orgs; 1,001,900 members (org 1,000,001 — "the largest" — has
--   2,000, every other org 100); 10,000,000 usage rows over the last 30
--   days, 1,500,000 of them in the largest org; the daily rollups built
--   from them; one large grant per org; allocations for the largest org.
-- Ids are fixed so the load scripts can compute them:
--   org o (1..10000)        id 1000000 + o
--   members of org 1        users 10000001 .. 10002000
--   members of org o >= 2   users 10002000 + (o-2)*100 + 1 .. +100
-- The generated usage rows carry no grant-spend entries (the data set is
-- for timing, not a ledger): `orgbill verify-ledger` is not meaningful on it.
\set ON_ERROR_STOP on
SET maintenance_work_mem = '512MB';
SET synchronous_commit = off;	-- the load only; the benchmark runs with it on
\timing on

BEGIN;
INSERT INTO organizations (id, name, slug)
OVERRIDING SYSTEM VALUE
SELECT 1000000 + o, 'Bench org ' || o, 'bench-' || o FROM generate_series(1, 10000) o;

INSERT INTO users (id, email, name, default_org_id)
OVERRIDING SYSTEM VALUE
SELECT 10000000 + u, 'u' || u || '@bench.test', 'User ' || u,
       CASE WHEN u <= 2000 THEN 1000001 ELSE 1000002 + (u - 2001) / 100 END
FROM generate_series(1, 1001900) u;

INSERT INTO memberships (org_id, user_id, role, status)
SELECT CASE WHEN u <= 2000 THEN 1000001 ELSE 1000002 + (u - 2001) / 100 END,
       10000000 + u,
       CASE WHEN u = 1 OR (u > 2000 AND (u - 2001) % 100 = 0) THEN 'owner' ELSE 'member' END,
       'active'
FROM generate_series(1, 1001900) u;

INSERT INTO credit_pools (org_id, granted, used, remaining)
SELECT 1000000 + o, 1000000000000, 0, 1000000000000 FROM generate_series(1, 10000) o;
INSERT INTO credit_grants (pool_id, org_id, source, amount, remaining, priority, reason, actor)
SELECT p.id, p.org_id, 'purchase', 1000000000000, 1000000000000, 100, 'bench', 'bench'
FROM credit_pools p WHERE p.org_id > 1000000;
COMMIT;

-- 10M usage rows: the first 1.5M in the largest org.
DROP INDEX credit_usage_key;
BEGIN;
INSERT INTO credit_usage (pool_id, org_id, user_id, kind, amount, period_start, day,
    service, idem_key, request_hash, pool_remaining, created_at)
SELECT p.id, x.org, x.usr, 'deduction', x.amount, credit_period(x.ts),
       (x.ts AT TIME ZONE 'UTC')::date, x.service, 'gen-' || x.n, '\x00'::bytea, 0, x.ts
FROM (
	SELECT n,
	       CASE WHEN n <= 1500000 THEN 1000001 ELSE 1000002 + (n % 9999) END AS org,
	       CASE WHEN n <= 1500000 THEN 10000001 + (n * 7919) % 2000
	            ELSE 10002001 + ((n % 9999)) * 100 + (n * 31) % 100 END AS usr,
	       1 + (n * 13) % 100 AS amount,
	       (ARRAY['chat', 'embeddings', 'images', 'speech'])[1 + (n % 4)] AS service,
	       now() - ((n * 104729) % 2592000) * interval '1 second' AS ts
	FROM generate_series(1::bigint, 10000000::bigint) n
) x JOIN credit_pools p ON p.org_id = x.org;
COMMIT;
CREATE UNIQUE INDEX credit_usage_key ON credit_usage (pool_id, kind, idem_key);

BEGIN;
INSERT INTO credit_rollup_day (pool_id, day, service, amount, n)
SELECT pool_id, day, service, sum(amount), count(*) FROM credit_usage
WHERE idem_key LIKE 'gen-%' GROUP BY 1, 2, 3;
INSERT INTO credit_rollup_user_day (pool_id, day, user_id, amount, n)
SELECT pool_id, day, user_id, sum(amount), count(*) FROM credit_usage
WHERE idem_key LIKE 'gen-%' GROUP BY 1, 2, 3;
UPDATE credit_pools p SET used = u.s, remaining = p.granted - u.s
FROM (SELECT pool_id, sum(amount) AS s FROM credit_usage GROUP BY 1) u WHERE u.pool_id = p.id;
UPDATE credit_grants g SET remaining = p.remaining FROM credit_pools p
WHERE p.id = g.pool_id AND p.org_id > 1000000;
-- Allocations: every member of the largest org, a limit that never binds.
INSERT INTO credit_allocations (pool_id, user_id, org_id, limit_amount, used, period_start)
SELECT p.id, m.user_id, m.org_id, 1000000000000,
       COALESCE((SELECT sum(r.amount) FROM credit_rollup_user_day r WHERE r.pool_id = p.id
           AND r.user_id = m.user_id AND r.day >= credit_period(now())), 0),
       credit_period(now())
FROM memberships m JOIN credit_pools p ON p.org_id = m.org_id WHERE m.org_id = 1000001;
INSERT INTO credit_allocation_changes (pool_id, org_id, user_id, old_limit, new_limit, actor)
SELECT pool_id, org_id, user_id, NULL, limit_amount, 'bench' FROM credit_allocations
WHERE org_id = 1000001;
INSERT INTO app_settings (key, value) VALUES ('bench.credits', to_jsonb(now()))
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
COMMIT;
VACUUM ANALYZE;
