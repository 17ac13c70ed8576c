-- 023: accepting an invitation to an org that requires single sign-on goes
-- through the org's provider (docs/SSO.md "Invitations"): the sign-in under
-- way remembers which invitation it accepts once the provider answers.
ALTER TABLE sso_logins ADD COLUMN invitation_id bigint REFERENCES invitations (id) ON DELETE CASCADE;

-- Credit purchases are named to tenants by an opaque public id too ("pur_"
-- and 32 hex digits, as migration 018 did for invoices and refunds): the
-- API's answers and list and the org's activity log carry it; the bigint key
-- stays internal (Stripe's metadata, idempotency keys, grants).
ALTER TABLE credit_purchases
	ADD COLUMN public_id text NOT NULL DEFAULT ob_public_id('pur')
	CHECK (public_id ~ '^pur_[0-9a-f]{32}$');
CREATE UNIQUE INDEX credit_purchases_public_id ON credit_purchases (public_id);

-- Activity rows written before the public ids name invoices, refunds and
-- credit purchases by their internal keys (in target_id, and in the
-- refund's after.id / after.invoice_id). Rename them to the public ids, only
-- where the row's org owns the record; rows already naming a public id are
-- left alone, so running it again changes nothing. Returns the rows changed.
CREATE FUNCTION ob_audit_public_ids() RETURNS bigint
	LANGUAGE plpgsql AS $$
DECLARE
	n bigint := 0;
	k bigint;
BEGIN
	UPDATE audit_log a SET target_id = i.public_id FROM invoices i
	WHERE a.target_type = 'invoice' AND a.target_id ~ '^[0-9]{1,18}$'
	  AND i.id = a.target_id::bigint AND i.org_id IS NOT DISTINCT FROM a.org_id;
	GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
	UPDATE audit_log a SET target_id = r.public_id FROM refunds r
	WHERE a.target_type = 'refund' AND a.target_id ~ '^[0-9]{1,18}$'
	  AND r.id = a.target_id::bigint AND r.org_id IS NOT DISTINCT FROM a.org_id;
	GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
	UPDATE audit_log a SET target_id = p.public_id FROM credit_purchases p
	WHERE a.target_type = 'credit_purchase' AND a.target_id ~ '^[0-9]{1,18}$'
	  AND p.id = a.target_id::bigint AND p.org_id IS NOT DISTINCT FROM a.org_id;
	GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
	-- An invoice named inside a refund's row (after.invoice_id).
	UPDATE audit_log a SET after = jsonb_set(a.after, '{invoice_id}', to_jsonb(i.public_id))
	FROM invoices i
	WHERE a.target_type IN ('invoice', 'refund') AND jsonb_typeof(a.after) = 'object'
	  AND (a.after->>'invoice_id') ~ '^[0-9]{1,18}$'
	  AND i.id = (a.after->>'invoice_id')::bigint AND i.org_id IS NOT DISTINCT FROM a.org_id;
	GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
	-- The refund object an invoice.refund row holds (after.id).
	UPDATE audit_log a SET after = jsonb_set(a.after, '{id}', to_jsonb(r.public_id))
	FROM refunds r
	WHERE a.target_type IN ('invoice', 'refund') AND jsonb_typeof(a.after) = 'object'
	  AND a.after->>'object' = 'refund' AND (a.after->>'id') ~ '^[0-9]{1,18}$'
	  AND r.id = (a.after->>'id')::bigint AND r.org_id IS NOT DISTINCT FROM a.org_id;
	GET DIAGNOSTICS k = ROW_COUNT; n := n + k;
	RETURN n;
END $$;

SELECT ob_audit_public_ids();
