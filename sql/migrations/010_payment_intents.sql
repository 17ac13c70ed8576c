-- 010: a credit purchase is its own idempotency record. The API's
-- Idempotency-Key is stored on the purchase row, which is committed before
-- any Stripe call: a retry with the same key finds the row and resumes it
-- (the Stripe calls carry keys derived from the purchase id, so they replay
-- rather than charge again) instead of starting a second purchase.
ALTER TABLE credit_purchases ADD COLUMN idem_key text
	CHECK (idem_key IS NULL OR length(idem_key) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX credit_purchases_idem ON credit_purchases (org_id, idem_key)
	WHERE idem_key IS NOT NULL;

-- A staff refund is likewise its own idempotency record: its row (status
-- pending) is committed before Stripe is called, without holding the
-- invoice's lock across the call; a retry with the same key resumes it.
ALTER TABLE refunds ADD COLUMN idem_key text
	CHECK (idem_key IS NULL OR length(idem_key) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX refunds_idem ON refunds (org_id, idem_key) WHERE idem_key IS NOT NULL;

-- A webhook event being applied is claimed (a lease committed first) rather
-- than held locked: its handler may fetch from Stripe, and no row lock is
-- kept across that call. A lease that runs out (a worker died) lets the
-- retry runner take the event again.
ALTER TABLE webhook_events ADD COLUMN claimed_until timestamptz;
