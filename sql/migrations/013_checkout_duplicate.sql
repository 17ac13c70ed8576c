-- 013: one checkout at a time (docs/BILLING.md, "One checkout at a time"):
-- a session completed while the org already had another live
-- subscription is "duplicate" — its subscription was canceled at Stripe
-- and its first payment refunded (or its invoice voided), never mirrored.
ALTER TABLE checkout_sessions DROP CONSTRAINT checkout_sessions_status_check;
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_status_check
	CHECK (status IN ('open', 'complete', 'expired', 'duplicate'));
