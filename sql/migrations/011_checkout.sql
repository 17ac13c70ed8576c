-- 011: Stripe Checkout Sessions started from the console for a new
-- subscription (docs/BILLING.md, "Subscribing through Checkout"). The row
-- is the org's record of what it ordered; the subscription itself is
-- mirrored from Stripe when checkout.session.completed arrives.
CREATE TABLE checkout_sessions (
	id                     bigserial PRIMARY KEY,
	org_id                 bigint NOT NULL REFERENCES organizations (id),
	stripe_session_id      text NOT NULL UNIQUE CHECK (length(stripe_session_id) <= 255),
	url                    text NOT NULL DEFAULT '' CHECK (length(url) <= 2048),
	plan_code              text NOT NULL,
	cycle                  text NOT NULL CHECK (cycle IN ('month', 'year')),
	seats                  integer NOT NULL CHECK (seats > 0),
	unit_amount            bigint NOT NULL CHECK (unit_amount >= 0),
	currency               char(3) NOT NULL,
	status                 text NOT NULL DEFAULT 'open'
	    CHECK (status IN ('open', 'complete', 'expired')),
	stripe_subscription_id text,
	created_at             timestamptz NOT NULL DEFAULT now(),
	completed_at           timestamptz
);
CREATE INDEX checkout_sessions_org ON checkout_sessions (org_id, created_at DESC);
