-- 007: invoices (mirrored from Stripe), org billing details, refunds,
-- credit purchases, extra-task invoice items, the e-mail outbox and the
-- dunning state of each org (docs/INVOICES.md).
--
-- Money is bigint minor units with a char(3) currency; no floating point
-- and no numeric anywhere.

-- The org's standing in dunning. Metered deductions are refused while it
-- is 'restricted' or 'suspended' (the trigger on credit_usage below).
ALTER TABLE organizations
	ADD COLUMN billing_state text NOT NULL DEFAULT 'active'
	    CHECK (billing_state IN ('active', 'past_due', 'restricted', 'suspended'));

-- What prints on invoices, pushed to the Stripe customer; and the org's
-- Stripe customer when it was made here (before any subscription).
CREATE TABLE org_billing_details (
	org_id             bigint PRIMARY KEY REFERENCES organizations (id),
	email              text CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 320 AND email LIKE '%_@_%')),
	address_line1      text NOT NULL DEFAULT '' CHECK (length(address_line1) <= 200),
	address_line2      text NOT NULL DEFAULT '' CHECK (length(address_line2) <= 200),
	city               text NOT NULL DEFAULT '' CHECK (length(city) <= 100),
	state              text NOT NULL DEFAULT '' CHECK (length(state) <= 100),
	postal_code        text NOT NULL DEFAULT '' CHECK (length(postal_code) <= 20),
	country            text NOT NULL DEFAULT '' CHECK (country = '' OR country ~ '^[A-Z]{2}$'),
	tax_id             text NOT NULL DEFAULT '' CHECK (length(tax_id) <= 30),
	po_number          text NOT NULL DEFAULT '' CHECK (length(po_number) <= 30),
	invoice_notes      text NOT NULL DEFAULT '' CHECK (length(invoice_notes) <= 500),
	stripe_customer_id text UNIQUE,
	pushed_at          timestamptz,
	updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER org_billing_details_touch BEFORE UPDATE ON org_billing_details
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- Stripe's invoices, kept in step by webhooks and the reconcile pass.
-- stripe_seen: the newest Stripe state applied (event or fetch time, Unix
-- seconds); an older one never overwrites it.
CREATE TABLE invoices (
	id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id                 bigint NOT NULL REFERENCES organizations (id),
	stripe_invoice_id      text NOT NULL UNIQUE CHECK (length(stripe_invoice_id) BETWEEN 3 AND 255),
	stripe_customer_id     text NOT NULL,
	stripe_subscription_id text,
	stripe_charge_id       text,
	number                 text,
	status                 text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'uncollectible', 'void')),
	billing_reason         text,
	currency               char(3) NOT NULL,
	subtotal               bigint NOT NULL,
	tax                    bigint NOT NULL DEFAULT 0,
	total                  bigint NOT NULL,
	amount_paid            bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0),
	amount_due             bigint NOT NULL DEFAULT 0 CHECK (amount_due >= 0),
	amount_remaining       bigint NOT NULL DEFAULT 0 CHECK (amount_remaining >= 0),
	amount_refunded        bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
	period_start           timestamptz,
	period_end             timestamptz,
	due_date               timestamptz,
	paid_at                timestamptz,
	hosted_invoice_url     text CHECK (length(hosted_invoice_url) <= 2048),
	invoice_pdf            text CHECK (length(invoice_pdf) <= 2048),
	stripe_created         timestamptz NOT NULL,
	stripe_seen            bigint NOT NULL DEFAULT 0,
	created_at             timestamptz NOT NULL DEFAULT now(),
	updated_at             timestamptz NOT NULL DEFAULT now(),
	CHECK (amount_refunded <= amount_paid)
);
CREATE INDEX invoices_org ON invoices (org_id, stripe_created DESC, id DESC);
CREATE TRIGGER invoices_touch BEFORE UPDATE ON invoices
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- An invoice's lines, replaced whole with each newer Stripe state.
CREATE TABLE invoice_lines (
	invoice_id     bigint NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
	line_no        int NOT NULL,
	org_id         bigint NOT NULL,
	stripe_line_id text,
	kind           text NOT NULL CHECK (kind IN ('seats', 'proration', 'extra_tasks', 'credit_purchase', 'other')),
	description    text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
	quantity       bigint NOT NULL DEFAULT 1,
	unit_amount    bigint,
	amount         bigint NOT NULL,
	currency       char(3) NOT NULL,
	period_start   timestamptz,
	period_end     timestamptz,
	PRIMARY KEY (invoice_id, line_no)
);
CREATE INDEX invoice_lines_org ON invoice_lines (org_id, invoice_id);

-- Staff refunds of an invoice's payment. A row is written (pending) under
-- the invoice's row lock before Stripe is called, so concurrent refunds
-- can never exceed what is refundable; Stripe's answer or charge.refunded
-- settles it.
CREATE TABLE refunds (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id           bigint NOT NULL REFERENCES organizations (id),
	invoice_id       bigint NOT NULL REFERENCES invoices (id),
	stripe_refund_id text UNIQUE,
	stripe_charge_id text,
	amount           bigint NOT NULL CHECK (amount > 0),
	currency         char(3) NOT NULL,
	reason           text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
	status           text NOT NULL DEFAULT 'pending'
	                 CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled', 'requires_action')),
	failure          text,
	requested_by     bigint REFERENCES users (id),
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_org ON refunds (org_id, id DESC);
CREATE INDEX refunds_invoice ON refunds (invoice_id);
CREATE TRIGGER refunds_touch BEFORE UPDATE ON refunds
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- Credits bought through a Stripe invoice: granted once, when it is paid.
CREATE TABLE credit_purchases (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id            bigint NOT NULL REFERENCES organizations (id),
	credits           bigint NOT NULL CHECK (credits > 0),
	amount            bigint NOT NULL CHECK (amount >= 0),
	currency          char(3) NOT NULL DEFAULT 'usd',
	stripe_invoice_id text UNIQUE,
	status            text NOT NULL DEFAULT 'pending'
	                  CHECK (status IN ('pending', 'open', 'granted', 'failed', 'void')),
	grant_id          bigint,
	requested_by      bigint REFERENCES users (id),
	created_at        timestamptz NOT NULL DEFAULT now(),
	granted_at        timestamptz,
	CHECK ((status = 'granted') = (grant_id IS NOT NULL))
);
CREATE INDEX credit_purchases_org ON credit_purchases (org_id, id DESC);

-- Extra tasks of a finished credit period, billed once as a Stripe
-- invoice item (the row is the lock and the record).
CREATE TABLE extra_task_items (
	org_id                bigint NOT NULL REFERENCES organizations (id),
	period_start          date NOT NULL,
	tasks                 bigint NOT NULL CHECK (tasks >= 0),
	credits               bigint NOT NULL CHECK (credits >= 0),
	amount                bigint NOT NULL CHECK (amount >= 0),
	currency              char(3) NOT NULL DEFAULT 'usd',
	status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'created', 'skipped')),
	stripe_invoiceitem_id text,
	created_at            timestamptz NOT NULL DEFAULT now(),
	done_at               timestamptz,
	PRIMARY KEY (org_id, period_start)
);

-- E-mail to send; `orgbill jobs` delivers it over SMTP. dedupe_key makes
-- each notice (one receipt per invoice …) queued once.
CREATE TABLE outbox (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id          bigint REFERENCES organizations (id),
	kind            text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
	dedupe_key      text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 300),
	to_addr         text NOT NULL CHECK (length(to_addr) BETWEEN 3 AND 320 AND to_addr LIKE '%_@_%'),
	subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
	body            text NOT NULL CHECK (length(body) <= 65536),
	status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	attempts        int NOT NULL DEFAULT 0,
	last_error      text,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	created_at      timestamptz NOT NULL DEFAULT now(),
	sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

-- Dunning: the failure that started it and when each state was entered.
CREATE TABLE org_dunning (
	org_id          bigint PRIMARY KEY REFERENCES organizations (id),
	state           text NOT NULL CHECK (state IN ('active', 'past_due', 'restricted', 'suspended')),
	invoice_id      text,			-- the Stripe invoice that failed
	state_since     timestamptz NOT NULL DEFAULT now(),
	past_due_at     timestamptz,
	restricted_at   timestamptz,
	suspended_at    timestamptz,
	recovered_at    timestamptz,
	override_reason text CHECK (length(override_reason) <= 500),
	override_at     timestamptz,		-- staff lifted it: no transitions until the next failure
	updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX org_dunning_open ON org_dunning (state, state_since) WHERE state <> 'active';
CREATE TRIGGER org_dunning_touch BEFORE UPDATE ON org_dunning
	FOR EACH ROW EXECUTE FUNCTION ob_touch_updated_at();

-- Metered deductions of a restricted or suspended org are refused here,
-- whatever path writes them: SQLSTATE OB402 (the API answers 402
-- billing_restricted). Reversals are not affected.
CREATE FUNCTION credit_usage_billing_check() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.kind = 'deduction' AND NEW.org_id IS NOT NULL AND EXISTS (
	    SELECT 1 FROM organizations o WHERE o.id = NEW.org_id
	    AND o.billing_state IN ('restricted', 'suspended')) THEN
		RAISE EXCEPTION 'billing_restricted: the organization''s billing is restricted'
		    USING ERRCODE = 'OB402';
	END IF;
	RETURN NEW;
END;
$$;
CREATE TRIGGER credit_usage_billing BEFORE INSERT ON credit_usage
	FOR EACH ROW EXECUTE FUNCTION credit_usage_billing_check();
