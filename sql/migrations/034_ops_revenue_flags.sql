-- 034: the staff console's revenue and feature flags.
--
-- subscription_history: one row each time an org's mirrored subscription
-- changes in a way revenue sees (plan, cycle, seats, unit price, currency,
-- status), written by the Stripe mirror (ob_sub_apply) in the transaction
-- that applies the change. A redelivered or replayed event finds its state
-- already the latest row and writes nothing. mrr is the monthly recurring
-- revenue that state stands for, in minor units of currency (see
-- docs/ADMIN.md, "Revenue": a yearly price counts one twelfth, rounded half
-- up; only active and past_due subscriptions count).
CREATE TABLE subscription_history (
	id          bigserial PRIMARY KEY,
	org_id      bigint NOT NULL REFERENCES organizations (id),
	at          timestamptz NOT NULL DEFAULT now(),
	plan_code   text NOT NULL,
	cycle       text NOT NULL CHECK (cycle IN ('month', 'year')),
	seats       int NOT NULL CHECK (seats >= 0),
	unit_amount bigint NOT NULL CHECK (unit_amount >= 0),
	currency    char(3) NOT NULL,
	status      text NOT NULL,
	mrr         bigint NOT NULL CHECK (mrr >= 0)
);
CREATE INDEX subscription_history_org ON subscription_history (org_id, at DESC, id DESC);
CREATE INDEX subscription_history_at ON subscription_history (at);

-- The subscriptions there are before this migration, as of their last change.
INSERT INTO subscription_history (org_id, at, plan_code, cycle, seats, unit_amount, currency,
    status, mrr)
SELECT org_id, updated_at, plan_code, cycle, seats, unit_amount, currency, status,
	CASE WHEN status NOT IN ('active', 'past_due') THEN 0
	     WHEN cycle = 'year' THEN (seats::bigint * unit_amount + 6) / 12
	     ELSE seats::bigint * unit_amount END
FROM subscriptions;

-- Feature flags: a flag is off unless a rule turns it on. The most specific
-- rule wins: an org's (scope 'org', target the org id), then its plan's
-- (scope 'plan', target the plan code), then the global one (scope
-- 'global', target ''). A rule is on for an org when enabled and the org's
-- bucket (a stable hash of its id, 0..99) is below percent.
CREATE TABLE feature_flags (
	flag       text NOT NULL CHECK (flag ~ '^[a-z][a-z0-9_.]{0,62}$'),
	scope      text NOT NULL CHECK (scope IN ('global', 'plan', 'org')),
	target     text NOT NULL DEFAULT '' CHECK (length(target) <= 64),
	enabled    boolean NOT NULL,
	percent    int NOT NULL DEFAULT 100 CHECK (percent BETWEEN 0 AND 100),
	updated_by bigint REFERENCES users (id),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (flag, scope, target),
	CHECK ((scope = 'global') = (target = ''))
);

-- The revenue page's CSV export is behind flag ops.revenue_csv, on for all.
INSERT INTO feature_flags (flag, scope, target, enabled, percent)
VALUES ('ops.revenue_csv', 'global', '', true, 100);
