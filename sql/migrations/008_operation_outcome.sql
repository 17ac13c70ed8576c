-- 008: a finished subscription operation records its outcome as the core's
-- failure kind (enum ob_fail_kind in core/base/fail.h: 0 done, 1 invalid,
-- 4 conflict, 6 payment, 7 upstream …), not as an HTTP status: the HTTP
-- layer alone maps kinds to statuses. Rows finished before hold the HTTP
-- status they answered; convert them (200/201 done, 400 invalid, 409
-- conflict, 402 payment, any other refusal upstream — the 502 it was).
UPDATE billing_operations SET response_status = CASE
		WHEN response_status IN (200, 201) THEN 0
		WHEN response_status = 400 THEN 1
		WHEN response_status = 409 THEN 4
		WHEN response_status = 402 THEN 6
		ELSE 7
	END
	WHERE response_status >= 100;

ALTER TABLE billing_operations RENAME COLUMN response_status TO outcome_kind;
ALTER TABLE billing_operations ADD CONSTRAINT billing_operations_outcome_kind_check
	CHECK (outcome_kind BETWEEN 0 AND 8);
