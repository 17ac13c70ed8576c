/*
 * Credit purchases: the console's form and the REST API's list and
 * purchase (h_invoices.h).
 */
#include "fcgi/h_invoices.h"
#include "fcgi/h_invoices_int.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "credits/credits.h"
#include "fcgi/input.h"
#include "invoices/invoices.h"
#include "fcgi/worker.h"
#include "base/num.h"

/* credits from a form or JSON value: 1..OB_INVOICES_CREDITS_MAX. */
static int
parse_credits(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || strlen(s) > 12 || strspn(s, "0123456789") != strlen(s))
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 1 || v > OB_INVOICES_CREDITS_MAX)
		return -1;
	*out = v;
	return 0;
}

int
ob_h_credit_purchase_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t credits;
	int declined = 0;
	cJSON *out;

	if (parse_credits(ob_form_get(r, "credits"), &credits) != 0) {
		ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid", "credits",
		    "Enter a number of credits from 1 to %lld.", (long long)OB_INVOICES_CREDITS_MAX);
		ob_api_fail(r, &f);
		return 0;
	}
	ob_api_actx(r, &ax);
	out = ob_invoices_buy_credits(&ax, ob_worker_stripe(r->w), r->who.org_id, credits, &declined, &f);
	if (out == NULL) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	cJSON_Delete(out);
	ob_resp_redirect(r, 303, declined ? "/billing/invoices?done=credits_declined" :
	    "/billing/invoices?done=credits_bought");
	return 0;
}

int
ob_h_api_purchases(struct ob_req *r)
{
	cJSON *list = ob_invoices_purchases(&r->w->db, r->who.org_id, 100);

	return ob_api_answer(r, list);
}

static int
purchase_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(arg, "credits");
	struct ob_actx ax;
	int64_t credits = 0;
	int declined = 0;
	cJSON *o;

	if (c == NULL || ob_num_json(c, 1, OB_INVOICES_CREDITS_MAX, &credits) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "credits",
		    "credits is an integer from 1 to %lld.", (long long)OB_INVOICES_CREDITS_MAX);
	ob_api_actx(r, &ax);
	if ((o = ob_invoices_buy_credits(&ax, ob_worker_stripe(r->w), r->who.org_id, credits, &declined, f)) == NULL)
		return -1;
	if (declined) {
		/* Kept (the purchase and its open invoice exist): a 402 with the purchase. */
		cJSON *err = cJSON_AddObjectToObject(o, "error");

		cJSON_AddStringToObject(err, "type", "invalid_request_error");
		cJSON_AddStringToObject(err, "code", "card_declined");
		cJSON_AddStringToObject(err, "message", f->message);
		cJSON_AddNullToObject(err, "param");
		*status = 402;
	} else {
		*status = 201;
	}
	*out = o;
	return 0;
}

int
ob_h_api_purchase(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, purchase_op);
	return 0;
}
