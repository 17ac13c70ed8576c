/*
 * The billing-portal session: a Stripe-hosted page where the org's
 * customer manages payment methods and invoices.
 */
#include "billing/subscription_int.h"

#include <stdio.h>

#include <sodium.h>

#include "stripe/client.h"
#include "base/json.h"

int
ob_subscription_portal(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    const char *return_url, const char *idem_key, char *url, size_t len, struct ob_fail *f)
{
	struct ob_sub cur;
	struct ob_stripe_result res = { 0 };
	char key[OB_STRIPE_IDEM_KEY_MAX + 1], rid[40], what[40];
	unsigned char rnd[16];
	cJSON *q;
	const char *u;
	int rc;

	url[0] = '\0';
	if ((rc = ob_subscription_load(db, org_id, &cur)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc == 1 || cur.customer[0] == '\0')
		return ob_fail(f, OB_FAIL_CONFLICT, "no_customer", NULL,
		    "The org has no Stripe customer yet; buy a plan first.");
	if (st == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "Stripe is not configured (STRIPE_SECRET_KEY).");
	if (idem_key == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		ob_sub_hex(rnd, sizeof(rnd), rid);
		idem_key = rid;
	}
	/* The org is part of the key: two orgs sending the same key get their own sessions. */
	snprintf(what, sizeof(what), "portal-org%lld", (long long)org_id);
	if (ob_stripe_idem_key(key, sizeof(key), what, idem_key) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_idempotency_key", "Idempotency-Key",
		    "Idempotency-Key must be printable ASCII without spaces.");
	q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "customer", cur.customer);
	if (return_url != NULL)
		cJSON_AddStringToObject(q, "return_url", return_url);
	rc = ob_stripe_request(st, "POST", "/v1/billing_portal/sessions", q, key, &res);
	cJSON_Delete(q);
	if (rc != 0) {
		ob_plans_stripe_fail(&res, f);
		ob_stripe_result_clear(&res);
		return -1;
	}
	u = ob_json_str(res.body, "url");
	snprintf(url, len, "%s", u != NULL ? u : "");
	ob_stripe_result_clear(&res);
	if (url[0] == '\0')
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "No portal URL.");
	return 0;
}
