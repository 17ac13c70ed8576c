-- 032: verify_credit_ledger() checks an allocation's `used` against the
-- member's usage since the allocation's period began. Since 009 that
-- period is the org's billing period (org_credit_period: the subscription
-- period's first day) while credit_usage.period_start stays the calendar
-- month, so comparing the two period_start columns reported every
-- allocation of an org whose billing period does not start on the 1st as
-- a mismatch (found by the fault drill: tests/chaos). A reversal carries
-- its deduction's day, so "day >= the allocation's period_start" counts
-- exactly what deduct_credits and allocate_credits_to_user count.
CREATE OR REPLACE FUNCTION verify_credit_ledger()
RETURNS TABLE (what text, id text, stored bigint, computed bigint)
LANGUAGE sql STABLE AS $$
	-- grant remaining = amount - spends
	SELECT 'grant.remaining', g.id::text, g.remaining, g.amount - COALESCE(s.sum, 0)
	FROM credit_grants g LEFT JOIN (SELECT grant_id, sum(amount)::bigint AS sum
	    FROM credit_grant_spends GROUP BY grant_id) s ON s.grant_id = g.id
	WHERE g.remaining <> g.amount - COALESCE(s.sum, 0)
	UNION ALL
	-- pool granted, remaining, used
	SELECT 'pool.granted', p.id::text, p.granted, COALESCE(g.amount, 0)
	FROM credit_pools p LEFT JOIN (SELECT pool_id, sum(amount)::bigint AS amount,
	    sum(remaining)::bigint AS remaining FROM credit_grants GROUP BY pool_id) g
	    ON g.pool_id = p.id
	WHERE p.granted <> COALESCE(g.amount, 0)
	UNION ALL
	SELECT 'pool.remaining', p.id::text, p.remaining, COALESCE(g.remaining, 0)
	FROM credit_pools p LEFT JOIN (SELECT pool_id, sum(remaining)::bigint AS remaining
	    FROM credit_grants GROUP BY pool_id) g ON g.pool_id = p.id
	WHERE p.remaining <> COALESCE(g.remaining, 0)
	UNION ALL
	SELECT 'pool.used', p.id::text, p.used, COALESCE(s.sum, 0)
	FROM credit_pools p LEFT JOIN (SELECT pool_id, sum(amount)::bigint AS sum
	    FROM credit_grant_spends GROUP BY pool_id) s ON s.pool_id = p.id
	WHERE p.used <> COALESCE(s.sum, 0)
	UNION ALL
	-- every deduction (not an extra task) spent exactly its amount; every
	-- reversal refunded exactly what its deduction spent
	SELECT 'usage.spent', u.id::text, u.amount, COALESCE(s.sum, 0)
	FROM credit_usage u LEFT JOIN (SELECT usage_id, sum(amount)::bigint AS sum
	    FROM credit_grant_spends GROUP BY usage_id) s ON s.usage_id = u.id
	WHERE NOT u.extra_task AND u.amount <> COALESCE(s.sum, 0)
	UNION ALL
	SELECT 'usage.orphan', u.id::text, u.pool_id, NULL
	FROM credit_usage u LEFT JOIN credit_pools p ON p.id = u.pool_id
	WHERE p.id IS NULL
	UNION ALL
	-- allocations: used = the member's net usage since the allocation's
	-- period began (its days, not credit_usage.period_start: see above)
	SELECT 'allocation.used', a.pool_id || ':' || a.user_id, a.used, COALESCE(u.sum, 0)
	FROM credit_allocations a LEFT JOIN LATERAL (SELECT sum(x.amount)::bigint AS sum
	    FROM credit_usage x WHERE x.pool_id = a.pool_id AND x.user_id = a.user_id
	    AND x.day >= a.period_start) u ON true
	WHERE a.used <> COALESCE(u.sum, 0)
	UNION ALL
	SELECT 'allocation.limit', a.pool_id || ':' || a.user_id, a.limit_amount, c.new_limit
	FROM credit_allocations a LEFT JOIN LATERAL (SELECT x.new_limit
	    FROM credit_allocation_changes x WHERE x.pool_id = a.pool_id AND x.user_id = a.user_id
	    ORDER BY x.id DESC LIMIT 1) c ON true
	WHERE c.new_limit IS DISTINCT FROM a.limit_amount
	UNION ALL
	-- extra tasks
	SELECT 'extra.tasks', e.org_id || ':' || e.period_start, e.tasks, COALESCE(u.tasks, 0)
	FROM credit_extra_usage e LEFT JOIN (SELECT org_id, period_start,
	    sum(CASE WHEN kind = 'deduction' THEN 1 ELSE -1 END)::bigint AS tasks,
	    sum(amount)::bigint AS credits FROM credit_usage WHERE extra_task GROUP BY 1, 2) u
	    ON u.org_id = e.org_id AND u.period_start = e.period_start
	WHERE e.tasks <> COALESCE(u.tasks, 0) OR e.credits <> COALESCE(u.credits, 0)
	UNION ALL
	-- rollups
	SELECT 'rollup_day', r.pool_id || ':' || r.day || ':' || r.service, r.amount, COALESCE(u.sum, 0)
	FROM credit_rollup_day r LEFT JOIN (SELECT pool_id, day, service, sum(amount)::bigint AS sum
	    FROM credit_usage GROUP BY 1, 2, 3) u
	    ON u.pool_id = r.pool_id AND u.day = r.day AND u.service = r.service
	WHERE r.amount <> COALESCE(u.sum, 0)
	UNION ALL
	SELECT 'rollup_user_day', r.pool_id || ':' || r.day || ':' || r.user_id, r.amount,
	    COALESCE(u.sum, 0)
	FROM credit_rollup_user_day r LEFT JOIN (SELECT pool_id, day, user_id,
	    sum(amount)::bigint AS sum FROM credit_usage GROUP BY 1, 2, 3) u
	    ON u.pool_id = r.pool_id AND u.day = r.day AND u.user_id = r.user_id
	WHERE r.amount <> COALESCE(u.sum, 0)
	UNION ALL
	-- usage without its rollup row
	SELECT 'rollup_day.missing', u.pool_id || ':' || u.day || ':' || u.service, NULL, u.sum
	FROM (SELECT pool_id, day, service, sum(amount)::bigint AS sum FROM credit_usage
	    GROUP BY 1, 2, 3) u LEFT JOIN credit_rollup_day r
	    ON r.pool_id = u.pool_id AND r.day = u.day AND r.service = u.service
	WHERE r.pool_id IS NULL AND u.sum <> 0
$$;
