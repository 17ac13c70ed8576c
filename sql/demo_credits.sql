-- Demo credits for the demo orgs (acme, globex): grants, allocations, the
-- extra-task setting and 30 days of usage for the Credits page's chart.
-- Loaded by `orgbill seed-demo` after the demo users exist. Idempotent: it
-- does nothing once acme's pool holds demo usage. Every balance is written
-- through the credit functions (or rebuilt from the entries), so
-- `orgbill verify-ledger` holds afterwards.
DO $$
DECLARE
	v_acme bigint := (SELECT id FROM organizations WHERE slug = 'acme');
	v_globex bigint := (SELECT id FROM organizations WHERE slug = 'globex');
	v_pool bigint;
	v_users bigint[];
	v_services text[] := ARRAY['chat', 'embeddings', 'images', 'speech'];
	d int;
	i int;
	s int;
	v_amt bigint;
BEGIN
	IF v_acme IS NULL OR EXISTS (SELECT 1 FROM credit_usage u JOIN credit_pools p
	    ON p.id = u.pool_id WHERE p.org_id = v_acme AND u.idem_key LIKE 'demo-%') THEN
		RETURN;
	END IF;
	PERFORM add_credits_to_pool(v_acme, NULL, 150000, 'purchase', NULL, 100,
	    'demo: annual top-up', 'system', NULL);
	PERFORM add_credits_to_pool(v_acme, NULL, 5000, 'promo', now() + interval '20 days', 50,
	    'demo: launch promotion', 'system', NULL);
	PERFORM grant_plan_credits(v_acme, date_trunc('month', now()),
	    date_trunc('month', now()) + interval '1 month', 40000);
	UPDATE organizations SET allow_extra_tasks = true, max_extra_tasks = 100 WHERE id = v_acme;
	SELECT array_agg(m.user_id ORDER BY m.user_id) INTO v_users FROM memberships m
	    WHERE m.org_id = v_acme AND m.status = 'active';

	-- 30 days of usage, spent through deduct_credits (today), then moved
	-- back to its day; the rollups are rebuilt from the moved entries.
	FOR d IN 0..29 LOOP
		FOR i IN 1..array_length(v_users, 1) LOOP
			FOR s IN 1..array_length(v_services, 1) LOOP
				v_amt := 20 + ((d * 37 + i * 101 + s * 53) % 90) * (5 - s)
				    + (CASE WHEN d % 7 IN (5, 6) THEN 0 ELSE 60 END);
				PERFORM deduct_credits(v_acme, v_users[i], v_amt, v_services[s],
				    CASE s WHEN 1 THEN 'large' WHEN 2 THEN 'small' ELSE NULL END,
				    'demo-' || d || '-' || i || '-' || s, '\x00'::bytea, NULL, NULL);
				UPDATE credit_usage SET created_at = created_at - d * interval '1 day',
				    day = day - d, period_start = credit_period(created_at - d * interval '1 day')
				    WHERE pool_id = (SELECT id FROM credit_pools WHERE org_id = v_acme)
				    AND kind = 'deduction' AND idem_key = 'demo-' || d || '-' || i || '-' || s;
			END LOOP;
		END LOOP;
	END LOOP;
	v_pool := (SELECT id FROM credit_pools WHERE org_id = v_acme);
	DELETE FROM credit_rollup_day WHERE pool_id = v_pool;
	DELETE FROM credit_rollup_user_day WHERE pool_id = v_pool;
	INSERT INTO credit_rollup_day (pool_id, day, service, amount, n)
	SELECT pool_id, day, service, sum(amount), count(*) FILTER (WHERE kind = 'deduction')
	    - count(*) FILTER (WHERE kind = 'reversal')
	FROM credit_usage WHERE pool_id = v_pool GROUP BY 1, 2, 3;
	INSERT INTO credit_rollup_user_day (pool_id, day, user_id, amount, n)
	SELECT pool_id, day, user_id, sum(amount), count(*) FILTER (WHERE kind = 'deduction')
	    - count(*) FILTER (WHERE kind = 'reversal')
	FROM credit_usage WHERE pool_id = v_pool GROUP BY 1, 2, 3;
	-- Allocations after the usage (a new allocation starts from the
	-- member's usage so far this period).
	PERFORM allocate_credits_to_user(v_acme, u.id, CASE u.email
	    WHEN 'member@acme.test' THEN 20000 WHEN 'admin@acme.test' THEN 60000 END, 'system')
	FROM users u WHERE u.email IN ('member@acme.test', 'admin@acme.test');

	IF v_globex IS NOT NULL THEN
		PERFORM grant_plan_credits(v_globex, date_trunc('month', now()),
		    date_trunc('month', now()) + interval '1 month', 10000);
	END IF;
END;
$$;
