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
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "stripe/client.h"
#include "billing/plans.h"
#include "billing/subscription.h"

int
ob_h_billing_fail(struct ob_req *r, const struct ob_fail *f)
{
	if (f->kind == OB_FAIL_DB)
		return -1;
	ob_api_fail(r, f);
	return 0;
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
static const struct {
	const char *code, *message;
} done_msgs[] = {
	{ "created", "Subscription started." },
	{ "changed", "Subscription changed." },
	{ "scheduled", "Change scheduled for the end of the period." },
	{ "canceled", "Subscription canceled." },
	{ "reactivated", "Subscription reactivated." },
	{ "assigned", "Licenses assigned." },
	{ "revoked", "Licenses revoked." },
	{ "imported", "CSV applied." },
	{ "settings", "Settings saved." },
};

void
ob_h_billing_done_flash(struct ob_req *r, cJSON *d)
{
	const char *code = ob_query_get(r, "done");
	size_t i;

	for (i = 0; code != NULL && i < sizeof(done_msgs) / sizeof(done_msgs[0]); i++)
		if (strcmp(code, done_msgs[i].code) == 0)
			ob_page_flash(d, "success", done_msgs[i].message);
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
	cJSON *o;

	snprintf(ret, sizeof(ret), "%s/subscription", base);
	if (ob_subscription_portal(&r->w->db, ob_worker_stripe(r->w), r->who.org_id,
	    *base != '\0' ? ret : NULL, ob_header(r, "HTTP_IDEMPOTENCY_KEY"), url,
	    sizeof(url), &f) != 0)
		return ob_h_billing_fail(r, &f);
	if (!ob_req_is_api(r)) {
		ob_resp_redirect(r, 303, url);
		return 0;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "billing_portal.session");
	cJSON_AddStringToObject(o, "url", url);
	ob_api_json(r, 200, o);
	cJSON_Delete(o);
	return 0;
}

/* ---- usage and limits ---- */

struct usage_arg {
	const cJSON *body;
};

static int
json_count(const cJSON *body, const char *name, int64_t *v, struct ob_fail *f)
{
	const cJSON *it = cJSON_GetObjectItem(body, name);
	char *txt;
	char *end;
	long long x;

	if (it == NULL || cJSON_IsNull(it))
		return 0;
	txt = cJSON_IsNumber(it) ? cJSON_PrintUnformatted(it) : NULL;
	if (txt == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_integer", name,
		    "%s must be a whole number.", name);
	x = strtoll(txt, &end, 10);
	if (*end != '\0' || x < 0 || strlen(txt) > 13) {
		free(txt);
		return ob_fail(f, OB_FAIL_INVALID, "invalid_integer", name,
		    "%s must be a whole number from 0 to 10^12.", name);
	}
	free(txt);
	*v = x;
	return 0;
}

static int
usage_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const cJSON *body = ((struct usage_arg *)arg)->body;
	int64_t set[OB_RES__MAX] = { -1, -1, -1, -1, -1 }, add = 0;

	if (cJSON_GetObjectItem(body, "users") != NULL)
		return ob_fail(f, OB_FAIL_INVALID, "users_from_seats", "users",
		    "Users are counted from assigned seats.");
	if (json_count(body, "agents", &set[OB_RES_AGENTS], f) != 0 ||
	    json_count(body, "gateways", &set[OB_RES_GATEWAYS], f) != 0 ||
	    json_count(body, "storage_mb", &set[OB_RES_STORAGE_MB], f) != 0 ||
	    json_count(body, "executions", &add, f) != 0)
		return -1;
	if (ob_plans_usage_report(&r->w->db, r->who.org_id, set, add, out, f) != 0)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_usage(struct ob_req *r)
{
	struct usage_arg a;
	cJSON *body = ob_api_body(r);

	if (body == NULL)
		return 0;
	a.body = body;
	ob_api_idempotent(r, r->who.org_id, 1, usage_op, &a);
	return 0;
}

int
ob_h_api_limit_check(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *body = ob_api_body(r), *out = NULL;
	int64_t qty = 1;
	int res, rc = 0;

	if (body == NULL)
		return 0;
	res = ob_plans_resource_parse(ob_api_str(body, "resource"));
	if (res < 0)
		ob_fail(&f, OB_FAIL_INVALID, "invalid_resource", "resource",
		    "resource must be users, agents, executions, storage_mb or gateways.");
	else if (json_count(body, "quantity", &qty, &f) == 0)
		ob_plans_limit_check(&r->w->db, r->who.org_id, (enum ob_resource)res, qty, &out, &f);
	if (out != NULL)
		ob_api_json(r, 200, out);
	else
		rc = ob_h_billing_fail(r, &f);
	cJSON_Delete(out);
	return rc;
}

int
ob_h_api_limits(struct ob_req *r)
{
	cJSON *o = ob_plans_usage_view(&r->w->db, r->who.org_id, 30);

	return ob_api_answer(r, o);
}
