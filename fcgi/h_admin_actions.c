/*
 * The staff actions on one customer (docs/ADMIN.md, "Actions"), each a
 * console form with a required reason, allowed by staff role (policy.c),
 * limited per staff user (authz.c) and audited as staff: seat quantity,
 * cancel, reactivate, suspend, activate, re-sync from Stripe, and opening
 * the customer's Stripe billing portal. Subscription changes go through
 * ob_subscription_change, which never calls Stripe inside a transaction.
 */
#include "fcgi/h_admin.h"

#include <stdio.h>
#include <string.h>

#include "base/idem.h"
#include "base/num.h"
#include "billing/subscription.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/handoff.h"
#include "fcgi/input.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "identity/org.h"
#include "invoices/staff.h"

#define REASON_ROW \
	{ .name = "reason", .type = OB_FIELD_STRING, \
	    .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID, .min = 3, .max = 500, \
	    .chars = OB_CHARS_TEXT, .message = "Give a reason of {min} to {max} characters." }
#define IDEM_ROW { .name = "idem", .type = OB_FIELD_STRING }

/* A refusal: the API's error, or the customer page again with the reason (its status). */
static int
action_fail(struct ob_req *r, const struct ob_fail *f)
{
	if (f->kind == OB_FAIL_DB)
		return -1;
	if (ob_req_is_api(r))
		return ob_api_failed(r, f);
	return ob_h_admin_customer_render(r, ob_api_fail_status(f->kind), f, 0, NULL);
}

#define QUANTITY_ROW \
	{ .name = "quantity", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED, .min = 1, \
	    .max = 100000, .message = "quantity is a seat count from {min} to {max}." }
static const struct ob_field seats_rows[] = { IDEM_ROW, REASON_ROW, QUANTITY_ROW };
const struct ob_fields ob_h_admin_seats_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, seats_rows, action_fail);

static const char *const whens[] = { "period_end", "now", NULL };
#define WHEN_ROW \
	{ .name = "when", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED, .allowed = whens, \
	    .code = "invalid_when", .message = "when is period_end or now." }
static const struct ob_field cancel_rows[] = { IDEM_ROW, REASON_ROW, WHEN_ROW };
const struct ob_fields ob_h_admin_cancel_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, cancel_rows, action_fail);

static const struct ob_field reason_rows[] = { IDEM_ROW, REASON_ROW };
const struct ob_fields ob_h_admin_reason_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, reason_rows, action_fail);

/* The JSON twins (/admin/api/customers/{org_id}/…): the same fields, no form key. */
static const struct ob_field seats_json_rows[] = { REASON_ROW, QUANTITY_ROW };
const struct ob_fields ob_h_admin_api_seats_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, seats_json_rows, NULL);
static const struct ob_field cancel_json_rows[] = { REASON_ROW, WHEN_ROW };
const struct ob_fields ob_h_admin_api_cancel_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, cancel_json_rows, NULL);
static const struct ob_field reason_json_rows[] = { REASON_ROW };
const struct ob_fields ob_h_admin_api_reason_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, reason_json_rows, NULL);

/* This request's staff context, with the form's reason. */
static void
staff_actx(struct ob_req *r, struct ob_actx *ax)
{
	ob_api_actx(r, ax);
	ax->as_staff = 1;
	ax->reason = ob_field_str(r, "reason");
}

static int64_t
route_org(struct ob_req *r)
{
	return ob_num_id(ob_route_param(r, "org_id"));
}

/*
 * Done: back to the customer page with ?done=code, or (the JSON twin)
 * 200 {"object":"staff_action","done":code,"org_id","result":detail|null}.
 * detail (may be NULL) is taken.
 */
static int
done(struct ob_req *r, const char *code, cJSON *detail)
{
	char id[24];
	cJSON *o;

	if (!ob_req_is_api(r)) {
		cJSON_Delete(detail);
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/admin/customers/%lld?done=%s",
		    (long long)route_org(r), code));
		return 0;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "staff_action");
	cJSON_AddStringToObject(o, "done", code);
	cJSON_AddStringToObject(o, "org_id", ob_num_str(id, sizeof(id), route_org(r)));
	cJSON_AddItemToObject(o, "result", detail != NULL ? detail : cJSON_CreateNull());
	ob_api_json(r, 200, o);
	cJSON_Delete(o);
	return 0;
}

/* A subscription change of kind with body, as staff; then done or the page with why. */
static int
sub_change(struct ob_req *r, const char *kind, cJSON *body, const char *code)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	struct ob_sub_answer ans = { 0 };
	unsigned char hash[32];
	const char *key = ob_req_is_api(r) ? ob_header(r, "HTTP_IDEMPOTENCY_KEY") :
	    ob_field_str(r, "idem");
	int rc;

	if (key != NULL && !ob_idem_key_ok(key))
		key = NULL;
	staff_actx(r, &ax);
	ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
	rc = ob_subscription_change(&ax, ob_worker_stripe(r->w), route_org(r), kind, key,
	    key ? hash : NULL, body, &ans, &f);
	cJSON_Delete(body);
	if (rc == 0 && ans.fail != OB_FAIL_NONE) {
		ob_fail(&f, OB_FAIL_UPSTREAM, "replayed", NULL, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(ans.body, "error"),
		    "message")) ? cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
		    ans.body, "error"), "message")) : "The change failed.");
		rc = -1;
	}
	if (rc != 0) {
		cJSON_Delete(ans.body);
		return action_fail(r, &f);
	}
	return done(r, code, ans.body);
}

int
ob_h_admin_seats_form(struct ob_req *r)
{
	char num[24];
	cJSON *body = cJSON_CreateObject();

	cJSON_AddStringToObject(body, "seats",
	    ob_num_str(num, sizeof(num), ob_field_i64(r, "quantity", 0)));
	return sub_change(r, "update", body, "seats");
}

int
ob_h_admin_cancel_form(struct ob_req *r)
{
	cJSON *body = cJSON_CreateObject();

	cJSON_AddStringToObject(body, "reason", ob_field_str(r, "reason"));
	cJSON_AddStringToObject(body, "at_period_end",
	    strcmp(ob_field_str(r, "when"), "now") == 0 ? "false" : "true");
	return sub_change(r, "cancel", body, "canceled");
}

int
ob_h_admin_reactivate_form(struct ob_req *r)
{
	return sub_change(r, "reactivate", cJSON_CreateObject(), "reactivated");
}

int
ob_h_admin_suspend_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;

	staff_actx(r, &ax);
	return ob_org_suspend(&ax, route_org(r), &f) == 0 ? done(r, "suspended", NULL) :
	    action_fail(r, &f);
}

int
ob_h_admin_activate_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;

	staff_actx(r, &ax);
	return ob_org_activate(&ax, route_org(r), &f) == 0 ? done(r, "activated", NULL) :
	    action_fail(r, &f);
}

int
ob_h_admin_sync_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	cJSON *out = NULL;

	staff_actx(r, &ax);
	if (ob_staff_sync(&ax, ob_worker_stripe(r->w), route_org(r), &out, &f) != 0)
		return action_fail(r, &f);
	return done(r, "synced", out);
}

int
ob_h_admin_portal_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	const char *base = r->w->cfg != NULL && r->w->cfg->public_url != NULL ?
	    r->w->cfg->public_url : "";
	char url[1024], ret[512], back[64];
	int64_t org = route_org(r);

	snprintf(back, sizeof(back), "/admin/customers/%lld", (long long)org);
	snprintf(ret, sizeof(ret), "%s%s", base, back);
	staff_actx(r, &ax);
	if (ob_staff_portal_opened(&ax, org, &f) != 0 ||
	    ob_subscription_portal(&r->w->db, ob_worker_stripe(r->w), org,
	    *base != '\0' ? ret : NULL, NULL, url, sizeof(url), &f) != 0)
		return action_fail(r, &f);
	if (ob_req_is_api(r)) {
		ob_api_url(r, "billing_portal.session", url);
		return 0;
	}
	return ob_handoff_page(r, url, "the customer's billing portal", back, "admin");
}
