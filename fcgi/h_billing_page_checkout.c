/*
 * The console's new-subscription flow through Stripe Checkout: the order
 * summary (POST /subscription/summary), the session (POST
 * /subscription/checkout, answered with a 303 to a same-origin page), the
 * hand-off page (GET /subscription/checkout?session=, which sends the
 * browser on to Stripe by a link and a meta refresh: the CSP's
 * form-action 'self' forbids a form post that ends at Stripe), and the
 * return page (GET /subscription/checkout/return?session_id=), which
 * shows the order as our records have it.
 */
#include "fcgi/h_billing.h"
#include "fcgi/h_billing_int.h"

#include <stdio.h>
#include <string.h>

#include "base/idem.h"
#include "base/json.h"
#include "base/money.h"
#include "base/num.h"
#include "billing/checkout.h"
#include "billing/plans.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "invoices/invoices.h"

/* The summary's form fields (and the checkout form's, with its key). */
static int checkout_fail(struct ob_req *r, const struct ob_fail *f);

static const struct ob_field summary_rows[] = {
	{ .name = "idem", .type = OB_FIELD_STRING },
	OB_H_SUB_PLAN_ROW(OB_FIELD_REQUIRED), OB_H_SUB_CYCLE_ROW, OB_H_SUB_SEATS_ROW,
};
const struct ob_fields ob_h_subscription_summary_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, summary_rows, checkout_fail);
const struct ob_fields ob_h_subscription_checkout_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, summary_rows, checkout_fail);

/* A refused order: the subscription page's error, without a page of our own. */
static int
checkout_fail(struct ob_req *r, const struct ob_fail *f)
{
	cJSON *d = ob_page_new(r, "Order summary", "subscription");

	ob_page_flash(d, "error", f->message);
	cJSON_AddBoolToObject(d, "refused", 1);
	ob_page_render(r, ob_api_fail_status(f->kind), "pages/subscription_summary", d);
	cJSON_Delete(d);
	return 0;
}

/* The form's plan, cycle and seats as a JSON body for core. */
static cJSON *
order_body(struct ob_req *r)
{
	static const char *const names[] = { "plan", "cycle", "seats", NULL };
	const char *const *n;
	cJSON *b = cJSON_CreateObject();
	const char *v;

	for (n = names; *n != NULL; n++)
		if ((v = ob_field_str(r, *n)) != NULL)
			cJSON_AddStringToObject(b, *n, v);
	return b;
}

/* o[text] = o[amount] shown as money in currency cur. */
static void
money(cJSON *o, const char *amount, const char *text, const char *cur)
{
	int64_t v;

	if (ob_num_json_get(o, amount, &v) == 0)
		ob_money_json(o, text, v, cur, OB_MONEY_SYMBOL);
}

/* The order's money as text (unit price, subtotal, total). */
static void
order_text(cJSON *o)
{
	const char *cur = ob_json_str(o, "currency");

	money(o, "unit_amount", "unit_price_text", cur);
	money(o, "subtotal", "subtotal_text", cur);
	money(o, "total_due_today", "total_text", cur);
	money(o, "total", "total_text", cur);
	money(o, "recurring_total", "recurring_text", cur);
	cJSON_AddBoolToObject(o, "yearly", ob_json_str(o, "cycle") != NULL &&
	    strcmp(ob_json_str(o, "cycle"), "year") == 0);
}

int
ob_h_subscription_summary_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *body = order_body(r), *sum = NULL, *d;
	const char *key = ob_field_str(r, "idem");
	int rc;

	rc = ob_checkout_summary(&r->w->db, r->who.org_id, body, &sum, &f);
	cJSON_Delete(body);
	if (rc != 0)
		return f.kind == OB_FAIL_DB ? -1 : checkout_fail(r, &f);
	order_text(sum);
	d = ob_page_new(r, "Order summary", "subscription");
	cJSON_AddItemToObject(d, "order", sum);
	cJSON_AddStringToObject(d, "idem", key != NULL && ob_idem_key_ok(key) ? key : "");
	ob_h_billing_raw_to_text(sum);
	ob_page_render(r, 200, "pages/subscription_summary", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_subscription_checkout_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	const char *base = r->w->cfg != NULL && r->w->cfg->public_url != NULL ?
	    r->w->cfg->public_url : "";
	const char *key = ob_field_str(r, "idem");
	char customer[128], sid[256];
	cJSON *body;
	int rc;

	if (key != NULL && !ob_idem_key_ok(key))
		key = NULL;
	/* The org's one Stripe customer, made once (billing details, purchases, portal). */
	body = order_body(r);
	if (ob_h_billing_purchase_customer(r, r->who.org_id, body, &f) != 0 ||
	    ob_invoices_customer(&r->w->db, ob_worker_stripe(r->w), r->who.org_id, 0, customer,
	    sizeof(customer), &f) < 0) {
		cJSON_Delete(body);
		return f.kind == OB_FAIL_DB ? -1 : checkout_fail(r, &f);
	}
	ob_api_actx(r, &ax);
	rc = ob_checkout_start(&ax, ob_worker_stripe(r->w), r->who.org_id, customer, body, base,
	    key, sid, sizeof(sid), &f);
	cJSON_Delete(body);
	if (rc != 0)
		return f.kind == OB_FAIL_DB ? -1 : checkout_fail(r, &f);
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/subscription/checkout?session=%s", sid));
	return 0;
}

/* The org's session named by the query's parameter, or a 404 page. */
static int
session_page(struct ob_req *r, const char *param, const char *title, const char *tpl)
{
	const char *sid = ob_query_get(r, param);
	struct ob_plan plan;
	cJSON *s = NULL, *d;
	int rc = 1;

	if (sid == NULL || *sid == '\0' || strlen(sid) > 255 ||
	    (rc = ob_checkout_get(&r->w->db, r->who.org_id, sid, &s)) == 1) {
		struct ob_fail f = { 0 };

		ob_fail(&f, OB_FAIL_NOT_FOUND, "no_such_session", NULL, "No such order.");
		return checkout_fail(r, &f);
	}
	if (rc < 0)
		return -1;
	order_text(s);
	ob_h_billing_raw_to_text(s);
	d = ob_page_new(r, title, "subscription");
	cJSON_AddBoolToObject(s, "pending", strcmp(ob_json_str(s, "status"), "pending") == 0);
	cJSON_AddStringToObject(s, "status_text", ob_h_billing_status_text(ob_json_str(s, "status")));
	if (ob_plans_get(&r->w->db, ob_json_str(s, "plan"), r->who.org_id, &plan) == 0)
		cJSON_AddStringToObject(s, "plan_name", plan.name);
	cJSON_AddBoolToObject(s, "open_url", ob_json_str(s, "url")[0] != '\0');
	cJSON_AddItemToObject(d, "order", s);
	ob_page_render(r, 200, tpl, d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_subscription_checkout_page(struct ob_req *r)
{
	return session_page(r, "session", "Continue to payment", "pages/subscription_handoff");
}

int
ob_h_subscription_checkout_return(struct ob_req *r)
{
	return session_page(r, "session_id", "Your order", "pages/subscription_checkout");
}
