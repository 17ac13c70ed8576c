-- 005: plans, subscriptions, seats and usage (docs/BILLING.md).
--
-- Money is bigint minor units with a char(3) currency; no floating point or
-- numeric anywhere. Annual prices are computed once, here, with the one
-- rounding rule (half away from zero), and stored.

-- round(num / den), half away from zero; den > 0. Integer only.
CREATE OR REPLACE FUNCTION ob_div_round(num bigint, den bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT sign(num) * ((2 * abs(num) + den) / (2 * den))
$$;

-- The catalogue. Limits: NULL means unlimited. Prices are per seat (per
-- user for Pro) per cycle; NULL for Enterprise, whose price and limits are
-- set per org (org_plan_overrides).
CREATE TABLE plans (
	code                 text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
	name                 text NOT NULL,
	tier                 int NOT NULL UNIQUE,	-- upgrade/downgrade order
	pricing              text NOT NULL CHECK (pricing IN ('free', 'per_user', 'per_seat', 'custom')),
	currency             char(3) NOT NULL DEFAULT 'usd',
	price_month          bigint CHECK (price_month >= 0),
	price_year           bigint CHECK (price_year >= 0),
	annual_discount_pct  int NOT NULL DEFAULT 10 CHECK (annual_discount_pct BETWEEN 0 AND 100),
	max_users            int,
	max_agents           int,
	max_executions_month bigint,
	max_storage_mb       bigint,
	max_gateways         int,
	contacts_per_agent   int,
	credits_per_seat     bigint NOT NULL DEFAULT 0 CHECK (credits_per_seat >= 0),
	trial_days           int NOT NULL DEFAULT 0 CHECK (trial_days BETWEEN 0 AND 90),
	self_serve           boolean NOT NULL DEFAULT true,
	stripe_product_id    text,
	created_at           timestamptz NOT NULL DEFAULT now()
);

INSERT INTO plans (code, name, tier, pricing, price_month, price_year, max_users,
    max_agents, max_executions_month, max_storage_mb, max_gateways,
    contacts_per_agent, credits_per_seat, trial_days, self_serve) VALUES
	('free', 'Free', 0, 'free', 0, 0, 3, 10, 10000, 1024, 1, 100, 100, 0, true),
	('pro', 'Pro', 1, 'per_user', 4900, ob_div_round(4900 * 12 * (100 - 10), 100),
	    NULL, 100, 100000, 51200, 5, 1000, 1000, 14, true),
	('business', 'Business', 2, 'per_seat', 2900, ob_div_round(2900 * 12 * (100 - 10), 100),
	    NULL, 500, 1000000, 512000, 25, 5000, 2000, 14, true),
	('enterprise', 'Enterprise', 3, 'custom', NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL, NULL, 5000, 0, false);

-- The Stripe price of each (plan, cycle), found or made by
-- `orgbill stripe sync-catalog` (and on first use).
CREATE TABLE plan_stripe_prices (
	plan_code       text NOT NULL REFERENCES plans (code),
	cycle           text NOT NULL CHECK (cycle IN ('month', 'year')),
	org_id          bigint NOT NULL DEFAULT 0,	-- 0: the public price; else Enterprise
	unit_amount     bigint NOT NULL CHECK (unit_amount >= 0),
	currency        char(3) NOT NULL DEFAULT 'usd',
	lookup_key      text NOT NULL,
	stripe_price_id text NOT NULL,
	updated_at      timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (plan_code, cycle, org_id)
);

-- Enterprise: a price and limits per org (NULL limit: unlimited).
CREATE TABLE org_plan_overrides (
	org_id               bigint PRIMARY KEY REFERENCES organizations (id),
	price_month          bigint NOT NULL CHECK (price_month >= 0),
	price_year           bigint NOT NULL CHECK (price_year >= 0),
	currency             char(3) NOT NULL DEFAULT 'usd',
	max_users            int,
	max_agents           int,
	max_executions_month bigint,
	max_storage_mb       bigint,
	max_gateways         int,
	contacts_per_agent   int,
	credits_per_seat     bigint NOT NULL DEFAULT 0 CHECK (credits_per_seat >= 0),
	updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Per-org billing settings.
CREATE TABLE org_billing_settings (
	org_id             bigint PRIMARY KEY REFERENCES organizations (id),
	auto_seat_increase boolean NOT NULL DEFAULT false,
	updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER org_billing_settings_touch BEFORE UPDATE ON org_billing_settings
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- One subscription per org, mirrored from Stripe (Stripe's answer is the
-- truth; ob_subscription_apply_stripe reconciles). A canceled one is
-- replaced in place by the next purchase.
CREATE TABLE subscriptions (
	org_id                 bigint PRIMARY KEY REFERENCES organizations (id),
	plan_code              text NOT NULL REFERENCES plans (code),
	cycle                  text NOT NULL CHECK (cycle IN ('month', 'year')),
	seats                  int NOT NULL CHECK (seats BETWEEN 0 AND 100000),
	unit_amount            bigint NOT NULL CHECK (unit_amount >= 0),
	currency               char(3) NOT NULL DEFAULT 'usd',
	status                 text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due',
	    'incomplete', 'incomplete_expired', 'unpaid', 'paused', 'canceled')),
	stripe_customer_id     text NOT NULL,
	stripe_subscription_id text NOT NULL UNIQUE,
	stripe_item_id         text NOT NULL,
	stripe_price_id        text NOT NULL,
	current_period_start   timestamptz NOT NULL,
	current_period_end     timestamptz NOT NULL,
	trial_end              timestamptz,
	cancel_at_period_end   boolean NOT NULL DEFAULT false,
	cancel_reason          text CHECK (length(cancel_reason) <= 500),
	canceled_at            timestamptz,
	-- A downgrade waiting for the period's end.
	scheduled_plan_code    text REFERENCES plans (code),
	scheduled_cycle        text CHECK (scheduled_cycle IN ('month', 'year')),
	scheduled_seats        int CHECK (scheduled_seats BETWEEN 0 AND 100000),
	credits_granted_period timestamptz,	-- the period start plan credits were granted for
	created_at             timestamptz NOT NULL DEFAULT now(),
	updated_at             timestamptz NOT NULL DEFAULT now(),
	CHECK ((scheduled_plan_code IS NULL) = (scheduled_cycle IS NULL)),
	CHECK ((scheduled_plan_code IS NULL) = (scheduled_seats IS NULL))
);
CREATE TRIGGER subscriptions_touch BEFORE UPDATE ON subscriptions
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- Each subscription change: written (pending) before Stripe is called, the
-- Stripe call's Idempotency-Key derived from its id, finished (done or
-- failed, with the answer we gave) in the transaction that applies
-- Stripe's answer. A pending row is a change whose outcome is not known
-- yet: a retry with the same key, or the next change, replays it.
CREATE TABLE billing_operations (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id          bigint NOT NULL REFERENCES organizations (id),
	kind            text NOT NULL CHECK (kind IN ('create', 'update', 'cancel', 'reactivate', 'apply_scheduled')),
	idem_key        text NOT NULL CHECK (length(idem_key) BETWEEN 1 AND 255),
	request_hash    bytea NOT NULL,
	params          jsonb NOT NULL,
	status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
	response_status int,
	response_body   text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	finished_at     timestamptz,
	UNIQUE (org_id, idem_key)
);
CREATE INDEX billing_operations_pending ON billing_operations (org_id, id) WHERE status = 'pending';

-- Licenses: which members hold one of the org's purchased seats.
CREATE TABLE seat_licenses (
	org_id      bigint NOT NULL,
	user_id     bigint NOT NULL,
	assigned_at timestamptz NOT NULL DEFAULT now(),
	assigned_by bigint REFERENCES users (id),
	PRIMARY KEY (org_id, user_id),
	FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id)
);

-- Daily usage per org, for limits and graphs. Executions are added up;
-- the other columns are the latest reported level of the day.
CREATE TABLE usage_daily (
	org_id     bigint NOT NULL REFERENCES organizations (id),
	day        date NOT NULL,
	users      int NOT NULL DEFAULT 0 CHECK (users >= 0),
	agents     int NOT NULL DEFAULT 0 CHECK (agents >= 0),
	executions bigint NOT NULL DEFAULT 0 CHECK (executions >= 0),
	storage_mb bigint NOT NULL DEFAULT 0 CHECK (storage_mb >= 0),
	gateways   int NOT NULL DEFAULT 0 CHECK (gateways >= 0),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (org_id, day)
);
