-- 025: budgets (docs/BUDGETS.md).
--
-- Teams inside departments; budgets per scope (org, department, team,
-- member) and calendar period (UTC months, quarters, years); the spend of
-- each budget per period; threshold alerts once per threshold and period;
-- and the metering call (deduct_credits) refusing a deduction that would
-- take any hard budget above the member past its limit.
--
-- Lock order (every writer of budget_spend): the org's credit pool row
-- (credit_pools, FOR UPDATE), then the member's allocation, then the
-- budget_spend rows by scope rank (org, department, team, member) and
-- budget id. The pool lock serializes an org's spenders; budget rows are
-- read, not locked (an edit counts from the next deduction on).

-- Teams: inside a department (memberships.department, '' for none). A
-- member belongs to at most one team, of their own department.
CREATE TABLE teams (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id      bigint NOT NULL REFERENCES organizations (id),
	department  text NOT NULL DEFAULT '' CHECK (length(department) <= 100),
	name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	created_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (org_id, name),
	UNIQUE (org_id, id)
);
ALTER TABLE memberships ADD COLUMN team_id bigint;
ALTER TABLE memberships ADD CONSTRAINT memberships_team_fk FOREIGN KEY (org_id, team_id)
	REFERENCES teams (org_id, id);
CREATE INDEX memberships_team ON memberships (team_id) WHERE team_id IS NOT NULL;

-- A member's team must be of the member's department (checked whichever
-- of the two changes).
CREATE FUNCTION memberships_team_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.team_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM teams t
	    WHERE t.org_id = NEW.org_id AND t.id = NEW.team_id
	    AND t.department = NEW.department) THEN
		RAISE EXCEPTION 'the team is not in the member''s department' USING ERRCODE = '22023';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER memberships_team BEFORE INSERT OR UPDATE OF team_id, department ON memberships
	FOR EACH ROW EXECUTE FUNCTION memberships_team_check();

-- Budgets. limit_credits is what the hot path compares with: amount_credits,
-- or amount_minor converted at price_per_1000 (minor units per 1000
-- credits) rounded DOWN — floor(amount_minor × 1000 / price_per_1000) —
-- so a budget in money never lets through more than its money's worth;
-- with both, the smaller. Converted when the budget is written.
CREATE TABLE budgets (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id          bigint NOT NULL REFERENCES organizations (id),
	scope           text NOT NULL CHECK (scope IN ('org', 'department', 'team', 'member')),
	department      text CHECK (length(department) BETWEEN 1 AND 100),
	team_id         bigint,
	user_id         bigint REFERENCES users (id),
	period          text NOT NULL CHECK (period IN ('monthly', 'quarterly', 'annual')),
	mode            text NOT NULL CHECK (mode IN ('soft', 'hard')),
	amount_credits  bigint CHECK (amount_credits BETWEEN 0 AND 1000000000000000),
	amount_minor    bigint CHECK (amount_minor BETWEEN 0 AND 1000000000000),
	currency        char(3) NOT NULL DEFAULT 'usd',
	price_per_1000  bigint CHECK (price_per_1000 > 0),
	limit_credits   bigint NOT NULL CHECK (limit_credits >= 0),
	thresholds      int[] NOT NULL DEFAULT '{75,90,100}',
	name            text NOT NULL DEFAULT '' CHECK (length(name) <= 100),
	status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
	created_by      text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id),
	CHECK (amount_credits IS NOT NULL OR amount_minor IS NOT NULL),
	CHECK ((amount_minor IS NOT NULL) = (price_per_1000 IS NOT NULL)),
	CHECK ((scope = 'department') = (department IS NOT NULL)),
	CHECK ((scope = 'team') = (team_id IS NOT NULL)),
	CHECK ((scope = 'member') = (user_id IS NOT NULL)),
	CHECK (cardinality(thresholds) BETWEEN 1 AND 5 AND array_ndims(thresholds) = 1
	    AND 1 <= ALL (thresholds) AND 100 >= ALL (thresholds))
);
-- One active budget per scope target and period.
CREATE UNIQUE INDEX budgets_one ON budgets (org_id, scope, COALESCE(department, ''),
	COALESCE(team_id, 0), COALESCE(user_id, 0), period) WHERE status = 'active';
-- The hot path's test "has this org any budget?": one index probe.
CREATE INDEX budgets_org_active ON budgets (org_id) WHERE status = 'active';
CREATE TRIGGER budgets_touch BEFORE UPDATE ON budgets
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- Spend per budget per period (the period's first day, UTC).
CREATE TABLE budget_spend (
	budget_id     bigint NOT NULL REFERENCES budgets (id),
	period_start  date NOT NULL,
	spent         bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
	PRIMARY KEY (budget_id, period_start)
);

-- Thresholds already announced: one row per budget, period and threshold.
CREATE TABLE budget_alerts (
	budget_id     bigint NOT NULL REFERENCES budgets (id),
	period_start  date NOT NULL,
	threshold     int NOT NULL,
	spent         bigint NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (budget_id, period_start, threshold)
);

-- The first day (UTC) of the calendar period containing p_at.
CREATE FUNCTION budget_period_start(p_period text, p_at timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT date_trunc(CASE p_period WHEN 'monthly' THEN 'month' WHEN 'quarterly' THEN 'quarter'
	    ELSE 'year' END, p_at AT TIME ZONE 'UTC')::date
$$;

-- The day after the period starting p_start.
CREATE FUNCTION budget_period_end(p_period text, p_start date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT (p_start + CASE p_period WHEN 'monthly' THEN interval '1 month'
	    WHEN 'quarterly' THEN interval '3 months' ELSE interval '1 year' END)::date
$$;

-- Scope rank in the lock order.
CREATE FUNCTION budget_scope_rank(p_scope text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE p_scope WHEN 'org' THEN 0 WHEN 'department' THEN 1 WHEN 'team' THEN 2 ELSE 3 END
$$;

-- Announce the thresholds of budget p_budget that spend from p_before to
-- p_after crossed in the period: once per threshold and period (the
-- budget_alerts row), an audit row and an e-mail (outbox) to the org's
-- billing contacts and owners, and to the member for a member budget.
CREATE FUNCTION budget_alert_check(p_budget bigint, p_period date, p_before bigint,
    p_after bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	b record;
	t int;
	n int;
	v_what text;
BEGIN
	SELECT bu.id, bu.org_id, bu.scope, bu.department, bu.team_id, bu.user_id, bu.period,
	    bu.limit_credits, bu.thresholds, bu.name, o.name AS org_name
	    INTO b FROM budgets bu JOIN organizations o ON o.id = bu.org_id WHERE bu.id = p_budget;
	IF NOT FOUND OR b.limit_credits <= 0 THEN
		RETURN;
	END IF;
	v_what := CASE b.scope WHEN 'org' THEN 'the organization'
	    WHEN 'department' THEN 'department ' || b.department
	    WHEN 'team' THEN 'team ' || COALESCE((SELECT t2.name FROM teams t2 WHERE t2.id = b.team_id), '')
	    ELSE 'member ' || COALESCE((SELECT u.email FROM users u WHERE u.id = b.user_id), '') END;
	FOREACH t IN ARRAY b.thresholds LOOP
		IF p_before * 100 < b.limit_credits * t AND p_after * 100 >= b.limit_credits * t THEN
			INSERT INTO budget_alerts (budget_id, period_start, threshold, spent)
			VALUES (p_budget, p_period, t, p_after) ON CONFLICT DO NOTHING;
			GET DIAGNOSTICS n = ROW_COUNT;
			IF n = 1 THEN
				INSERT INTO audit_log (org_id, actor_type, actor_id, action, target_type,
				    target_id, after)
				VALUES (b.org_id, 'system', 'budgets', 'budget.alert', 'budget', p_budget::text,
				    jsonb_build_object('threshold', t, 'spent', p_after::text,
				        'limit_credits', b.limit_credits::text,
				        'period_start', p_period::text, 'scope', b.scope));
				INSERT INTO outbox (org_id, kind, dedupe_key, to_addr, subject, body)
				SELECT b.org_id, 'budget_alert',
				    format('budget-alert:%s:%s:%s:%s', p_budget, p_period, t, x.addr), x.addr,
				    left(format('%s: %s%% of the %s budget of %s', b.org_name, t, b.period,
				        v_what), 200),
				    format(E'The %s budget of %s in %s has reached %s%% for the period starting %s.\n\n'
				        'Spent: %s credits of %s.\n', b.period, v_what, b.org_name, t, p_period,
				        p_after, b.limit_credits)
				FROM (SELECT DISTINCT lower(a.addr) AS addr FROM (
				    SELECT o.billing_email AS addr FROM organizations o WHERE o.id = b.org_id
				    UNION ALL SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
				    WHERE m.org_id = b.org_id AND m.status = 'active'
				    AND (m.role IN ('owner', 'billing') OR m.user_id = b.user_id)) a
				    WHERE a.addr IS NOT NULL LIMIT 20) x
				ON CONFLICT (dedupe_key) DO NOTHING;
			END IF;
		END IF;
	END LOOP;
END;
$$;

-- The spend of the member's scopes in the current period so far, from the
-- per-user daily rollups (what a budget made mid-period starts from).
CREATE FUNCTION budget_spent_so_far(p_budget bigint, p_at timestamptz) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT COALESCE(sum(r.amount), 0)::bigint
	FROM budgets b JOIN credit_pools p ON p.org_id = b.org_id
	JOIN credit_rollup_user_day r ON r.pool_id = p.id
	    AND r.day >= budget_period_start(b.period, p_at)
	WHERE b.id = p_budget AND (b.scope = 'org'
	    OR (b.scope = 'member' AND r.user_id = b.user_id)
	    OR (b.scope IN ('department', 'team') AND EXISTS (SELECT 1 FROM memberships m
	        WHERE m.org_id = b.org_id AND m.user_id = r.user_id
	        AND (m.department = b.department OR m.team_id = b.team_id))))
$$;

-- One-off allowances: credits a hard budget may be exceeded by in a period
-- (an approved exception, 030), consumed once by the deductions that need
-- them: only the part of a deduction above the limit takes from them.
CREATE TABLE budget_allowances (
	request_id    bigint PRIMARY KEY,		-- the approved request (030)
	budget_id     bigint NOT NULL REFERENCES budgets (id),
	period_start  date NOT NULL,
	amount        bigint NOT NULL CHECK (amount > 0),
	remaining     bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount)
);
CREATE INDEX budget_allowances_open ON budget_allowances (budget_id, period_start)
	WHERE remaining > 0;

-- Take p_need credits from budget p_budget's open allowances of the period
-- (oldest first), all or nothing: true when they cover it. Called by
-- deduct_credits under the pool lock, only when a hard budget would refuse.
CREATE FUNCTION budget_allowance_take(p_budget bigint, p_period date, p_need bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	a record;
	v_need bigint := p_need;
	v_take bigint;
BEGIN
	IF COALESCE((SELECT sum(x.remaining) FROM budget_allowances x WHERE x.budget_id = p_budget
	    AND x.period_start = p_period AND x.remaining > 0), 0) < p_need THEN
		RETURN false;
	END IF;
	FOR a IN SELECT x.request_id, x.remaining FROM budget_allowances x
	    WHERE x.budget_id = p_budget AND x.period_start = p_period AND x.remaining > 0
	    ORDER BY x.request_id FOR UPDATE
	LOOP
		v_take := least(a.remaining, v_need);
		UPDATE budget_allowances SET remaining = remaining - v_take WHERE request_id = a.request_id;
		v_need := v_need - v_take;
		EXIT WHEN v_need = 0;
	END LOOP;
	RETURN true;
END;
$$;

-- Open a budget's current period: its spend row, started from what its
-- scope spent since the period began (under the pool lock, as deductions).
CREATE FUNCTION budget_open(p_budget bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_org bigint;
	v_period text;
	v_spent bigint;
BEGIN
	SELECT b.org_id, b.period INTO v_org, v_period FROM budgets b WHERE b.id = p_budget;
	PERFORM credit_pool_lock(v_org, NULL);
	v_spent := budget_spent_so_far(p_budget, now());
	INSERT INTO budget_spend (budget_id, period_start, spent)
	VALUES (p_budget, budget_period_start(v_period, now()), v_spent)
	ON CONFLICT (budget_id, period_start) DO NOTHING;
	RETURN v_spent;
END;
$$;

-- The metering call, with budgets: as 009's, and after the allocation
-- check every active hard budget above the member (the org's, the
-- member's department's, team's and own) is checked under its row lock:
-- status 'budget_exceeded' names the first scope (in lock order) the
-- deduction would take past its limit, with budget_remaining. An accepted
-- deduction adds its amount to each such budget's (hard or soft) spend of
-- the period, once; a replay returns before any of this. An org without
-- active budgets pays one index probe (budgets_org_active).
DROP FUNCTION deduct_credits(bigint, bigint, bigint, text, text, text, bytea, jsonb, bigint);
CREATE FUNCTION deduct_credits(p_org_id bigint, p_user_id bigint, p_amount bigint,
    p_service text, p_model text, p_key text, p_hash bytea, p_metadata jsonb,
    p_api_key_id bigint)
RETURNS TABLE (status text, deduction_id bigint, replayed boolean, pool_remaining bigint,
    allocation_remaining bigint, extra_task boolean, created_at timestamptz, org_id bigint,
    budget_scope text, budget_id bigint, budget_remaining bigint)
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
	v_dept text;
	v_team bigint;
	v_bids bigint[];
	v_bps date[];
	v_bspent bigint[];
	v_balert boolean[];
	v_i int;
	v_bexcess bigint[];
	v_bscopes text[];
	v_brems bigint[];
	v_bover boolean := false;
	g record;
BEGIN
	IF p_amount IS NULL OR p_amount <= 0 THEN
		RAISE EXCEPTION 'amount must be positive' USING ERRCODE = '22023';
	END IF;
	IF v_org IS NULL THEN
		v_org := credit_default_org(p_user_id);
	END IF;
	IF v_org IS NOT NULL THEN
		SELECT m.department, m.team_id INTO v_dept, v_team FROM memberships m
		    WHERE m.org_id = v_org AND m.user_id = p_user_id AND m.status = 'active';
		IF NOT FOUND THEN
			RETURN QUERY SELECT 'not_member'::text, NULL::bigint, false, NULL::bigint,
			    NULL::bigint, false, NULL::timestamptz, v_org, NULL::text, NULL::bigint,
			    NULL::bigint;
			RETURN;
		END IF;
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.org_id = v_org FOR UPDATE;
	ELSE
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.user_id = p_user_id FOR UPDATE;
	END IF;
	IF v_pool IS NULL THEN
		RETURN QUERY SELECT 'insufficient_pool'::text, NULL::bigint, false, 0::bigint,
		    NULL::bigint, false, NULL::timestamptz, v_org, NULL::text, NULL::bigint,
		    NULL::bigint;
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
			    NULL::bigint, false, v_u.created_at, v_org, NULL::text, NULL::bigint,
			    NULL::bigint;
		ELSE
			RETURN QUERY SELECT 'ok'::text, v_u.id, true, v_u.pool_remaining,
			    v_u.allocation_remaining, v_u.extra_task, v_u.created_at, v_org, NULL::text,
			    NULL::bigint, NULL::bigint;
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
				    NULL::timestamptz, v_org, NULL::text, NULL::bigint, NULL::bigint;
				RETURN;
			END IF;
		END IF;
	END IF;

	-- Budgets: one query reads every active budget above the member with
	-- its period's spend, in the fixed order; the first hard one crossed
	-- refuses. (The pool lock serializes the org's spenders; budget rows
	-- are read, not locked: an edit committed before this statement counts.)
	IF v_org IS NOT NULL AND EXISTS (SELECT 1 FROM budgets b0 WHERE b0.org_id = v_org
	    AND b0.status = 'active') THEN
		SELECT array_agg(q.id ORDER BY q.rk, q.id), array_agg(q.ps ORDER BY q.rk, q.id),
		    array_agg(q.spent ORDER BY q.rk, q.id), array_agg(q.alert ORDER BY q.rk, q.id),
		    array_agg(q.excess ORDER BY q.rk, q.id), array_agg(q.scope ORDER BY q.rk, q.id),
		    array_agg(greatest(q.lim - q.spent, 0) ORDER BY q.rk, q.id), bool_or(q.excess > 0)
		    INTO v_bids, v_bps, v_bspent, v_balert, v_bexcess, v_bscopes, v_brems, v_bover
		    FROM (SELECT b1.id, b1.scope, budget_scope_rank(b1.scope) AS rk, pp.ps,
		        COALESCE(s.spent, 0) AS spent, b1.limit_credits AS lim,
		        CASE WHEN b1.mode = 'hard' THEN least(p_amount,
		            greatest(COALESCE(s.spent, 0) + p_amount - b1.limit_credits, 0))
		            ELSE 0 END AS excess,
		        b1.limit_credits > 0 AND (COALESCE(s.spent, 0) + p_amount) * 100
		            >= b1.limit_credits * b1.thresholds[1] AS alert
		        FROM budgets b1
		        CROSS JOIN LATERAL (SELECT budget_period_start(b1.period, v_now) AS ps) pp
		        LEFT JOIN budget_spend s ON s.budget_id = b1.id AND s.period_start = pp.ps
		        WHERE b1.org_id = v_org AND b1.status = 'active'
		        AND (b1.scope = 'org' OR (b1.scope = 'department' AND b1.department = v_dept)
		        OR (b1.scope = 'team' AND b1.team_id = v_team)
		        OR (b1.scope = 'member' AND b1.user_id = p_user_id))) q;
		-- A hard budget crossed: the part above its limit must be covered by
		-- its open allowances (approved exceptions), else the first such
		-- scope refuses. Taken only once the deduction is accepted.
		IF v_bover THEN
			FOR v_i IN 1 .. array_length(v_bids, 1) LOOP
				IF v_bexcess[v_i] > 0 AND COALESCE((SELECT sum(x.remaining)
				    FROM budget_allowances x WHERE x.budget_id = v_bids[v_i]
				    AND x.period_start = v_bps[v_i] AND x.remaining > 0), 0) < v_bexcess[v_i] THEN
					RETURN QUERY SELECT 'budget_exceeded'::text, NULL::bigint, false, v_live_rem,
					    CASE WHEN v_has_alloc THEN v_limit - v_alloc_used END, false,
					    NULL::timestamptz, v_org, v_bscopes[v_i], v_bids[v_i], v_brems[v_i];
					RETURN;
				END IF;
			END LOOP;
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
			    NULL::timestamptz, v_org, NULL::text, NULL::bigint, NULL::bigint;
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

	-- Each budget above the member spends the amount once (rows in the
	-- fixed order).
	IF v_bids IS NOT NULL THEN
		IF v_bover THEN
			FOR v_i IN 1 .. array_length(v_bids, 1) LOOP
				IF v_bexcess[v_i] > 0 AND NOT budget_allowance_take(v_bids[v_i], v_bps[v_i],
				    v_bexcess[v_i]) THEN
					RAISE EXCEPTION 'budget allowance % changed under the pool lock', v_bids[v_i];
				END IF;
			END LOOP;
		END IF;
		INSERT INTO budget_spend AS s (budget_id, period_start, spent)
		SELECT x.id, x.ps, p_amount FROM unnest(v_bids, v_bps) WITH ORDINALITY AS x(id, ps, n)
		ORDER BY x.n
		ON CONFLICT (budget_id, period_start) DO UPDATE SET spent = s.spent + EXCLUDED.spent;
		FOR v_i IN 1 .. array_length(v_bids, 1) LOOP
			IF v_balert[v_i] THEN
				PERFORM budget_alert_check(v_bids[v_i], v_bps[v_i], v_bspent[v_i],
				    v_bspent[v_i] + p_amount);
			END IF;
		END LOOP;
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
	    v_alloc_rem, v_extra, v_now, v_org, NULL::text, NULL::bigint, NULL::bigint;
END;
$$;

-- The check (POST …/check) answers as the deduction would: reason
-- 'budget_exceeded' when a hard budget above the member would refuse.
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
	v_dept text;
	v_team bigint;
BEGIN
	IF v_org IS NOT NULL THEN
		SELECT m.department, m.team_id INTO v_dept, v_team FROM memberships m
		    WHERE m.org_id = v_org AND m.user_id = p_user_id AND m.status = 'active';
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
	-- A hard budget above the member the amount would cross, its open
	-- allowances not covering the part above the limit (as deduct_credits).
	IF v_org IS NOT NULL AND EXISTS (SELECT 1 FROM budgets b1 WHERE b1.org_id = v_org
	    AND b1.status = 'active' AND b1.mode = 'hard'
	    AND (b1.scope = 'org' OR (b1.scope = 'department' AND b1.department = v_dept)
	    OR (b1.scope = 'team' AND b1.team_id = v_team) OR (b1.scope = 'member' AND b1.user_id = p_user_id))
	    AND least(p_amount, COALESCE((SELECT s.spent FROM budget_spend s WHERE s.budget_id = b1.id
	        AND s.period_start = budget_period_start(b1.period, now())), 0) + p_amount
	        - b1.limit_credits) > COALESCE((SELECT sum(x.remaining) FROM budget_allowances x
	        WHERE x.budget_id = b1.id AND x.period_start = budget_period_start(b1.period, now())), 0))
	THEN
		RETURN QUERY SELECT false, 'budget_exceeded'::text, v_avail, v_alloc_rem;
		RETURN;
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
