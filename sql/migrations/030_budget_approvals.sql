-- 030: approval chains for budget exceptions (docs/BUDGETS.md, "Approvals").
--
-- A member asks for an exception on a budget above them: a budget
-- increase, or a one-off allowance to spend past it. The request's amount
-- in money (credits at the credit price, rounded half away from zero, as
-- purchases are) routes it through the org's chain: the steps from the
-- first up to the first whose bound covers it, each approving in order.
-- Below the org's auto-approve threshold it is approved at once.

-- The department a member manages ('' none): the department-manager role.
ALTER TABLE memberships ADD COLUMN manages text NOT NULL DEFAULT ''
	CHECK (length(manages) <= 100);

-- Chains: an org's own steps, or the default ones (org_id NULL), seed
-- 002's: the department manager up to $1,000, finance (billing) up to
-- $5,000, the owner above. up_to_minor NULL: no bound (the last step).
CREATE TABLE approval_steps (
	org_id       bigint REFERENCES organizations (id),
	step         int NOT NULL CHECK (step BETWEEN 1 AND 10),
	approver     text NOT NULL CHECK (approver IN ('department_manager', 'billing', 'admin', 'owner')),
	up_to_minor  bigint CHECK (up_to_minor >= 0),
	currency     char(3) NOT NULL DEFAULT 'usd'
);
CREATE UNIQUE INDEX approval_steps_one ON approval_steps (COALESCE(org_id, 0), step);
INSERT INTO approval_steps (org_id, step, approver, up_to_minor) VALUES
	(NULL, 1, 'department_manager', 100000),
	(NULL, 2, 'billing', 500000),
	(NULL, 3, 'owner', NULL);

-- Per org: requests at or below auto_approve_minor are approved at once.
CREATE TABLE approval_settings (
	org_id              bigint PRIMARY KEY REFERENCES organizations (id),
	auto_approve_minor  bigint NOT NULL DEFAULT 0 CHECK (auto_approve_minor >= 0),
	updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE budget_requests (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id          bigint NOT NULL REFERENCES organizations (id),
	budget_id       bigint NOT NULL REFERENCES budgets (id),
	requester_id    bigint NOT NULL REFERENCES users (id),
	kind            text NOT NULL CHECK (kind IN ('increase', 'one_off')),
	amount_credits  bigint NOT NULL CHECK (amount_credits BETWEEN 1 AND 1000000000000000),
	amount_minor    bigint NOT NULL CHECK (amount_minor >= 0),
	reason          text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
	status          text NOT NULL DEFAULT 'pending'
	    CHECK (status IN ('pending', 'approved', 'rejected', 'canceled')),
	department      text NOT NULL DEFAULT '',	-- the budget's department ('' none)
	steps           text[] NOT NULL,	-- approver kinds, in order
	step            int NOT NULL DEFAULT 1,	-- the next step to decide (1-based)
	period_start    date NOT NULL,		-- the budget period it was asked in
	decided_at      timestamptz,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_requests_org ON budget_requests (org_id, id DESC);
CREATE TRIGGER budget_requests_touch BEFORE UPDATE ON budget_requests
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- Each decision once per request and step (two approvers racing: one row).
CREATE TABLE budget_request_decisions (
	request_id   bigint NOT NULL REFERENCES budget_requests (id),
	step         int NOT NULL,
	approver_id  bigint REFERENCES users (id),	-- NULL: automatic
	decision     text NOT NULL CHECK (decision IN ('approved', 'rejected', 'canceled')),
	comment      text CHECK (length(comment) <= 500),
	created_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (request_id, step)
);

-- One-off allowances (025) come from approved requests.
ALTER TABLE budget_allowances ADD CONSTRAINT budget_allowances_request_fk
	FOREIGN KEY (request_id) REFERENCES budget_requests (id);

-- Who may decide the current step of request p_request: never its
-- requester; a department manager of its department, or the role the step
-- names; an owner decides any step (so a chain never stalls on a role
-- nobody holds).
CREATE FUNCTION budget_request_may_decide(p_request bigint, p_user bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM budget_requests r JOIN memberships m ON m.org_id = r.org_id
	    AND m.user_id = p_user AND m.status = 'active'
	    WHERE r.id = p_request AND r.status = 'pending' AND r.requester_id <> p_user
	    AND (m.role = 'owner' OR CASE r.steps[r.step] WHEN 'department_manager'
	        THEN r.department <> '' AND m.manages = r.department
	        ELSE m.role = r.steps[r.step] END))
$$;

-- E-mail (outbox) about request p_request: to the approvers of its
-- current step while pending, to the requester once decided.
CREATE FUNCTION budget_request_notify(p_request bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	SELECT q.*, o.name AS org_name, u.email AS requester_email INTO r FROM budget_requests q
	    JOIN organizations o ON o.id = q.org_id JOIN users u ON u.id = q.requester_id
	    WHERE q.id = p_request;
	IF r.status = 'pending' THEN
		INSERT INTO outbox (org_id, kind, dedupe_key, to_addr, subject, body)
		SELECT r.org_id, 'budget_request', format('budget-request:%s:%s:%s', r.id, r.step,
		    lower(u.email)), lower(u.email),
		    left(format('%s: budget request %s awaits your approval', r.org_name, r.id), 200),
		    format(E'%s asks for %s credits (%s) on budget %s: %s\n\nReason: %s\n',
		        r.requester_email, r.amount_credits, r.kind, r.budget_id,
		        CASE r.kind WHEN 'increase' THEN 'a budget increase' ELSE 'a one-off allowance' END,
		        r.reason)
		FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = r.org_id AND budget_request_may_decide(r.id, m.user_id)
		LIMIT 20
		ON CONFLICT (dedupe_key) DO NOTHING;
	ELSE
		INSERT INTO outbox (org_id, kind, dedupe_key, to_addr, subject, body)
		VALUES (r.org_id, 'budget_request', format('budget-request:%s:%s', r.id, r.status),
		    lower(r.requester_email),
		    left(format('%s: your budget request %s was %s', r.org_name, r.id, r.status), 200),
		    format(E'Your request for %s credits on budget %s was %s.\n', r.amount_credits,
		        r.budget_id, r.status))
		ON CONFLICT (dedupe_key) DO NOTHING;
	END IF;
END;
$$;

-- Apply approved request p_request: a budget increase raises the budget's
-- limit (and its amounts) by the request's; a one-off opens an allowance
-- for the period it was asked in.
CREATE FUNCTION budget_request_apply(p_request bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	SELECT * INTO r FROM budget_requests WHERE id = p_request;
	IF r.kind = 'increase' THEN
		UPDATE budgets SET limit_credits = limit_credits + r.amount_credits,
		    amount_credits = amount_credits + r.amount_credits,
		    amount_minor = amount_minor + r.amount_minor
		    WHERE id = r.budget_id;
	ELSE
		INSERT INTO budget_allowances (request_id, budget_id, period_start, amount, remaining)
		VALUES (r.id, r.budget_id, r.period_start, r.amount_credits, r.amount_credits);
	END IF;
END;
$$;

-- A request by p_user on budget p_budget of p_org (p_own: the budget must
-- be above p_user). status: ok, budget_not_found. Routed by its amount in
-- money (credits × p_price_per_1000 / 1000, half away from zero, numeric):
-- the chain's steps from the first up to the first whose bound covers it,
-- the department manager's step skipped for a budget without a
-- department (the next step takes its place); approved at once at or below the org's auto-approve amount.
CREATE FUNCTION budget_request_create(p_org bigint, p_budget bigint, p_user bigint, p_own boolean,
    p_kind text, p_amount bigint, p_price_per_1000 bigint, p_reason text)
RETURNS TABLE (status text, request_id bigint, request_status text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	b record;
	v_dept text;
	v_minor bigint := round(p_amount::numeric * p_price_per_1000 / 1000)::bigint;
	v_steps text[] := '{}';
	v_prev bigint := -1;
	s record;
	v_id bigint;
BEGIN
	SELECT bu.id, bu.scope, bu.department, bu.team_id, bu.user_id, bu.period INTO b FROM budgets bu
	    WHERE bu.id = p_budget AND bu.org_id = p_org AND bu.status = 'active';
	IF NOT FOUND OR (p_own AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = p_org
	    AND m.user_id = p_user AND m.status = 'active' AND (b.scope = 'org'
	    OR (b.scope = 'department' AND b.department = m.department)
	    OR (b.scope = 'team' AND b.team_id = m.team_id) OR (b.scope = 'member' AND b.user_id = m.user_id))))
	THEN
		RETURN QUERY SELECT 'budget_not_found'::text, NULL::bigint, NULL::text;
		RETURN;
	END IF;
	v_dept := COALESCE(CASE b.scope WHEN 'department' THEN b.department
	    WHEN 'team' THEN (SELECT t.department FROM teams t WHERE t.id = b.team_id)
	    WHEN 'member' THEN (SELECT m.department FROM memberships m WHERE m.org_id = p_org
	        AND m.user_id = b.user_id) END, '');
	FOR s IN SELECT x.approver, x.up_to_minor FROM approval_steps x
	    WHERE x.org_id IS NOT DISTINCT FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM approval_steps y
	        WHERE y.org_id = p_org) THEN p_org END)
	    ORDER BY x.step
	LOOP
		EXIT WHEN v_prev >= v_minor;
		-- Without a department its manager's step is skipped; the next
		-- step takes its place (the bound moves on only with a step taken).
		CONTINUE WHEN s.approver = 'department_manager' AND v_dept = '';
		v_steps := v_steps || s.approver;
		v_prev := COALESCE(s.up_to_minor, 9223372036854775807);
	END LOOP;
	IF cardinality(v_steps) = 0 THEN
		v_steps := '{owner}';
	END IF;
	INSERT INTO budget_requests (org_id, budget_id, requester_id, kind, amount_credits, amount_minor,
	    reason, department, steps, period_start)
	VALUES (p_org, p_budget, p_user, p_kind, p_amount, v_minor, p_reason, COALESCE(v_dept, ''),
	    v_steps, budget_period_start(b.period, now()))
	RETURNING id INTO v_id;
	IF v_minor <= COALESCE((SELECT a.auto_approve_minor FROM approval_settings a
	    WHERE a.org_id = p_org), 0) THEN
		INSERT INTO budget_request_decisions (request_id, step, approver_id, decision, comment)
		VALUES (v_id, 1, NULL, 'approved', 'below the auto-approve amount');
		UPDATE budget_requests SET status = 'approved', decided_at = now() WHERE id = v_id;
		PERFORM budget_request_apply(v_id);
	END IF;
	PERFORM budget_request_notify(v_id);
	RETURN QUERY SELECT 'ok'::text, v_id, (SELECT r.status FROM budget_requests r WHERE r.id = v_id);
END;
$$;

-- Decide request p_request of p_org as p_user: 'approve' or 'reject' (the
-- current step's approver, never the requester), 'cancel' (the requester).
-- Under the request's row lock, so two approvers racing make one decision.
-- status: ok, not_found, not_pending, forbidden.
CREATE FUNCTION budget_request_decide(p_org bigint, p_request bigint, p_user bigint,
    p_decision text, p_comment text)
RETURNS TABLE (status text, request_status text, step int)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	r record;
BEGIN
	SELECT q.* INTO r FROM budget_requests q WHERE q.id = p_request AND q.org_id = p_org FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::int;
		RETURN;
	END IF;
	IF r.status <> 'pending' THEN
		RETURN QUERY SELECT 'not_pending'::text, r.status, r.step;
		RETURN;
	END IF;
	IF p_decision = 'cancel' THEN
		IF r.requester_id <> p_user THEN
			RETURN QUERY SELECT 'forbidden'::text, r.status, r.step;
			RETURN;
		END IF;
	ELSIF NOT budget_request_may_decide(p_request, p_user) THEN
		RETURN QUERY SELECT 'forbidden'::text, r.status, r.step;
		RETURN;
	END IF;
	INSERT INTO budget_request_decisions (request_id, step, approver_id, decision, comment)
	VALUES (r.id, r.step, p_user, CASE p_decision WHEN 'approve' THEN 'approved'
	    WHEN 'reject' THEN 'rejected' ELSE 'canceled' END, p_comment);
	IF p_decision = 'approve' AND r.step < cardinality(r.steps) THEN
		UPDATE budget_requests SET step = step + 1 WHERE id = r.id;
	ELSE
		UPDATE budget_requests SET status = CASE p_decision WHEN 'approve' THEN 'approved'
		    WHEN 'reject' THEN 'rejected' ELSE 'canceled' END, decided_at = now()
		    WHERE id = r.id;
		IF p_decision = 'approve' THEN
			PERFORM budget_request_apply(r.id);
		END IF;
	END IF;
	PERFORM budget_request_notify(r.id);
	RETURN QUERY SELECT 'ok'::text, q.status, q.step FROM budget_requests q WHERE q.id = r.id;
END;
$$;
