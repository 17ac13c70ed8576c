/*
 * Plans, subscriptions, seats, usage and limits: console pages, forms and
 * the API. Each worker owns one Stripe client, made on first use from the
 * settings (STRIPE_API_BASE, STRIPE_SECRET_KEY).
 */
#include "fcgi/h_billing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "fcgi/api.h"
#include "stripe/client.h"
#include "base/idem.h"
#include "fcgi/input.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "billing/plans.h"
#include "identity/policy.h"
#include "fcgi/router.h"
#include "billing/seats.h"
#include "billing/subscription.h"
#include "fcgi/worker.h"

static struct ob_stripe *billing_stripe;	/* this process's client */

static struct ob_stripe *
stripe(struct ob_req *r)
{
	const struct ob_cfg *c = r->w->cfg;

	if (billing_stripe == NULL && c != NULL && c->stripe_secret_key != NULL &&
	    *c->stripe_secret_key != '\0')
		billing_stripe = ob_stripe_new(c->stripe_api_base, c->stripe_secret_key,
		    5000, 30000, 3);
	return billing_stripe;
}

/* Answer a core failure; -1 (503) for database failures. */
static int
api_fail(struct ob_req *r, const struct ob_fail *f)
{
	if (f->kind == OB_FAIL_DB)
		return -1;
	ob_api_fail(r, f);
	return 0;
}

/*
 * The HTTP status of a subscription change's answer: a replayed refusal's
 * by its kind, else 201 for a new subscription and 200 for the rest.
 */
static int
answer_status(const struct ob_sub_answer *ans)
{
	if (ans->fail != OB_FAIL_NONE)
		return ob_api_fail_status(ans->fail);
	return ans->created ? 201 : 200;
}

/* The serialized answer of a subscription change (may be a replayed error). */
static void
api_answer(struct ob_req *r, const struct ob_sub_answer *ans)
{
	ob_api_json(r, answer_status(ans), ans->body);
	if (ans->replayed)
		ob_resp_header(r, "Idempotent-Replayed", "true");
}

static int
idem_key(struct ob_req *r, const char **key, unsigned char hash[32], struct ob_fail *f)
{
	*key = ob_header(r, "HTTP_IDEMPOTENCY_KEY");
	if (*key == NULL)
		return 0;
	if (!ob_idem_key_ok(*key))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_idempotency_key", "Idempotency-Key",
		    "Idempotency-Key must be 1 to 255 printable ASCII characters.");
	ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
	return 0;
}

/* ---- API: plans and subscriptions ---- */

int
ob_h_api_plans(struct ob_req *r)
{
	cJSON *list = ob_plans_list(&r->w->db);

	return ob_api_answer(r, list);
}

/*
 * POST /subscriptions names the org in its body: the gate checked the
 * caller against the session's (or key's) org, so check it again here for
 * the org named. Orgs the caller cannot see are 404.
 */
static int
body_org(struct ob_req *r, const cJSON *body, int64_t *org_id, struct ob_fail *f)
{
	const cJSON *it = cJSON_GetObjectItem(body, "org_id");
	struct ob_principal p;
	int64_t id = 0;
	char buf[24];

	if (ob_route_param(r, "org_id") != NULL) {
		*org_id = r->who.org_id;
		return 0;
	}
	if (cJSON_IsString(it))
		id = ob_parse_id(it->valuestring);
	else if (cJSON_IsNumber(it) && it->valueint > 0) {
		snprintf(buf, sizeof(buf), "%d", it->valueint);
		id = ob_parse_id(buf);
	}
	if (id == 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "org_id",
		    "org_id is required.");
	if (id == r->who.org_id) {
		*org_id = id;
		return 0;
	}
	p = r->who;
	if (p.kind == OB_PRINCIPAL_USER) {
		if (ob_member_standing(&r->w->db, id, &p) != 0)
			return ob_fail_db(f, r->w->db.lasterr);
	} else {
		p.org_id = id;
	}
	switch (ob_policy_decide(OB_ACT_SUBSCRIPTION_CHANGE, &p)) {
	case OB_ALLOW:
		*org_id = id;
		return 0;
	case OB_DENY_FORBIDDEN:
		return ob_fail(f, OB_FAIL_FORBIDDEN, "forbidden", "org_id",
		    "You may not change this organization's subscription.");
	default:
		return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id",
		    "No such organization.");
	}
}

static int
api_change(struct ob_req *r, const char *kind, int require_plan)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	struct ob_sub_answer ans = { 0 };
	unsigned char hash[32];
	const char *key;
	cJSON *body = NULL;
	int64_t org_id = r->who.org_id;
	int rc = 0;

	if ((body = ob_api_body(r)) == NULL)
		return 0;
	if (idem_key(r, &key, hash, &f) != 0)
		goto fail;
	if (strcmp(kind, "create") == 0 && body_org(r, body, &org_id, &f) != 0)
		goto fail;
	if (require_plan && ob_api_str(body, "plan") == NULL) {
		ob_fail(&f, OB_FAIL_INVALID, "parameter_missing", "plan", "plan is required.");
		goto fail;
	}
	ob_api_actx(r, &ax);
	if (ob_subscription_change(&ax, stripe(r), org_id, kind, key, key ? hash : NULL, body,
	    &ans, &f) != 0)
		goto fail;
	api_answer(r, &ans);
	goto out;
fail:
	rc = api_fail(r, &f);
out:
	cJSON_Delete(ans.body);
	cJSON_Delete(body);
	return rc;
}

int
ob_h_api_sub_create(struct ob_req *r)
{
	return api_change(r, "create", 1);
}

int
ob_h_api_sub_update(struct ob_req *r)
{
	return api_change(r, "update", 0);
}

int
ob_h_api_sub_upgrade(struct ob_req *r)
{
	return api_change(r, "update", 1);
}

int
ob_h_api_sub_cancel(struct ob_req *r)
{
	return api_change(r, "cancel", 0);
}

int
ob_h_api_sub_reactivate(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	struct ob_sub_answer ans = { 0 };
	unsigned char hash[32];
	const char *key;
	cJSON *body = cJSON_CreateObject();
	int rc = 0;

	if (idem_key(r, &key, hash, &f) != 0) {
		rc = api_fail(r, &f);
		goto out;
	}
	ob_api_actx(r, &ax);
	if (ob_subscription_change(&ax, stripe(r), r->who.org_id, "reactivate", key,
	    key ? hash : NULL, body, &ans, &f) != 0)
		rc = api_fail(r, &f);
	else
		api_answer(r, &ans);
out:
	cJSON_Delete(body);
	cJSON_Delete(ans.body);
	return rc;
}

int
ob_h_api_sub_get(struct ob_req *r)
{
	cJSON *o = ob_subscription_view(&r->w->db, r->who.org_id);

	return ob_api_answer(r, o);
}

int
ob_h_api_sub_preview(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *body, *out = NULL;
	int rc = 0;

	if ((body = ob_api_body(r)) == NULL)
		return 0;
	if (ob_subscription_preview(&r->w->db, r->who.org_id, body, (int64_t)time(NULL), &out, &f) != 0)
		rc = api_fail(r, &f);
	else
		ob_api_json(r, 200, out);
	cJSON_Delete(out);
	cJSON_Delete(body);
	return rc;
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
	if (ob_subscription_portal(&r->w->db, stripe(r), r->who.org_id,
	    *base != '\0' ? ret : NULL, ob_header(r, "HTTP_IDEMPOTENCY_KEY"), url,
	    sizeof(url), &f) != 0)
		return api_fail(r, &f);
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
	cJSON_Delete(body);
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
		rc = api_fail(r, &f);
	cJSON_Delete(out);
	cJSON_Delete(body);
	return rc;
}

int
ob_h_api_limits(struct ob_req *r)
{
	cJSON *o = ob_plans_usage_view(&r->w->db, r->who.org_id, 30);

	return ob_api_answer(r, o);
}

/* ---- seats ---- */

/*
 * Apply rows; when seats run out and the org enabled automatic seat
 * increase, buy the missing seats first (one subscription change) and try
 * again. *result on success; errors collects bad rows.
 */
static int
seats_apply(struct ob_req *r, const struct ob_seat_row *rows, int n, cJSON *errors,
    cJSON **result, struct ob_fail *f)
{
	struct ob_actx ax;
	struct ob_sub s;
	struct ob_sub_answer ans;
	int64_t needed = 0;
	int on = 0;
	cJSON *body;
	char seats[24];

	ob_api_actx(r, &ax);
	if (ob_seats_apply(&ax, r->who.org_id, rows, n, errors, &needed, result, f) == 0)
		return 0;
	if (f->code == NULL || strcmp(f->code, "seats_exhausted") != 0)
		return -1;
	if (ob_seats_auto_increase(&r->w->db, r->who.org_id, &on) != 0)
		return ob_fail_db(f, r->w->db.lasterr);
	if (!on || ob_subscription_load(&r->w->db, r->who.org_id, &s) != 0)
		return -1;	/* f says seats_exhausted */
	body = cJSON_CreateObject();
	snprintf(seats, sizeof(seats), "%lld", (long long)(s.seats + needed));
	cJSON_AddStringToObject(body, "seats", seats);
	memset(f, 0, sizeof(*f));
	if (ob_subscription_change(&ax, stripe(r), r->who.org_id, "update", NULL, NULL, body,
	    &ans, f) != 0) {
		cJSON_Delete(body);
		return -1;
	}
	cJSON_Delete(body);
	cJSON_Delete(ans.body);
	return ob_seats_apply(&ax, r->who.org_id, rows, n, errors, &needed, result, f);
}

/* The error body of a bulk change with its bad rows. */
static void
seats_fail_json(struct ob_req *r, const struct ob_fail *f, cJSON *errors)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

	cJSON_AddStringToObject(e, "type", "invalid_request_error");
	cJSON_AddStringToObject(e, "code", f->code != NULL ? f->code : "invalid");
	cJSON_AddStringToObject(e, "message", f->message);
	if (f->param != NULL)
		cJSON_AddStringToObject(e, "param", f->param);
	else
		cJSON_AddNullToObject(e, "param");
	cJSON_AddItemReferenceToObject(e, "rows", errors);
	ob_api_json(r, ob_api_fail_status(f->kind), o);
	cJSON_Delete(o);
}

/* Rows from {"user_ids":[…]} or {"emails":[…]}. */
static int
rows_from_body(const cJSON *body, int assign, struct ob_seat_row **rows, struct ob_fail *f)
{
	const cJSON *ids = cJSON_GetObjectItem(body, "user_ids");
	const cJSON *emails = cJSON_GetObjectItem(body, "emails");
	const cJSON *list = cJSON_IsArray(ids) ? ids : emails, *it;
	int n = 0;

	*rows = NULL;
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "user_ids",
		    "user_ids or emails (a non-empty list) is required.");
	if (cJSON_GetArraySize(list) > OB_SEATS_ROWS_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "too_many_rows", "user_ids",
		    "At most %d members at once.", OB_SEATS_ROWS_MAX);
	*rows = calloc((size_t)cJSON_GetArraySize(list), sizeof(**rows));
	if (*rows == NULL)
		return ob_fail(f, OB_FAIL_DB, "out_of_memory", NULL, "Out of memory.");
	cJSON_ArrayForEach(it, list) {
		struct ob_seat_row *row = &(*rows)[n];

		row->line = n + 1;
		row->assign = assign;
		if (list == ids) {
			if (cJSON_IsString(it))
				row->user_id = ob_parse_id(it->valuestring);
			if (row->user_id == 0) {
				free(*rows);
				*rows = NULL;
				return ob_fail(f, OB_FAIL_INVALID, "invalid_user_id", "user_ids",
				    "user_ids must be id strings.");
			}
		} else {
			if (!cJSON_IsString(it) || strlen(it->valuestring) >= sizeof(row->email)) {
				free(*rows);
				*rows = NULL;
				return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "emails",
				    "emails must be e-mail address strings.");
			}
			snprintf(row->email, sizeof(row->email), "%s", it->valuestring);
		}
		n++;
	}
	return n;
}

static int
api_seats_change(struct ob_req *r, int assign, int csv)
{
	struct ob_fail f = { 0 };
	struct ob_seat_row *rows = NULL;
	cJSON *body = ob_api_body(r), *errors = cJSON_CreateArray(), *result = NULL;
	const char *text;
	int n, rc = 0;

	if (body == NULL) {
		cJSON_Delete(errors);
		return 0;
	}
	if (csv) {
		text = ob_api_str(body, "csv");
		if (text == NULL)
			n = ob_fail(&f, OB_FAIL_INVALID, "parameter_missing", "csv", "csv is required.");
		else if ((n = ob_seats_csv_parse(text, &rows, errors)) < 0)
			ob_fail(&f, OB_FAIL_INVALID, "csv_too_large", "csv",
			    "The CSV is over %d rows or %d bytes.", OB_SEATS_ROWS_MAX, OB_SEATS_CSV_MAX);
	} else {
		n = rows_from_body(body, assign, &rows, &f);
	}
	if (n < 0)
		rc = api_fail(r, &f);
	else if (seats_apply(r, rows, n, errors, &result, &f) != 0) {
		if (f.kind == OB_FAIL_DB)
			rc = -1;
		else
			seats_fail_json(r, &f, errors);
	} else {
		ob_api_json(r, 200, result);
	}
	free(rows);
	cJSON_Delete(result);
	cJSON_Delete(errors);
	cJSON_Delete(body);
	return rc;
}

int
ob_h_api_seats(struct ob_req *r)
{
	cJSON *o = ob_seats_list(&r->w->db, r->who.org_id, ob_query_get(r, "q"),
	    ob_query_get(r, "status"), ob_query_get(r, "department"));

	return ob_api_answer(r, o);
}

int
ob_h_api_seats_assign(struct ob_req *r)
{
	return api_seats_change(r, 1, 0);
}

int
ob_h_api_seats_revoke(struct ob_req *r)
{
	return api_seats_change(r, 0, 0);
}

int
ob_h_api_seats_csv(struct ob_req *r)
{
	return api_seats_change(r, 1, 1);
}

int
ob_h_api_seats_settings(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	cJSON *body = ob_api_body(r), *o;
	const cJSON *it;
	int rc = 0;

	if (body == NULL)
		return 0;
	it = cJSON_GetObjectItem(body, "auto_seat_increase");
	ob_api_actx(r, &ax);
	if (!cJSON_IsBool(it))
		rc = api_fail(r, (ob_fail(&f, OB_FAIL_INVALID, "parameter_missing",
		    "auto_seat_increase", "auto_seat_increase (true or false) is required."), &f));
	else if (ob_seats_set_auto_increase(&ax, r->who.org_id, cJSON_IsTrue(it), &f) != 0)
		rc = api_fail(r, &f);
	else {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "object", "billing_settings");
		cJSON_AddBoolToObject(o, "auto_seat_increase", cJSON_IsTrue(it));
		ob_api_json(r, 200, o);
		cJSON_Delete(o);
	}
	cJSON_Delete(body);
	return rc;
}

/* ---- console ---- */

/*
 * The templates print strings: turn the exact integers (raw JSON numbers)
 * of a view model into their text, recursively, before rendering.
 */
static void
raw_to_text(cJSON *o)
{
	cJSON *it;

	cJSON_ArrayForEach(it, o) {
		if (cJSON_IsRaw(it)) {
			it->type = cJSON_String;
		} else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
			if (!(it->type & cJSON_IsReference))
				raw_to_text(it);
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

static void
done_flash(struct ob_req *r, cJSON *d)
{
	const char *code = ob_query_get(r, "done");
	size_t i;

	for (i = 0; code != NULL && i < sizeof(done_msgs) / sizeof(done_msgs[0]); i++)
		if (strcmp(code, done_msgs[i].code) == 0)
			ob_page_flash(d, "success", done_msgs[i].message);
}

static void
money(char *buf, size_t n, int64_t cents)
{
	int64_t a = cents < 0 ? -cents : cents;

	snprintf(buf, n, "%s$%lld.%02lld", cents < 0 ? "-" : "", (long long)(a / 100),
	    (long long)(a % 100));
}

static void
add_money(cJSON *o, const char *name, const cJSON *cents)
{
	char buf[40];
	char *end;
	long long v;

	if (cents == NULL || !cJSON_IsRaw(cents))
		return;
	v = strtoll(cents->valuestring, &end, 10);
	if (*end != '\0')
		return;
	money(buf, sizeof(buf), v);
	cJSON_AddStringToObject(o, name, buf);
}

/* A fresh Idempotency-Key for a form (a retry of the same page replays). */
static void
form_key(cJSON *d)
{
	unsigned char rnd[16];
	char hex[40];
	int i;

	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	cJSON_AddStringToObject(d, "idem", hex);
}

/* The hero summary, also for the overview page (partials/billing_hero). */
static void
hero(cJSON *d, const cJSON *sub)
{
	cJSON *h = cJSON_AddObjectToObject(d, "billing_hero");
	const cJSON *seats = cJSON_GetObjectItem(sub, "seats"), *plan = cJSON_GetObjectItem(sub, "plan");
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "status"));
	const char *end = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "current_period_end"));

	cJSON_AddStringToObject(h, "plan", cJSON_IsObject(plan) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(plan, "name")) : "No plan");
	cJSON_AddStringToObject(h, "status", status != NULL ? status : "none");
	cJSON_AddItemToObject(h, "seats_used", cJSON_Duplicate(cJSON_GetObjectItem(seats, "assigned"), 1));
	cJSON_AddItemToObject(h, "seats_purchased", cJSON_Duplicate(cJSON_GetObjectItem(seats, "purchased"), 1));
	cJSON_AddStringToObject(h, "period_end", end != NULL ? end : "");
	cJSON_AddBoolToObject(h, "canceling", cJSON_IsTrue(cJSON_GetObjectItem(sub, "cancel_at_period_end")));
	cJSON_AddBoolToObject(h, "has_subscription", status != NULL && strcmp(status, "none") != 0);
}

int
ob_h_billing_hero(struct ob_req *r, cJSON *page)
{
	cJSON *sub = ob_subscription_view(&r->w->db, r->who.org_id);

	if (sub == NULL)
		return -1;
	hero(page, sub);
	raw_to_text(cJSON_GetObjectItem(page, "billing_hero"));
	cJSON_Delete(sub);
	return 0;
}

static int
render_subscription(struct ob_req *r, int status, const struct ob_fail *f, cJSON *preview)
{
	cJSON *d, *sub, *plans, *cards, *p, *card, *lines, *l;
	const char *cur_plan, *cur_cycle, *st;
	int live;

	if ((sub = ob_subscription_view(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	if ((plans = ob_plans_list(&r->w->db)) == NULL) {
		cJSON_Delete(sub);
		return -1;
	}
	d = ob_page_new(r, "Subscription", "subscription");
	done_flash(r, d);
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	hero(d, sub);
	st = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "status"));
	live = st != NULL && strcmp(st, "none") != 0 && strcmp(st, "canceled") != 0;
	cur_plan = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "plan_id"));
	cur_cycle = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "cycle"));
	cards = cJSON_AddArrayToObject(d, "plans");
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(plans, "data")) {
		const cJSON *ua = cJSON_GetObjectItem(p, "unit_amount");
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(p, "id"));

		card = cJSON_Duplicate(p, 1);
		add_money(card, "price_month", cJSON_GetObjectItem(ua, "month"));
		add_money(card, "price_year", cJSON_GetObjectItem(ua, "year"));
		cJSON_AddBoolToObject(card, "priced", cJSON_IsRaw(cJSON_GetObjectItem(ua, "month")));
		cJSON_AddBoolToObject(card, "current", cur_plan != NULL && strcmp(cur_plan, code) == 0);
		cJSON_AddItemToArray(cards, card);
	}
	cJSON_AddItemToObject(d, "subscription", sub);
	cJSON_AddBoolToObject(d, "live", live);
	cJSON_AddBoolToObject(d, "cycle_year", cur_cycle != NULL && strcmp(cur_cycle, "year") == 0);
	add_money(d, "amount_per_period_text", cJSON_GetObjectItem(sub, "amount_per_period"));
	add_money(d, "unit_price", cJSON_GetObjectItem(sub, "unit_amount"));
	cJSON_AddBoolToObject(d, "can_change", r->who.role == OB_ROLE_OWNER ||
	    r->who.role == OB_ROLE_ADMIN || r->who.role == OB_ROLE_BILLING);
	if (preview != NULL) {
		lines = cJSON_GetObjectItem(preview, "lines");
		cJSON_ArrayForEach(l, lines)
			add_money(l, "amount_text", cJSON_GetObjectItem(l, "amount"));
		add_money(preview, "total_text", cJSON_GetObjectItem(preview, "total"));
		add_money(cJSON_GetObjectItem(preview, "plain"), "total_text",
		    cJSON_GetObjectItem(cJSON_GetObjectItem(preview, "plain"), "total"));
		add_money(preview, "next_text", cJSON_GetObjectItem(preview, "next_period_amount"));
		cJSON_AddBoolToObject(preview, "now", strcmp(cJSON_GetStringValue(
		    cJSON_GetObjectItem(preview, "effective")), "now") == 0);
		cJSON_AddItemReferenceToObject(d, "preview", preview);
	}
	form_key(d);
	raw_to_text(d);
	if (preview != NULL)
		raw_to_text(preview);
	ob_page_render(r, status, "pages/subscription", d);
	cJSON_Delete(d);
	cJSON_Delete(plans);
	return 0;
}

int
ob_h_subscription_page(struct ob_req *r)
{
	return render_subscription(r, 200, NULL, NULL);
}

/* The form's fields as a JSON body for core (strings, as typed). */
static cJSON *
form_body(struct ob_req *r, const char *const *names)
{
	cJSON *b = cJSON_CreateObject();
	const char *v;

	for (; *names != NULL; names++)
		if ((v = ob_form_get(r, *names)) != NULL && *v != '\0')
			cJSON_AddStringToObject(b, *names, v);
	return b;
}

static int
form_change(struct ob_req *r, const char *kind, const char *const *fields, const char *done)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	unsigned char hash[32];
	struct ob_sub_answer ans = { 0 };
	const char *key = ob_form_get(r, "idem");
	cJSON *body = form_body(r, fields);
	const cJSON *sched;
	int rc;

	if (key != NULL && !ob_idem_key_ok(key))
		key = NULL;
	ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
	ob_api_actx(r, &ax);
	rc = ob_subscription_change(&ax, stripe(r), r->who.org_id, kind, key, key ? hash : NULL,
	    body, &ans, &f);
	cJSON_Delete(body);
	if (rc == 0 && ans.fail != OB_FAIL_NONE) {
		/* A replayed refusal: a payment failure stays one, the rest show as Stripe's. */
		const cJSON *e = cJSON_GetObjectItem(ans.body, "error");

		ob_fail(&f, ans.fail == OB_FAIL_PAYMENT ? OB_FAIL_PAYMENT : OB_FAIL_UPSTREAM, "replayed", NULL, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")) ?
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")) : "The change failed.");
		rc = -1;
	}
	if (rc != 0) {
		cJSON_Delete(ans.body);
		if (f.kind == OB_FAIL_DB)
			return -1;
		return render_subscription(r, ob_api_fail_status(f.kind), &f, NULL);
	}
	sched = cJSON_GetObjectItem(ans.body, "scheduled_change");
	if (strcmp(kind, "update") == 0 && cJSON_IsObject(sched) &&
	    cJSON_GetObjectItem(ans.body, "invoice") == NULL)
		done = "scheduled";
	cJSON_Delete(ans.body);
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/subscription?done=%s", done));
	return 0;
}

int
ob_h_subscription_create_form(struct ob_req *r)
{
	static const char *const fields[] = { "plan", "cycle", "seats", "trial_days",
		"payment_method", "email", NULL };

	return form_change(r, "create", fields, "created");
}

int
ob_h_subscription_change_form(struct ob_req *r)
{
	static const char *const fields[] = { "plan", "cycle", "seats", "proration_date",
		"immediate", NULL };

	return form_change(r, "update", fields, "changed");
}

int
ob_h_subscription_cancel_form(struct ob_req *r)
{
	static const char *const fields[] = { "reason", "at_period_end", NULL };
	const char *when = ob_form_get(r, "when");
	struct ob_fail f = { 0 };

	/* The form says when: "period_end" (default) or "now". */
	if (when != NULL && strcmp(when, "now") != 0 && strcmp(when, "period_end") != 0) {
		ob_fail(&f, OB_FAIL_INVALID, "invalid_when", "when", "Choose when to cancel.");
		return render_subscription(r, 400, &f, NULL);
	}
	if (when != NULL && strcmp(when, "now") == 0) {
		static const char *const f2[] = { "reason", NULL };
		struct ob_actx ax;
		unsigned char hash[32];
		const char *key = ob_form_get(r, "idem");
		struct ob_sub_answer ans;
		cJSON *body = form_body(r, f2);
		int rc;

		cJSON_AddStringToObject(body, "at_period_end", "false");
		if (key != NULL && !ob_idem_key_ok(key))
			key = NULL;
		ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
		ob_api_actx(r, &ax);
		rc = ob_subscription_change(&ax, stripe(r), r->who.org_id, "cancel", key,
		    key ? hash : NULL, body, &ans, &f);
		cJSON_Delete(body);
		cJSON_Delete(ans.body);
		if (rc != 0)
			return f.kind == OB_FAIL_DB ? -1 :
			    render_subscription(r, ob_api_fail_status(f.kind), &f, NULL);
		ob_resp_redirect(r, 303, "/subscription?done=canceled");
		return 0;
	}
	return form_change(r, "cancel", fields, "canceled");
}

int
ob_h_subscription_reactivate_form(struct ob_req *r)
{
	static const char *const fields[] = { NULL };

	return form_change(r, "reactivate", fields, "reactivated");
}

int
ob_h_subscription_preview_form(struct ob_req *r)
{
	static const char *const fields[] = { "plan", "cycle", "seats", NULL };
	struct ob_fail f = { 0 };
	cJSON *body = form_body(r, fields), *out = NULL;
	int rc;

	rc = ob_subscription_preview(&r->w->db, r->who.org_id, body, (int64_t)time(NULL), &out, &f);
	cJSON_Delete(body);
	if (rc != 0)
		return f.kind == OB_FAIL_DB ? -1 :
		    render_subscription(r, ob_api_fail_status(f.kind), &f, NULL);
	rc = render_subscription(r, 200, NULL, out);
	cJSON_Delete(out);
	return rc;
}

/* ---- seats page ---- */

static int
render_seats(struct ob_req *r, int status, const struct ob_fail *f, cJSON *errors)
{
	cJSON *d, *list, *dep, *m;
	const char *q = ob_query_get(r, "q"), *st = ob_query_get(r, "status");
	const char *dp = ob_query_get(r, "department");

	if ((list = ob_seats_list(&r->w->db, r->who.org_id, q, st, dp)) == NULL)
		return -1;
	d = ob_page_new(r, "Seats", "seats");
	done_flash(r, d);
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	cJSON_ArrayForEach(dep, cJSON_GetObjectItem(list, "departments"))
		cJSON_ArrayForEach(m, cJSON_GetObjectItem(dep, "members"))
			cJSON_AddStringToObject(m, "csrf", r->csrf);
	cJSON_AddItemToObject(d, "seats", list);
	cJSON_AddStringToObject(d, "q", q != NULL ? q : "");
	cJSON_AddBoolToObject(d, "f_licensed", st != NULL && strcmp(st, "licensed") == 0);
	cJSON_AddBoolToObject(d, "f_unlicensed", st != NULL && strcmp(st, "unlicensed") == 0);
	cJSON_AddStringToObject(d, "department", dp != NULL ? dp : "");
	cJSON_AddBoolToObject(d, "has_bad_rows", errors != NULL && cJSON_GetArraySize(errors) > 0);
	if (errors != NULL && cJSON_GetArraySize(errors) > 0)
		cJSON_AddItemReferenceToObject(d, "bad_rows", errors);
	cJSON_AddStringToObject(d, "csv", ob_form_get(r, "csv") ? ob_form_get(r, "csv") : "");
	raw_to_text(d);
	if (errors != NULL)
		raw_to_text(errors);
	ob_page_render(r, status, "pages/seats", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_seats_page(struct ob_req *r)
{
	return render_seats(r, 200, NULL, NULL);
}

/* Rows from the form's checked user_id boxes (repeated field "user_id"). */
static int
form_rows(struct ob_req *r, int assign, struct ob_seat_row **rows)
{
	const char *names[OB_FORM_FIELDS_MAX], *values[OB_FORM_FIELDS_MAX];
	int i, n, k = 0;

	*rows = NULL;
	n = r->body != NULL ? ob_form_parse(r->a, r->body, r->body_len, names, values,
	    OB_FORM_FIELDS_MAX) : 0;
	if (n <= 0)
		return 0;
	*rows = calloc((size_t)n, sizeof(**rows));
	if (*rows == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], "user_id") != 0 || ob_parse_id(values[i]) == 0)
			continue;
		(*rows)[k].line = k + 1;
		(*rows)[k].user_id = ob_parse_id(values[i]);
		(*rows)[k].assign = assign;
		k++;
	}
	return k;
}

static int
seats_form(struct ob_req *r, int assign, int csv)
{
	struct ob_fail f = { 0 };
	struct ob_seat_row *rows = NULL;
	cJSON *errors = cJSON_CreateArray(), *result = NULL;
	const char *text;
	int n, rc = 0;

	if (csv) {
		text = ob_form_get(r, "csv");
		n = ob_seats_csv_parse(text != NULL ? text : "", &rows, errors);
		if (n < 0)
			ob_fail(&f, OB_FAIL_INVALID, "csv_too_large", "csv",
			    "The CSV is over %d rows or %d bytes.", OB_SEATS_ROWS_MAX, OB_SEATS_CSV_MAX);
	} else {
		n = form_rows(r, assign, &rows);
		if (n == 0)
			n = ob_fail(&f, OB_FAIL_INVALID, "nothing_selected", "user_id",
			    "Select at least one member.");
	}
	if (n >= 0 && seats_apply(r, rows, n, errors, &result, &f) == 0) {
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/seats?done=%s",
		    csv ? "imported" : assign ? "assigned" : "revoked"));
	} else if (f.kind == OB_FAIL_DB) {
		rc = -1;
	} else {
		rc = render_seats(r, ob_api_fail_status(f.kind), &f, errors);
	}
	free(rows);
	cJSON_Delete(result);
	cJSON_Delete(errors);
	return rc;
}

int
ob_h_seats_assign_form(struct ob_req *r)
{
	return seats_form(r, 1, 0);
}

int
ob_h_seats_revoke_form(struct ob_req *r)
{
	return seats_form(r, 0, 0);
}

int
ob_h_seats_csv_form(struct ob_req *r)
{
	return seats_form(r, 1, 1);
}

int
ob_h_seats_settings_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	const char *v = ob_form_get(r, "auto_seat_increase");

	ob_api_actx(r, &ax);
	if (ob_seats_set_auto_increase(&ax, r->who.org_id, v != NULL && strcmp(v, "on") == 0, &f) != 0)
		return f.kind == OB_FAIL_DB ? -1 : render_seats(r, ob_api_fail_status(f.kind), &f, NULL);
	ob_resp_redirect(r, 303, "/seats?done=settings");
	return 0;
}
