-- 009: credits follow the subscription.
--
-- Member allocations reset at the org's billing period: the current period
-- of its live subscription (any status but canceled or incomplete_expired,
-- the period covering the moment), identified by the period's first day
-- (UTC), as credit_allocations.period_start is a date; an org without one
-- keeps calendar months (credit_period). Pool-wide figures (extra tasks,
-- pool alerts, usage periods) stay on calendar months.
--
-- Seats added mid-period get the plan's per-seat credits for the rest of
-- the period, rounded down (docs/CREDITS.md): a 'seats' grant expiring
-- with the period. Removed seats take nothing back; a seat count already
-- paid for in the period (the period's plan grant, an earlier seat grant)
-- is not paid again.
CREATE FUNCTION org_credit_period(p_org_id bigint, p_at timestamptz) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT COALESCE((SELECT (s.current_period_start AT TIME ZONE 'UTC')::date
	    FROM subscriptions s WHERE s.org_id = p_org_id
	    AND s.status NOT IN ('canceled', 'incomplete_expired')
	    AND s.current_period_start <= p_at AND p_at < s.current_period_end),
	    credit_period(p_at))
$$;

-- Seat grants: source 'seats', the subscription period they belong to
-- (period_start, as for plan grants) and the seat count they paid up to.
ALTER TABLE credit_grants DROP CONSTRAINT credit_grants_source_check;
ALTER TABLE credit_grants ADD CONSTRAINT credit_grants_source_check
	CHECK (source IN ('plan', 'purchase', 'manual', 'promo', 'rollover', 'seats'));
ALTER TABLE credit_grants ADD COLUMN seats_to int CHECK (seats_to BETWEEN 1 AND 100000);
DO $$
DECLARE
	c text;
BEGIN
	FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'credit_grants'::regclass
	    AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%period_start IS NOT NULL%'
	LOOP
		EXECUTE format('ALTER TABLE credit_grants DROP CONSTRAINT %I', c);
	END LOOP;
END;
$$;
ALTER TABLE credit_grants ADD CONSTRAINT credit_grants_period_check
	CHECK ((source IN ('plan', 'seats')) = (period_start IS NOT NULL));
ALTER TABLE credit_grants ADD CONSTRAINT credit_grants_seats_check
	CHECK ((source = 'seats') = (seats_to IS NOT NULL));
CREATE UNIQUE INDEX credit_grants_seats_mark ON credit_grants (pool_id, period_start, seats_to)
	WHERE source = 'seats';

-- Grant the plan's per-seat credits for seats added at p_at to the
-- subscription period [p_period_start, p_period_end): for the seats above
-- the period's mark (the most seats already paid for in it: p_seats_from,
-- the plan grant's seats, earlier seat grants), p_per_seat × seats ×
-- (p_period_end − p_at) / (p_period_end − p_period_start), rounded down.
-- amount 0 (and created false, grant_id NULL) when nothing is due: no seat
-- above the mark, or less than one credit left to give.
CREATE FUNCTION grant_seat_credits(p_org_id bigint, p_period_start timestamptz,
    p_period_end timestamptz, p_at timestamptz, p_per_seat bigint, p_seats_from int,
    p_seats_to int)
RETURNS TABLE (grant_id bigint, created boolean, seats_added int, amount bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_pool bigint;
	v_mark bigint;
	v_added int;
	v_amount bigint;
	v_id bigint;
BEGIN
	IF p_per_seat IS NULL OR p_per_seat < 0 OR p_seats_from < 0 OR p_seats_to < 0 THEN
		RAISE EXCEPTION 'seats and credits must be zero or more' USING ERRCODE = '22023';
	END IF;
	IF p_at < p_period_start OR p_at >= p_period_end THEN
		RAISE EXCEPTION 'the change is outside the period' USING ERRCODE = '22023';
	END IF;
	v_pool := credit_pool_lock(p_org_id, NULL);
	SELECT greatest(p_seats_from,
	    COALESCE((SELECT max(g.seats_to) FROM credit_grants g WHERE g.pool_id = v_pool
	        AND g.source = 'seats' AND g.period_start = p_period_start), 0),
	    COALESCE((SELECT g.amount / nullif(p_per_seat, 0) FROM credit_grants g
	        WHERE g.pool_id = v_pool AND g.source = 'plan'
	        AND g.period_start = p_period_start), 0))
	    INTO v_mark;
	v_added := greatest(p_seats_to - v_mark, 0)::int;
	-- Integers only (whole seconds): bigint division of positive values
	-- rounds down; an overflow raises rather than rounding.
	v_amount := (p_per_seat * v_added
	    * extract(epoch FROM p_period_end - p_at)::bigint)
	    / extract(epoch FROM p_period_end - p_period_start)::bigint;
	IF v_amount <= 0 THEN
		RETURN QUERY SELECT NULL::bigint, false, v_added, 0::bigint;
		RETURN;
	END IF;
	INSERT INTO credit_grants (pool_id, org_id, source, amount, remaining, priority,
	    expires_at, period_start, seats_to, reason, actor)
	VALUES (v_pool, p_org_id, 'seats', v_amount, v_amount, 100, p_period_end, p_period_start,
	    p_seats_to, format('%s seats added (%s to %s), prorated', v_added, v_mark, p_seats_to),
	    'system')
	RETURNING id INTO v_id;
	UPDATE credit_pools SET granted = granted + v_amount, remaining = remaining + v_amount,
	    updated_at = now() WHERE id = v_pool;
	RETURN QUERY SELECT v_id, true, v_added, v_amount;
END;
$$;

-- Allocations: the org's period (org_credit_period) instead of the month.
CREATE OR REPLACE FUNCTION allocate_credits_to_user(p_org_id bigint, p_user_id bigint, p_limit bigint,
    p_actor text)
RETURNS TABLE (status text, limit_amount bigint, used bigint, previous_limit bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_pool bigint;
	v_period date := org_credit_period(p_org_id, now());
	v_a record;
	v_used bigint;
BEGIN
	IF p_limit IS NULL OR p_limit < 0 THEN
		RAISE EXCEPTION 'limit must be zero or more' USING ERRCODE = '22023';
	END IF;
	PERFORM 1 FROM memberships m WHERE m.org_id = p_org_id AND m.user_id = p_user_id
	    AND m.status = 'active';
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'not_member'::text, NULL::bigint, NULL::bigint, NULL::bigint;
		RETURN;
	END IF;
	v_pool := credit_pool_lock(p_org_id, NULL);
	SELECT a.limit_amount, a.used, a.period_start INTO v_a FROM credit_allocations a
	    WHERE a.pool_id = v_pool AND a.user_id = p_user_id FOR UPDATE;
	IF FOUND THEN
		v_used := CASE WHEN v_a.period_start < v_period THEN 0 ELSE v_a.used END;
		UPDATE credit_allocations SET limit_amount = p_limit, used = v_used,
		    period_start = v_period, updated_at = now()
		    WHERE pool_id = v_pool AND user_id = p_user_id;
	ELSE
		SELECT COALESCE(sum(r.amount), 0)::bigint INTO v_used FROM credit_rollup_user_day r
		    WHERE r.pool_id = v_pool AND r.user_id = p_user_id AND r.day >= v_period;
		v_used := greatest(v_used, 0);
		INSERT INTO credit_allocations (pool_id, user_id, org_id, limit_amount, used, period_start)
		VALUES (v_pool, p_user_id, p_org_id, p_limit, v_used, v_period);
	END IF;
	INSERT INTO credit_allocation_changes (pool_id, org_id, user_id, old_limit, new_limit, actor)
	VALUES (v_pool, p_org_id, p_user_id, v_a.limit_amount, p_limit, p_actor);
	RETURN QUERY SELECT 'ok'::text, p_limit, v_used, v_a.limit_amount;
END;
$$;


CREATE OR REPLACE FUNCTION has_sufficient_credits(p_org_id bigint, p_user_id bigint, p_amount bigint)
RETURNS TABLE (sufficient boolean, reason text, pool_available bigint,
    allocation_remaining bigint)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
	v_org bigint := COALESCE(p_org_id, credit_default_org(p_user_id));
	v_pool bigint;
	v_avail bigint := 0;
	v_a record;
	v_alloc_rem bigint;
	v_period date := credit_period(now());
	v_alloc_period date := org_credit_period(v_org, now());
	v_ok_extra boolean := false;
BEGIN
	IF v_org IS NOT NULL THEN
		PERFORM 1 FROM memberships m WHERE m.org_id = v_org AND m.user_id = p_user_id
		    AND m.status = 'active';
		IF NOT FOUND THEN
			RETURN QUERY SELECT false, 'not_member'::text, NULL::bigint, NULL::bigint;
			RETURN;
		END IF;
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.org_id = v_org;
	ELSE
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.user_id = p_user_id;
	END IF;
	IF v_pool IS NOT NULL THEN
		v_avail := credit_pool_available(v_pool);
		SELECT a.limit_amount, a.used, a.period_start INTO v_a FROM credit_allocations a
		    WHERE a.pool_id = v_pool AND a.user_id = p_user_id;
		IF FOUND THEN
			v_alloc_rem := v_a.limit_amount -
			    CASE WHEN v_a.period_start < v_alloc_period THEN 0 ELSE v_a.used END;
			IF v_alloc_rem < p_amount THEN
				RETURN QUERY SELECT false, 'insufficient_allocation'::text, v_avail, v_alloc_rem;
				RETURN;
			END IF;
		END IF;
	END IF;
	IF v_avail >= p_amount THEN
		RETURN QUERY SELECT true, 'ok'::text, v_avail, v_alloc_rem;
		RETURN;
	END IF;
	IF v_org IS NOT NULL THEN
		SELECT o.allow_extra_tasks AND (o.max_extra_tasks = -1 OR o.max_extra_tasks >
		    COALESCE((SELECT e.tasks FROM credit_extra_usage e WHERE e.org_id = o.id
		    AND e.period_start = v_period), 0))
		    INTO v_ok_extra FROM organizations o WHERE o.id = v_org;
	END IF;
	IF v_ok_extra AND v_pool IS NOT NULL THEN
		RETURN QUERY SELECT true, 'extra_task'::text, v_avail, v_alloc_rem;
	ELSE
		RETURN QUERY SELECT false, 'insufficient_pool'::text, v_avail, v_alloc_rem;
	END IF;
END;
$$;


CREATE OR REPLACE FUNCTION deduct_credits(p_org_id bigint, p_user_id bigint, p_amount bigint,
    p_service text, p_model text, p_key text, p_hash bytea, p_metadata jsonb,
    p_api_key_id bigint)
RETURNS TABLE (status text, deduction_id bigint, replayed boolean, pool_remaining bigint,
    allocation_remaining bigint, extra_task boolean, created_at timestamptz, org_id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_org bigint := p_org_id;
	v_now timestamptz := now();
	v_period date := credit_period(now());
	v_day date := (now() AT TIME ZONE 'UTC')::date;
	v_pool bigint;
	v_u record;
	v_limit bigint;
	v_aused bigint;
	v_aperiod date;
	v_alloc_period date;
	v_has_alloc boolean := false;
	v_alloc_used bigint := 0;
	v_live_rem bigint;
	v_live_amt bigint;
	v_allow boolean := false;
	v_max bigint := 0;
	v_tasks bigint;
	v_extra boolean := false;
	v_need bigint;
	v_take bigint;
	v_id bigint;
	v_alloc_rem bigint;
	g record;
BEGIN
	IF p_amount IS NULL OR p_amount <= 0 THEN
		RAISE EXCEPTION 'amount must be positive' USING ERRCODE = '22023';
	END IF;
	IF v_org IS NULL THEN
		v_org := credit_default_org(p_user_id);
	END IF;
	IF v_org IS NOT NULL THEN
		PERFORM 1 FROM memberships m WHERE m.org_id = v_org AND m.user_id = p_user_id
		    AND m.status = 'active';
		IF NOT FOUND THEN
			RETURN QUERY SELECT 'not_member'::text, NULL::bigint, false, NULL::bigint,
			    NULL::bigint, false, NULL::timestamptz, v_org;
			RETURN;
		END IF;
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.org_id = v_org FOR UPDATE;
	ELSE
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.user_id = p_user_id FOR UPDATE;
	END IF;
	IF v_pool IS NULL THEN
		RETURN QUERY SELECT 'insufficient_pool'::text, NULL::bigint, false, 0::bigint,
		    NULL::bigint, false, NULL::timestamptz, v_org;
		RETURN;
	END IF;

	-- Idempotency, under the pool lock: a concurrent twin waits and then
	-- sees the first one's row.
	SELECT u.id, u.request_hash, u.pool_remaining, u.allocation_remaining, u.extra_task,
	    u.created_at, u.user_id
	    INTO v_u FROM credit_usage u
	    WHERE u.pool_id = v_pool AND u.kind = 'deduction' AND u.idem_key = p_key;
	IF FOUND THEN
		IF v_u.request_hash IS DISTINCT FROM p_hash THEN
			RETURN QUERY SELECT 'idempotency_mismatch'::text, v_u.id, true, NULL::bigint,
			    NULL::bigint, false, v_u.created_at, v_org;
		ELSE
			RETURN QUERY SELECT 'ok'::text, v_u.id, true, v_u.pool_remaining,
			    v_u.allocation_remaining, v_u.extra_task, v_u.created_at, v_org;
		END IF;
		RETURN;
	END IF;

	SELECT COALESCE(sum(g2.remaining), 0)::bigint, COALESCE(sum(g2.amount), 0)::bigint
	    INTO v_live_rem, v_live_amt FROM credit_grants g2
	    WHERE g2.pool_id = v_pool AND (g2.expires_at IS NULL OR g2.expires_at > v_now);

	IF v_org IS NOT NULL THEN
		v_alloc_period := org_credit_period(v_org, v_now);
		SELECT a.limit_amount, a.used, a.period_start INTO v_limit, v_aused, v_aperiod
		    FROM credit_allocations a
		    WHERE a.pool_id = v_pool AND a.user_id = p_user_id FOR UPDATE;
		v_has_alloc := FOUND;
		IF v_has_alloc THEN
			v_alloc_used := CASE WHEN v_aperiod < v_alloc_period THEN 0 ELSE v_aused END;
			IF v_alloc_used + p_amount > v_limit THEN
				RETURN QUERY SELECT 'insufficient_allocation'::text, NULL::bigint, false,
				    v_live_rem, v_limit - v_alloc_used, false,
				    NULL::timestamptz, v_org;
				RETURN;
			END IF;
		END IF;
	END IF;

	IF v_live_rem < p_amount THEN
		IF v_org IS NOT NULL THEN
			SELECT o.allow_extra_tasks, o.max_extra_tasks INTO v_allow, v_max
			    FROM organizations o WHERE o.id = v_org;
		END IF;
		IF v_allow AND v_max <> 0 THEN
			SELECT e.tasks INTO v_tasks FROM credit_extra_usage e
			    WHERE e.org_id = v_org AND e.period_start = v_period FOR UPDATE;
			IF v_max = -1 OR COALESCE(v_tasks, 0) < v_max THEN
				v_extra := true;
			END IF;
		END IF;
		IF NOT v_extra THEN
			RETURN QUERY SELECT 'insufficient_pool'::text, NULL::bigint, false, v_live_rem,
			    CASE WHEN v_has_alloc THEN v_limit - v_alloc_used END, false,
			    NULL::timestamptz, v_org;
			RETURN;
		END IF;
	END IF;

	v_alloc_rem := CASE WHEN v_has_alloc THEN v_limit - v_alloc_used - p_amount END;
	INSERT INTO credit_usage (pool_id, org_id, user_id, kind, amount, extra_task,
	    period_start, day, service, model, idem_key, request_hash, metadata, api_key_id,
	    pool_remaining, allocation_remaining, created_at)
	VALUES (v_pool, v_org, p_user_id, 'deduction', p_amount, v_extra, v_period, v_day,
	    p_service, p_model, p_key, p_hash, p_metadata, p_api_key_id,
	    CASE WHEN v_extra THEN v_live_rem ELSE v_live_rem - p_amount END, v_alloc_rem, v_now)
	RETURNING id INTO v_id;

	IF v_extra THEN
		INSERT INTO credit_extra_usage AS e (org_id, period_start, tasks, credits)
		VALUES (v_org, v_period, 1, p_amount)
		ON CONFLICT (org_id, period_start) DO UPDATE
		    SET tasks = e.tasks + 1, credits = e.credits + EXCLUDED.credits;
	ELSE
		v_need := p_amount;
		FOR g IN SELECT g3.id, g3.remaining FROM credit_grants g3
		    WHERE g3.pool_id = v_pool AND g3.remaining > 0
		    AND (g3.expires_at IS NULL OR g3.expires_at > v_now)
		    ORDER BY g3.priority, g3.expires_at, g3.id FOR UPDATE
		LOOP
			v_take := least(g.remaining, v_need);
			UPDATE credit_grants SET remaining = remaining - v_take WHERE id = g.id;
			INSERT INTO credit_grant_spends (usage_id, grant_id, pool_id, amount)
			VALUES (v_id, g.id, v_pool, v_take);
			v_need := v_need - v_take;
			EXIT WHEN v_need = 0;
		END LOOP;
		IF v_need <> 0 THEN
			RAISE EXCEPTION 'credit pool % changed under its lock', v_pool;
		END IF;
		UPDATE credit_pools SET used = used + p_amount, remaining = remaining - p_amount,
		    updated_at = v_now WHERE id = v_pool;
	END IF;

	IF v_has_alloc THEN
		UPDATE credit_allocations SET used = v_alloc_used + p_amount,
		    period_start = v_alloc_period, updated_at = v_now
		    WHERE pool_id = v_pool AND user_id = p_user_id;
	END IF;

	INSERT INTO credit_rollup_day AS r (pool_id, day, service, amount, n)
	VALUES (v_pool, v_day, p_service, p_amount, 1)
	ON CONFLICT (pool_id, day, service) DO UPDATE
	    SET amount = r.amount + EXCLUDED.amount, n = r.n + 1;
	INSERT INTO credit_rollup_user_day AS r (pool_id, day, user_id, amount, n)
	VALUES (v_pool, v_day, p_user_id, p_amount, 1)
	ON CONFLICT (pool_id, day, user_id) DO UPDATE
	    SET amount = r.amount + EXCLUDED.amount, n = r.n + 1;

	-- Alerts: only when this deduction can reach 75 % (cheap test first).
	IF (v_live_amt - v_live_rem + p_amount) * 100 >= v_live_amt * 75 THEN
		PERFORM credit_alert_check(v_pool, v_org, 0, v_period, v_live_amt - v_live_rem,
		    least(v_live_amt, v_live_amt - v_live_rem + p_amount), v_live_amt);
	END IF;
	IF v_has_alloc AND (v_alloc_used + p_amount) * 100 >= v_limit * 75 THEN
		PERFORM credit_alert_check(v_pool, v_org, p_user_id, v_alloc_period, v_alloc_used,
		    v_alloc_used + p_amount, v_limit);
	END IF;

	RETURN QUERY SELECT 'ok'::text, v_id, false,
	    CASE WHEN v_extra THEN v_live_rem ELSE v_live_rem - p_amount END,
	    v_alloc_rem, v_extra, v_now, v_org;
END;
$$;

