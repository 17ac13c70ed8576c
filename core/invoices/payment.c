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

cJSON *
ob_invoices_payment_method(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f)
{
	char customer[128];
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	const cJSON *is, *card;
	const char *pm;
	cJSON *o = NULL;
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
	ob_buf_puts(&path, "/v1/customers/");
	ob_stripe_form_escape(&path, customer, strlen(customer));
	if (ob_inv_stripe_call(st, "GET", path.data, NULL, "", "", &res, f) != 0) {
		cJSON_Delete(o);
		o = NULL;
		goto out;
	}
	is = cJSON_GetObjectItemCaseSensitive(res.body, "invoice_settings");
	pm = ob_json_id(is, "default_payment_method");
	ob_stripe_result_clear(&res);
	if (pm == NULL) {
		cJSON_AddBoolToObject(o, "none", 1);
		goto out;
	}
	ob_buf_reset(&path);
	ob_buf_puts(&path, "/v1/payment_methods/");
	{
		char pmid[128];

		snprintf(pmid, sizeof(pmid), "%s", pm);
		ob_stripe_form_escape(&path, pmid, strlen(pmid));
	}
	if (ob_inv_stripe_call(st, "GET", path.data, NULL, "", "", &res, f) != 0) {
		cJSON_Delete(o);
		o = NULL;
		goto out;
	}
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
out:
	ob_buf_free(&path);
	return o;
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
