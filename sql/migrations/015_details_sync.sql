-- 015: billing details are saved here first and pushed to the Stripe
-- customer afterwards, with no transaction open (docs/BILLING.md, "Billing
-- details"). version counts the saves, pushed_version is the save Stripe
-- has, push_error the last failed push; `orgbill jobs` pushes what is
-- pending (pushed_version < version).
ALTER TABLE org_billing_details
	ADD COLUMN version bigint NOT NULL DEFAULT 0,
	ADD COLUMN pushed_version bigint NOT NULL DEFAULT 0,
	ADD COLUMN push_error text CHECK (push_error IS NULL OR length(push_error) <= 300);

CREATE INDEX org_billing_details_push_pending ON org_billing_details (org_id)
	WHERE pushed_version < version;
