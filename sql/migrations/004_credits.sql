-- 004: credits — pools, grants, allocations, usage attribution, daily
-- rollups, extra tasks, threshold alerts, and the SQL functions that are
-- the only writers of all of them (docs/CREDITS.md).
--
-- The ledger is append-only: grants (credit_grants.amount), spends and
-- refunds of grants (credit_grant_spends), deductions and reversals
-- (credit_usage) and allocation changes (credit_allocation_changes) are
-- entries; the balances (credit_pools, credit_grants.remaining,
-- credit_allocations.used, credit_extra_usage, the rollups) are kept in the
-- same transaction, and verify_credit_ledger() recomputes them.
--
-- Lock order, in every function that writes: the pool row (FOR UPDATE),
-- then the member's allocation row, then the org's extra-task row, then
-- grants ordered by (priority, expires_at, id). Deductions therefore never
-- deadlock with each other, with grants, allocations or reversals.
--
-- Credits are BIGINT; no floating point and no numeric anywhere here.

-- Extra tasks: what an org may do once its included credits are gone.
ALTER TABLE organizations
	ADD COLUMN allow_extra_tasks boolean NOT NULL DEFAULT false,
	-- -1: unlimited; 0: none; n: at most n per period.
	ADD COLUMN max_extra_tasks bigint NOT NULL DEFAULT 0 CHECK (max_extra_tasks >= -1);

-- The credit period until plans define one: the calendar month in UTC.
CREATE FUNCTION credit_period(ts timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT date_trunc('month', ts AT TIME ZONE 'UTC')::date
$$;

-- One pool per org, and one per user for personal credits.
CREATE TABLE credit_pools (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id     bigint REFERENCES organizations (id),
	user_id    bigint REFERENCES users (id),
	granted    bigint NOT NULL DEFAULT 0 CHECK (granted >= 0),
	used       bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
	-- Unspent credits of every grant, expired ones included; what may be
	-- spent (available) is the unexpired part, computed at read time.
	remaining  bigint NOT NULL DEFAULT 0 CHECK (remaining >= 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((org_id IS NULL) <> (user_id IS NULL)),
	CHECK (granted = used + remaining)
) WITH (fillfactor = 70);
CREATE UNIQUE INDEX credit_pools_org ON credit_pools (org_id) WHERE org_id IS NOT NULL;
CREATE UNIQUE INDEX credit_pools_user ON credit_pools (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE credit_grants (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pool_id      bigint NOT NULL REFERENCES credit_pools (id),
	org_id       bigint REFERENCES organizations (id),
	source       text NOT NULL CHECK (source IN ('plan', 'purchase', 'manual', 'promo', 'rollover')),
	amount       bigint NOT NULL CHECK (amount > 0),
	remaining    bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
	-- Spent in ascending priority, then soonest expiry, then age.
	priority     int NOT NULL DEFAULT 100 CHECK (priority BETWEEN 0 AND 1000),
	expires_at   timestamptz,
	-- plan grants: the subscription period they belong to (one per period).
	period_start timestamptz,
	reason       text CHECK (reason IS NULL OR length(reason) <= 500),
	actor        text CHECK (actor IS NULL OR length(actor) <= 100),
	created_at   timestamptz NOT NULL DEFAULT now(),
	CHECK ((source = 'plan') = (period_start IS NOT NULL))
) WITH (fillfactor = 70);
-- remaining is deliberately not indexed: spending is a HOT update.
CREATE INDEX credit_grants_spend ON credit_grants (pool_id, priority, expires_at, id);
CREATE UNIQUE INDEX credit_grants_plan_period ON credit_grants (pool_id, period_start)
	WHERE source = 'plan';

-- A member's spending limit per period within an org's pool.
CREATE TABLE credit_allocations (
	pool_id      bigint NOT NULL REFERENCES credit_pools (id),
	user_id      bigint NOT NULL REFERENCES users (id),
	org_id       bigint NOT NULL REFERENCES organizations (id),
	limit_amount bigint NOT NULL CHECK (limit_amount >= 0),
	used         bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
	period_start date NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	updated_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (pool_id, user_id)
) WITH (fillfactor = 70);
CREATE INDEX credit_allocations_org ON credit_allocations (org_id, user_id);

-- Allocation entries: every change of a limit.
CREATE TABLE credit_allocation_changes (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pool_id      bigint NOT NULL REFERENCES credit_pools (id),
	org_id       bigint NOT NULL REFERENCES organizations (id),
	user_id      bigint NOT NULL REFERENCES users (id),
	old_limit    bigint,
	new_limit    bigint NOT NULL CHECK (new_limit >= 0),
	actor        text,
	created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_allocation_changes_pool ON credit_allocation_changes (pool_id, user_id, id);

-- Usage attribution: one row per deduction and per reversal. The hot
-- tables carry no foreign keys on purpose (a key-share lock on the users or
-- pools row per deduction would cost a heap write); the functions are
-- their only writers and verify_credit_ledger() checks for orphans.
CREATE TABLE credit_usage (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pool_id        bigint NOT NULL,
	org_id         bigint,
	user_id        bigint NOT NULL,
	kind           text NOT NULL CHECK (kind IN ('deduction', 'reversal')),
	-- > 0 for a deduction, < 0 for a reversal.
	amount         bigint NOT NULL,
	extra_task     boolean NOT NULL DEFAULT false,
	-- The period and day the original deduction counts in.
	period_start   date NOT NULL,
	day            date NOT NULL,
	service        text NOT NULL CHECK (length(service) BETWEEN 1 AND 64),
	model          text CHECK (model IS NULL OR length(model) <= 128),
	idem_key       text NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 300),
	request_hash   bytea,
	metadata       jsonb,
	api_key_id     bigint,
	reversal_of    bigint,
	reason         text CHECK (reason IS NULL OR length(reason) <= 500),
	-- The answer given (replayed for a repeated key).
	pool_remaining bigint NOT NULL,
	allocation_remaining bigint,
	created_at     timestamptz NOT NULL DEFAULT now(),
	CHECK ((kind = 'deduction') = (amount > 0)),
	CHECK ((kind = 'reversal') = (reversal_of IS NOT NULL))
);
CREATE UNIQUE INDEX credit_usage_key ON credit_usage (pool_id, kind, idem_key);
CREATE UNIQUE INDEX credit_usage_reversal ON credit_usage (reversal_of) WHERE reversal_of IS NOT NULL;

-- Which grants a deduction spent (amount > 0) or a reversal refunded (< 0).
CREATE TABLE credit_grant_spends (
	usage_id bigint NOT NULL,
	grant_id bigint NOT NULL,
	pool_id  bigint NOT NULL,
	amount   bigint NOT NULL CHECK (amount <> 0),
	PRIMARY KEY (usage_id, grant_id)
);

-- Daily rollups, kept in the deduction's transaction: per pool, day and
-- service (the org's chart and services), and per pool, day and user.
CREATE TABLE credit_rollup_day (
	pool_id bigint NOT NULL,
	day     date NOT NULL,
	service text NOT NULL,
	amount  bigint NOT NULL,
	n       bigint NOT NULL,
	PRIMARY KEY (pool_id, day, service)
) WITH (fillfactor = 70);
CREATE TABLE credit_rollup_user_day (
	pool_id bigint NOT NULL,
	day     date NOT NULL,
	user_id bigint NOT NULL,
	amount  bigint NOT NULL,
	n       bigint NOT NULL,
	PRIMARY KEY (pool_id, day, user_id)
) WITH (fillfactor = 70);
-- The per-user breakdown of a range reads only this index (index-only scan:
-- every day but today stays all-visible), not the heap.
CREATE INDEX credit_rollup_user_day_cover ON credit_rollup_user_day (pool_id, day)
	INCLUDE (user_id, amount, n);

-- Extra tasks per org and period: they become invoice lines.
CREATE TABLE credit_extra_usage (
	org_id       bigint NOT NULL REFERENCES organizations (id),
	period_start date NOT NULL,
	tasks        bigint NOT NULL DEFAULT 0 CHECK (tasks >= 0),
	credits      bigint NOT NULL DEFAULT 0 CHECK (credits >= 0),
	PRIMARY KEY (org_id, period_start)
) WITH (fillfactor = 70);

-- Threshold alerts already raised (once per pool/allocation, period, level).
CREATE TABLE credit_alerts (
	pool_id      bigint NOT NULL,
	user_id      bigint NOT NULL DEFAULT 0,	-- 0: the pool itself
	period_start date NOT NULL,
	threshold    int NOT NULL CHECK (threshold IN (75, 90, 100)),
	created_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (pool_id, user_id, period_start, threshold)
);

-- The pool for a request: the named org's, else (no org named) the user's
-- default org if they are an active member there, else their oldest active
-- membership, else NULL (personal credits).
CREATE FUNCTION credit_default_org(p_user_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT m.org_id FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.user_id = p_user_id AND m.status = 'active'
	ORDER BY (m.org_id = u.default_org_id) DESC NULLS LAST, m.created_at, m.org_id
	LIMIT 1
$$;

-- Record threshold crossings (75/90/100 %) between before and after of
-- total, once per period, with an audit row the activity log shows.
CREATE FUNCTION credit_alert_check(p_pool_id bigint, p_org_id bigint, p_user_id bigint,
    p_period date, p_before bigint, p_after bigint, p_total bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	t int;
	n int;
BEGIN
	IF p_total <= 0 THEN
		RETURN;
	END IF;
	FOREACH t IN ARRAY ARRAY[75, 90, 100] LOOP
		IF p_before * 100 < p_total * t AND p_after * 100 >= p_total * t THEN
			INSERT INTO credit_alerts (pool_id, user_id, period_start, threshold)
			VALUES (p_pool_id, p_user_id, p_period, t) ON CONFLICT DO NOTHING;
			GET DIAGNOSTICS n = ROW_COUNT;
			IF n = 1 THEN
				INSERT INTO audit_log (org_id, actor_type, actor_id, action, target_type,
				    target_id, after)
				VALUES (p_org_id, 'system', 'credits', 'credits.alert',
				    CASE WHEN p_user_id = 0 THEN 'credit_pool' ELSE 'credit_allocation' END,
				    CASE WHEN p_user_id = 0 THEN p_pool_id::text ELSE p_user_id::text END,
				    jsonb_build_object('threshold', t, 'used', p_after::text,
				        'total', p_total::text, 'period_start', p_period::text,
				        'scope', CASE WHEN p_user_id = 0 THEN 'pool' ELSE 'allocation' END,
				        'user_id', CASE WHEN p_user_id = 0 THEN NULL ELSE p_user_id::text END));
			END IF;
		END IF;
	END LOOP;
END;
$$;

-- Unexpired credits of a pool (expired grants stop counting at expires_at).
CREATE FUNCTION credit_pool_available(p_pool_id bigint) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT COALESCE(sum(g.remaining), 0)::bigint FROM credit_grants g
	WHERE g.pool_id = p_pool_id AND (g.expires_at IS NULL OR g.expires_at > now())
$$;

-- The metering call: one statement, one round trip. status is 'ok',
-- 'idempotency_mismatch', 'not_member', 'insufficient_pool' or
-- 'insufficient_allocation'. p_org_id NULL: credit_default_org(), else the
-- user's personal pool. A repeated key returns the first answer (replayed).
CREATE FUNCTION deduct_credits(p_org_id bigint, p_user_id bigint, p_amount bigint,
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
		SELECT a.limit_amount, a.used, a.period_start INTO v_limit, v_aused, v_aperiod
		    FROM credit_allocations a
		    WHERE a.pool_id = v_pool AND a.user_id = p_user_id FOR UPDATE;
		v_has_alloc := FOUND;
		IF v_has_alloc THEN
			v_alloc_used := CASE WHEN v_aperiod < v_period THEN 0 ELSE v_aused END;
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
		    period_start = v_period, updated_at = v_now
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
		PERFORM credit_alert_check(v_pool, v_org, p_user_id, v_period, v_alloc_used,
		    v_alloc_used + p_amount, v_limit);
	END IF;

	RETURN QUERY SELECT 'ok'::text, v_id, false,
	    CASE WHEN v_extra THEN v_live_rem ELSE v_live_rem - p_amount END,
	    v_alloc_rem, v_extra, v_now, v_org;
END;
$$;

-- Would a deduction of p_amount go through now? Reads only, locks nothing.
-- reason: 'ok', 'extra_task' (would be counted as an extra task),
-- 'not_member', 'insufficient_pool', 'insufficient_allocation'.
CREATE FUNCTION has_sufficient_credits(p_org_id bigint, p_user_id bigint, p_amount bigint)
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
			    CASE WHEN v_a.period_start < v_period THEN 0 ELSE v_a.used END;
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

-- The pool of an org (p_org_id) or a user (p_user_id), created if missing,
-- locked FOR UPDATE. Returns its id.
CREATE FUNCTION credit_pool_lock(p_org_id bigint, p_user_id bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_pool bigint;
BEGIN
	IF p_org_id IS NOT NULL THEN
		INSERT INTO credit_pools (org_id) VALUES (p_org_id)
		    ON CONFLICT (org_id) WHERE org_id IS NOT NULL DO NOTHING;
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.org_id = p_org_id FOR UPDATE;
	ELSE
		INSERT INTO credit_pools (user_id) VALUES (p_user_id)
		    ON CONFLICT (user_id) WHERE user_id IS NOT NULL DO NOTHING;
		SELECT p.id INTO v_pool FROM credit_pools p WHERE p.user_id = p_user_id FOR UPDATE;
	END IF;
	RETURN v_pool;
END;
$$;

-- A grant into an org's pool (p_org_id) or a user's personal pool (p_org_id
-- NULL, p_user_id). plan grants are unique per (pool, period_start): a
-- repeat returns the existing grant with created = false.
CREATE FUNCTION add_credits_to_pool(p_org_id bigint, p_user_id bigint, p_amount bigint,
    p_source text, p_expires_at timestamptz, p_priority int, p_reason text, p_actor text,
    p_period_start timestamptz)
RETURNS TABLE (grant_id bigint, created boolean, available bigint, granted bigint, used bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_pool bigint;
	v_id bigint;
BEGIN
	IF p_amount IS NULL OR p_amount <= 0 THEN
		RAISE EXCEPTION 'amount must be positive' USING ERRCODE = '22023';
	END IF;
	IF p_expires_at IS NOT NULL AND p_expires_at <= now() THEN
		RAISE EXCEPTION 'expires_at must be in the future' USING ERRCODE = '22023';
	END IF;
	v_pool := credit_pool_lock(p_org_id, p_user_id);
	IF p_source = 'plan' THEN
		SELECT g.id INTO v_id FROM credit_grants g
		    WHERE g.pool_id = v_pool AND g.source = 'plan' AND g.period_start = p_period_start;
	END IF;
	IF v_id IS NOT NULL THEN
		RETURN QUERY SELECT v_id, false, credit_pool_available(v_pool), p.granted, p.used
		    FROM credit_pools p WHERE p.id = v_pool;
		RETURN;
	END IF;
	INSERT INTO credit_grants (pool_id, org_id, source, amount, remaining, priority,
	    expires_at, period_start, reason, actor)
	VALUES (v_pool, p_org_id, p_source, p_amount, p_amount, COALESCE(p_priority, 100),
	    p_expires_at, CASE WHEN p_source = 'plan' THEN p_period_start END, p_reason, p_actor)
	RETURNING id INTO v_id;
	UPDATE credit_pools SET granted = granted + p_amount, remaining = remaining + p_amount,
	    updated_at = now() WHERE id = v_pool;
	RETURN QUERY SELECT v_id, true, credit_pool_available(v_pool), p.granted, p.used
	    FROM credit_pools p WHERE p.id = v_pool;
END;
$$;

-- The plans' share: the period's included credits, as a plan grant that
-- expires at period end. Idempotent per org and period.
CREATE FUNCTION grant_plan_credits(p_org_id bigint, p_period_start timestamptz,
    p_period_end timestamptz, p_credits bigint)
RETURNS TABLE (grant_id bigint, created boolean)
LANGUAGE sql AS $$
	SELECT a.grant_id, a.created FROM add_credits_to_pool(p_org_id, NULL, p_credits, 'plan',
	    p_period_end, 100, 'plan credits for the period', 'system', p_period_start) a
$$;

-- Set a member's limit per period. status: 'ok' or 'not_member'. A new
-- allocation starts with the member's usage so far this period.
CREATE FUNCTION allocate_credits_to_user(p_org_id bigint, p_user_id bigint, p_limit bigint,
    p_actor text)
RETURNS TABLE (status text, limit_amount bigint, used bigint, previous_limit bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_pool bigint;
	v_period date := credit_period(now());
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

-- Refund a deduction by its idempotency key. status: 'ok', 'not_found',
-- 'is_reversal' (a reversal cannot be reversed). A second reversal of the
-- same deduction returns the first (replayed).
CREATE FUNCTION reverse_deduction(p_org_id bigint, p_key text, p_reason text, p_actor text)
RETURNS TABLE (status text, reversal_id bigint, reversal_key text, deduction_id bigint,
    amount bigint, replayed boolean, pool_remaining bigint, allocation_remaining bigint,
    created_at timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_pool bigint;
	v_d record;
	v_r record;
	v_a record;
	v_has_alloc boolean := false;
	v_alloc_rem bigint;
	v_id bigint;
	v_now timestamptz := now();
	v_avail bigint;
	g record;
BEGIN
	SELECT p.id INTO v_pool FROM credit_pools p WHERE p.org_id = p_org_id FOR UPDATE;
	IF v_pool IS NULL THEN
		RETURN QUERY SELECT 'not_found'::text, NULL::bigint, NULL::text, NULL::bigint,
		    NULL::bigint, false, NULL::bigint, NULL::bigint, NULL::timestamptz;
		RETURN;
	END IF;
	SELECT u.* INTO v_d FROM credit_usage u
	    WHERE u.pool_id = v_pool AND u.kind = 'deduction' AND u.idem_key = p_key;
	IF NOT FOUND THEN
		PERFORM 1 FROM credit_usage u
		    WHERE u.pool_id = v_pool AND u.kind = 'reversal' AND u.idem_key = p_key;
		RETURN QUERY SELECT CASE WHEN FOUND THEN 'is_reversal' ELSE 'not_found' END::text,
		    NULL::bigint, NULL::text, NULL::bigint, NULL::bigint, false, NULL::bigint,
		    NULL::bigint, NULL::timestamptz;
		RETURN;
	END IF;
	SELECT u.* INTO v_r FROM credit_usage u WHERE u.reversal_of = v_d.id;
	IF FOUND THEN
		RETURN QUERY SELECT 'ok'::text, v_r.id, v_r.idem_key, v_d.id, v_d.amount, true,
		    v_r.pool_remaining, v_r.allocation_remaining, v_r.created_at;
		RETURN;
	END IF;

	SELECT a.limit_amount, a.used, a.period_start INTO v_a FROM credit_allocations a
	    WHERE a.pool_id = v_pool AND a.user_id = v_d.user_id FOR UPDATE;
	IF FOUND AND v_a.period_start = v_d.period_start THEN
		v_has_alloc := true;
		UPDATE credit_allocations SET used = used - v_d.amount, updated_at = v_now
		    WHERE pool_id = v_pool AND user_id = v_d.user_id;
		v_alloc_rem := v_a.limit_amount - v_a.used + v_d.amount;
	ELSIF FOUND THEN
		v_alloc_rem := v_a.limit_amount -
		    CASE WHEN v_a.period_start < credit_period(v_now) THEN 0 ELSE v_a.used END;
	END IF;
	IF v_d.extra_task THEN
		UPDATE credit_extra_usage SET tasks = tasks - 1, credits = credits - v_d.amount
		    WHERE org_id = v_d.org_id AND period_start = v_d.period_start;
	END IF;

	INSERT INTO credit_usage (pool_id, org_id, user_id, kind, amount, extra_task,
	    period_start, day, service, model, idem_key, request_hash, metadata, api_key_id,
	    reversal_of, reason, pool_remaining, allocation_remaining, created_at)
	VALUES (v_pool, v_d.org_id, v_d.user_id, 'reversal', -v_d.amount, v_d.extra_task,
	    v_d.period_start, v_d.day, v_d.service, v_d.model, 'reversal:' || p_key, NULL, NULL,
	    NULL, v_d.id, p_reason, 0, v_alloc_rem, v_now)
	RETURNING id INTO v_id;

	IF NOT v_d.extra_task THEN
		FOR g IN SELECT s.grant_id, s.amount FROM credit_grant_spends s
		    JOIN credit_grants g2 ON g2.id = s.grant_id
		    WHERE s.usage_id = v_d.id
		    ORDER BY g2.priority, g2.expires_at, g2.id FOR UPDATE OF g2
		LOOP
			UPDATE credit_grants SET remaining = remaining + g.amount WHERE id = g.grant_id;
			INSERT INTO credit_grant_spends (usage_id, grant_id, pool_id, amount)
			VALUES (v_id, g.grant_id, v_pool, -g.amount);
		END LOOP;
		UPDATE credit_pools SET used = used - v_d.amount, remaining = remaining + v_d.amount,
		    updated_at = v_now WHERE id = v_pool;
	END IF;

	UPDATE credit_rollup_day SET amount = amount - v_d.amount, n = n - 1
	    WHERE pool_id = v_pool AND day = v_d.day AND service = v_d.service;
	UPDATE credit_rollup_user_day SET amount = amount - v_d.amount, n = n - 1
	    WHERE pool_id = v_pool AND day = v_d.day AND user_id = v_d.user_id;

	v_avail := credit_pool_available(v_pool);
	UPDATE credit_usage SET pool_remaining = v_avail WHERE id = v_id;
	RETURN QUERY SELECT 'ok'::text, v_id, 'reversal:' || p_key, v_d.id, v_d.amount, false,
	    v_avail, v_alloc_rem, v_now;
END;
$$;

-- Recompute every balance from the entries; one row per mismatch.
CREATE FUNCTION verify_credit_ledger()
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
	-- allocations: used = the member's net usage in the allocation's period
	SELECT 'allocation.used', a.pool_id || ':' || a.user_id, a.used, COALESCE(u.sum, 0)
	FROM credit_allocations a LEFT JOIN (SELECT pool_id, user_id, period_start,
	    sum(amount)::bigint AS sum FROM credit_usage GROUP BY 1, 2, 3) u
	    ON u.pool_id = a.pool_id AND u.user_id = a.user_id AND u.period_start = a.period_start
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

-- ---- Views -------------------------------------------------------------

-- Every pool with its spendable (unexpired) balance.
CREATE VIEW credit_pool_balances AS
SELECT p.id AS pool_id, p.org_id, p.user_id, p.granted, p.used, p.remaining,
    credit_pool_available(p.id) AS available,
    p.remaining - credit_pool_available(p.id) AS expired
FROM credit_pools p;

-- One row per org: balances, members, extra tasks this period.
CREATE VIEW org_billing_summary AS
SELECT o.id AS org_id, o.name, o.slug, o.status,
    (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.status = 'active') AS members,
    COALESCE(b.available, 0) AS available, COALESCE(b.granted, 0) AS granted,
    COALESCE(b.used, 0) AS used, COALESCE(b.expired, 0) AS expired,
    o.allow_extra_tasks, o.max_extra_tasks,
    COALESCE(e.tasks, 0) AS extra_tasks_used, COALESCE(e.credits, 0) AS extra_credits_used
FROM organizations o
LEFT JOIN credit_pool_balances b ON b.org_id = o.id
LEFT JOIN credit_extra_usage e ON e.org_id = o.id AND e.period_start = credit_period(now());

-- A user's credits in each org they belong to, and their personal pool.
CREATE VIEW user_multi_org_credits AS
SELECT m.user_id, m.org_id, o.name AS org_name, m.role, (u.default_org_id = m.org_id) AS is_default,
    COALESCE(b.available, 0) AS pool_available, a.limit_amount AS allocation_limit,
    CASE WHEN a.period_start < credit_period(now()) THEN 0 ELSE a.used END AS allocation_used
FROM memberships m
JOIN organizations o ON o.id = m.org_id
JOIN users u ON u.id = m.user_id
LEFT JOIN credit_pool_balances b ON b.org_id = m.org_id
LEFT JOIN credit_allocations a ON a.pool_id = b.pool_id AND a.user_id = m.user_id
WHERE m.status = 'active'
UNION ALL
SELECT b.user_id, NULL, NULL, NULL, false, b.available, NULL, NULL
FROM credit_pool_balances b WHERE b.user_id IS NOT NULL;

-- Members ranked by credits used in the last 30 days, per org.
CREATE VIEW top_credit_users_by_org AS
SELECT p.org_id, r.user_id, u.email, u.name, sum(r.amount)::bigint AS used_30d,
    sum(r.n)::bigint AS deductions_30d,
    rank() OVER (PARTITION BY p.org_id ORDER BY sum(r.amount) DESC) AS rank
FROM credit_rollup_user_day r
JOIN credit_pools p ON p.id = r.pool_id AND p.org_id IS NOT NULL
JOIN users u ON u.id = r.user_id
WHERE r.day > (now() AT TIME ZONE 'UTC')::date - 30
GROUP BY p.org_id, r.user_id, u.email, u.name;

-- Per org, the last 30 days: credits used, deductions, active users,
-- services, and the daily average (rounded half away from zero).
CREATE VIEW org_billing_metrics AS
SELECT p.org_id,
    COALESCE(d.used, 0) AS used_30d, COALESCE(d.n, 0) AS deductions_30d,
    COALESCE(us.users, 0) AS active_users_30d, COALESCE(d.services, 0) AS services_30d,
    (COALESCE(d.used, 0) + 15) / 30 AS avg_daily_30d
FROM credit_pools p
LEFT JOIN LATERAL (SELECT sum(r.amount)::bigint AS used, sum(r.n)::bigint AS n,
    count(DISTINCT r.service) AS services FROM credit_rollup_day r
    WHERE r.pool_id = p.id AND r.day > (now() AT TIME ZONE 'UTC')::date - 30) d ON true
LEFT JOIN LATERAL (SELECT count(DISTINCT r.user_id) AS users FROM credit_rollup_user_day r
    WHERE r.pool_id = p.id AND r.day > (now() AT TIME ZONE 'UTC')::date - 30
    AND r.amount > 0) us ON true
WHERE p.org_id IS NOT NULL;
