-- 012: a change at the period's end is a Stripe Subscription Schedule
-- (docs/BILLING.md, "Scheduled changes"): the subscription row names it,
-- and the operation queue gains the kinds that make and release it.
ALTER TABLE subscriptions
	ADD COLUMN stripe_schedule_id text CHECK (length(stripe_schedule_id) <= 255);

ALTER TABLE billing_operations DROP CONSTRAINT billing_operations_kind_check;
ALTER TABLE billing_operations ADD CONSTRAINT billing_operations_kind_check
	CHECK (kind IN ('create', 'update', 'cancel', 'reactivate', 'apply_scheduled',
	    'schedule', 'unschedule'));
