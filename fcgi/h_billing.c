/*
 * Billing handlers' shared pieces (h_billing_int.h) — each worker owns one
 * Stripe client, made on first use from the settings (STRIPE_API_BASE,
 * STRIPE_SECRET_KEY) — and the API's plans, billing portal, usage and
 * limits.
 */
#include "fcgi/h_billing.h"
#include "fcgi/h_billing_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/handoff.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "stripe/client.h"
#include "billing/plans.h"
#include "billing/checkout.h"
#include "billing/subscription.h"
#include "invoices/invoices.h"

/* ---- fields ---- */

const char *const ob_h_billing_cycles[] = { "month", "year", NULL };

int
ob_h_billing_email_ok(const char *s)
{
	return strchr(s, '@') != NULL;
}

/* ---- console helpers ---- */

/* The templates print strings: integers become their text before rendering. */
void
ob_h_billing_raw_to_text(cJSON *o)
{
	cJSON *it;

	cJSON_ArrayForEach(it, o) {
		if (cJSON_IsRaw(it)) {
			it->type = cJSON_String;
		} else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
			if (!(it->type & cJSON_IsReference))
				ob_h_billing_raw_to_text(it);
		}
	}
}

/* Outcome codes for ?done= (a fixed table: links cannot make us say anything). */
static const struct ob_page_flash_msg done_msgs[] = {
	{ "created", "success", "Subscription started." },
	{ "payment_required", "warning", "Payment required — the first invoice is not paid yet." },
	{ "changed", "success", "Subscription changed." },
	{ "scheduled", "success", "Change scheduled for the end of the period." },
	{ "canceled", "success", "Subscription canceled." },
	{ "reactivated", "success", "Subscription reactivated." },
	{ "unscheduled", "success", "Scheduled change canceled; the current plan renews." },
	{ "checkout_canceled", "warning", "Payment canceled; nothing was charged." },
	{ "assigned", "success", "Licenses assigned." },
	{ "revoked", "success", "Licenses revoked." },
	{ "imported", "success", "CSV applied." },
	{ "settings", "success", "Settings saved." },
};

int
ob_h_billing_purchase_customer(struct ob_req *r, int64_t org_id, const cJSON *body,
    struct ob_fail *f)
{
	struct ob_fail checks = { 0 };
	char customer[128];
	cJSON *sum = NULL;

	if (ob_checkout_summary(&r->w->db, org_id, body, &sum, &checks) != 0)
		return checks.kind == OB_FAIL_DB ? ob_fail_db(f, r->w->db.lasterr) : 0;
	cJSON_Delete(sum);
	if (ob_invoices_customer(&r->w->db, ob_worker_stripe(r->w), org_id, 1, customer,
	    sizeof(customer), f) < 0)
		return -1;
	return 0;
}

/* Where to pay: the org's open invoice's page (the newest), else the invoices page. */
static const char *
pay_href(struct ob_req *r)
{
	struct ob_invoices_filter flt = { "open", NULL, NULL };
	cJSON *l = ob_invoices_list(&r->w->db, r->who.org_id, &flt, NULL, 1);
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(l, "data"), 0), "id"));
	const char *href = id != NULL ? ob_arena_printf(r->a, "/billing/invoices/%s", id) : "/invoices";

	cJSON_Delete(l);
	return href;
}

void
ob_h_billing_done_flash_code(struct ob_req *r, cJSON *d, const char *code)
{
	cJSON *fl;

	ob_page_flash_code(d, code, done_msgs, sizeof(done_msgs) / sizeof(done_msgs[0]));
	fl = cJSON_GetObjectItem(d, "flash");
	fl = cJSON_GetArrayItem(fl, cJSON_GetArraySize(fl) - 1);
	if (code != NULL && strcmp(code, "payment_required") == 0 && fl != NULL) {
		cJSON_AddStringToObject(fl, "href", pay_href(r));
		cJSON_AddStringToObject(fl, "link", "Complete it here");
	}
}

void
ob_h_billing_done_flash(struct ob_req *r, cJSON *d)
{
	ob_h_billing_done_flash_code(r, d, ob_query_get(r, "done"));
}

/* ---- plans ---- */

int
ob_h_api_plans(struct ob_req *r)
{
	cJSON *list = ob_plans_list(&r->w->db);

	return ob_api_answer(r, list);
}

/* ---- billing portal ---- */

int
ob_h_billing_portal(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	const char *base = r->w->cfg != NULL && r->w->cfg->public_url != NULL ?
	    r->w->cfg->public_url : "";
	char url[1024], ret[512];

	snprintf(ret, sizeof(ret), "%s/subscription", base);
	if (ob_subscription_portal(&r->w->db, ob_worker_stripe(r->w), r->who.org_id,
	    *base != '\0' ? ret : NULL, ob_header(r, "HTTP_IDEMPOTENCY_KEY"), url,
	    sizeof(url), &f) != 0)
		return ob_api_failed(r, &f);
	if (ob_req_is_api(r))
		ob_api_url(r, "billing_portal.session", url);
	else
		ob_handoff_page(r, url, "the billing portal", "/subscription", "subscription");
	return 0;
}

/* ---- usage and limits ---- */

/* A count of a usage report or a limit check: a whole number up to 10^12. */
#define COUNT_ROW(n) \
	{ .name = n, .type = OB_FIELD_INT, .min = 0, .max = 1000000000000LL, \
	    .code = "invalid_integer", .message = n " must be a whole number from 0 to 10^12." }

static const struct ob_field usage_rows[] = {
	{ .name = "users", .type = OB_FIELD_ABSENT, .code = "users_from_seats",
	    .message = "Users are counted from assigned seats." },
	COUNT_ROW("agents"),
	COUNT_ROW("gateways"),
	COUNT_ROW("storage_mb"),
	COUNT_ROW("executions"),
};
const struct ob_fields ob_h_api_usage_fields = OB_FIELDS_TABLE(OB_BODY_JSON, usage_rows, NULL);

static int
resource_ok(const char *s)
{
	return ob_plans_resource_parse(s) >= 0;
}

static const struct ob_field limit_check_rows[] = {
	{ .name = "resource", .type = OB_FIELD_STRING,
	    .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID, .ok = resource_ok,
	    .code = "invalid_resource",
	    .message = "resource must be users, agents, executions, storage_mb or gateways." },
	COUNT_ROW("quantity"),
};
const struct ob_fields ob_h_api_limit_check_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, limit_check_rows, NULL);

static int
usage_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	int64_t set[OB_RES__MAX] = { -1, -1, -1, -1, -1 };

	(void)arg;
	set[OB_RES_AGENTS] = ob_field_i64(r, "agents", -1);
	set[OB_RES_GATEWAYS] = ob_field_i64(r, "gateways", -1);
	set[OB_RES_STORAGE_MB] = ob_field_i64(r, "storage_mb", -1);
	if (ob_plans_usage_report(&r->w->db, r->who.org_id, set, ob_field_i64(r, "executions", 0),
	    out, f) != 0)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_usage(struct ob_req *r)
{
	ob_api_idempotent(r, r->who.org_id, 1, usage_op, NULL);
	return 0;
}

int
ob_h_api_limit_check(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *out = NULL;
	int rc = 0;

	ob_plans_limit_check(&r->w->db, r->who.org_id,
	    (enum ob_resource)ob_plans_resource_parse(ob_field_str(r, "resource")),
	    ob_field_i64(r, "quantity", 1), &out, &f);
	if (out != NULL)
		ob_api_json(r, 200, out);
	else
		rc = ob_api_failed(r, &f);
	cJSON_Delete(out);
	return rc;
}

int
ob_h_api_limits(struct ob_req *r)
{
	cJSON *o = ob_plans_usage_view(&r->w->db, r->who.org_id, 30);

	return ob_api_answer(r, o);
}
