/*
 * The customer's default payment method, and billing-portal sessions to
 * change it. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stripe/form.h"
#include "base/num.h"

/* GET /v1/<kind>/<id> (id escaped) as ob_inv_stripe_call makes it. 0 with res, or -1 with f. */
static int
stripe_get(struct ob_stripe *st, const char *kind, const char *id, struct ob_stripe_result *res,
    struct ob_fail *f)
{
	struct ob_buf path = OB_BUF_INIT;
	int rc;

	ob_buf_printf(&path, "/v1/%s/", kind);
	ob_stripe_form_escape(&path, id, strlen(id));
	rc = ob_inv_stripe_call(st, "GET", path.data, NULL, "", "", res, f);
	ob_buf_free(&path);
	return rc;
}

cJSON *
ob_invoices_payment_method(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f)
{
	char customer[128], pm[128];
	struct ob_stripe_result res;
	const cJSON *card;
	const char *id;
	cJSON *o;
	int64_t v;
	int rc;

	rc = ob_invoices_customer(db, st, org_id, 0, customer, sizeof(customer), f);
	if (rc < 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "payment_method");
	if (rc == 1 || st == NULL) {
		cJSON_AddBoolToObject(o, "none", 1);
		return o;
	}
	if (stripe_get(st, "customers", customer, &res, f) != 0)
		goto fail;
	/* Copied out before the answer is cleared. */
	id = ob_json_id(cJSON_GetObjectItemCaseSensitive(res.body, "invoice_settings"),
	    "default_payment_method");
	rc = id != NULL;
	snprintf(pm, sizeof(pm), "%s", id != NULL ? id : "");
	ob_stripe_result_clear(&res);
	if (!rc) {
		cJSON_AddBoolToObject(o, "none", 1);
		return o;
	}
	if (stripe_get(st, "payment_methods", pm, &res, f) != 0)
		goto fail;
	card = cJSON_GetObjectItemCaseSensitive(res.body, "card");
	cJSON_AddBoolToObject(o, "none", 0);
	cJSON_AddStringToObject(o, "id", ob_json_str_or(res.body, "id", ""));
	cJSON_AddStringToObject(o, "brand", ob_json_str_or(card, "brand", "card"));
	cJSON_AddStringToObject(o, "last4", ob_json_str_or(card, "last4", ""));
	if (ob_num_json_get(card, "exp_month", &v) == 0)
		ob_json_add_i64(o, "exp_month", v);
	if (ob_num_json_get(card, "exp_year", &v) == 0)
		ob_json_add_i64(o, "exp_year", v);
	ob_stripe_result_clear(&res);
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int
ob_invoices_portal(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *return_url,
    char *url, size_t len, struct ob_fail *f)
{
	char customer[128], opid[96];
	struct ob_stripe_result res;
	cJSON *q;
	int rc = -1;

	url[0] = '\0';
	if (ob_invoices_customer(db, st, org_id, 1, customer, sizeof(customer), f) != 0)
		return -1;
	q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "customer", customer);
	cJSON_AddStringToObject(q, "return_url", return_url);
	/* A new session every time: the key only protects one click's retries. */
	snprintf(opid, sizeof(opid), "%lld-%ld-%ld", (long long)org_id, (long)time(NULL),
	    (long)(random() & 0x7fffffff));
	if (ob_inv_stripe_call(st, "POST", "/v1/billing_portal/sessions", q, "portal", opid, &res, f) != 0)
		goto out;
	if (ob_json_str(res.body, "url") == NULL ||
	    strlen(ob_json_str(res.body, "url")) >= len) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "Stripe gave no portal URL.");
	} else {
		snprintf(url, len, "%s", ob_json_str(res.body, "url"));
		rc = 0;
	}
	ob_stripe_result_clear(&res);
out:
	cJSON_Delete(q);
	return rc;
}
