/*
 * Subscriptions in the API: create (the org in the path or the body), get,
 * update and upgrade, preview, cancel, reactivate. Changes run through
 * ob_subscription_change with the request's Idempotency-Key; its answer's
 * outcome picks the HTTP status here.
 */
#include "fcgi/h_billing.h"
#include "fcgi/h_billing_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/idem.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "identity/org.h"
#include "identity/policy.h"
#include "billing/subscription.h"

/*
 * The fields of the subscription routes (docs/openapi.yaml:
 * SubscriptionCreate, SubscriptionChange, SubscriptionCancel; the rows in
 * h_billing_int.h).
 */
#define CREATE_ROWS \
	OB_H_SUB_PLAN_ROW(OB_FIELD_REQUIRED), OB_H_SUB_CYCLE_ROW, OB_H_SUB_SEATS_ROW, \
	OB_H_SUB_PAYMENT_METHOD_ROW, OB_H_SUB_EMAIL_ROW
#define CHANGE_ROWS \
	OB_H_SUB_CYCLE_ROW, OB_H_SUB_SEATS_ROW, OB_H_SUB_PRORATION_ROW, OB_H_SUB_IMMEDIATE_ROW

/* POST /subscriptions/{org_id}, and POST /subscriptions with the org in the body. */
static const struct ob_field create_rows[] = { CREATE_ROWS };
const struct ob_fields ob_h_api_sub_create_fields = OB_FIELDS_TABLE(OB_BODY_JSON, create_rows, NULL);
static const struct ob_field create_body_rows[] = {
	{ .name = "org_id", .type = OB_FIELD_ID, .flags = OB_FIELD_REQUIRED },
	CREATE_ROWS,
};
const struct ob_fields ob_h_api_sub_create_body_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, create_body_rows, NULL);

static const struct ob_field change_rows[] = {
	OB_H_SUB_PLAN_ROW(0),
	CHANGE_ROWS,
};
const struct ob_fields ob_h_api_sub_update_fields = OB_FIELDS_TABLE(OB_BODY_JSON, change_rows, NULL);

static const struct ob_field upgrade_rows[] = {
	OB_H_SUB_PLAN_ROW(OB_FIELD_REQUIRED),
	CHANGE_ROWS,
};
const struct ob_fields ob_h_api_sub_upgrade_fields = OB_FIELDS_TABLE(OB_BODY_JSON, upgrade_rows, NULL);

static const struct ob_field cancel_rows[] = {
	OB_H_SUB_REASON_ROW,
	{ .name = "at_period_end", .type = OB_FIELD_BOOL },
	{ .name = "prorate", .type = OB_FIELD_BOOL },
	{ .name = "invoice_now", .type = OB_FIELD_BOOL },
};
const struct ob_fields ob_h_api_sub_cancel_fields = OB_FIELDS_TABLE(OB_BODY_JSON, cancel_rows, NULL);

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

/*
 * The request's Idempotency-Key (NULL when absent) and, with one, the
 * request's hash. 0, or -1 with f for a malformed key.
 */
static int
idem_key(struct ob_req *r, const char **key, unsigned char hash[32], struct ob_fail *f)
{
	*key = ob_header(r, "HTTP_IDEMPOTENCY_KEY");
	if (*key == NULL)
		return 0;
	if (ob_idem_check_key(*key, f) != 0)
		return -1;
	ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
	return 0;
}

/*
 * POST /subscriptions names the org in its body: the gate checked the
 * caller against the session's (or key's) org, so check it again here for
 * the org named. Orgs the caller cannot see are 404.
 */
static int
body_org(struct ob_req *r, int64_t *org_id, struct ob_fail *f)
{
	struct ob_principal p;
	int64_t id;

	if (ob_route_param(r, "org_id") != NULL) {
		*org_id = r->who.org_id;
		return 0;
	}
	if ((id = ob_field_i64(r, "org_id", 0)) == r->who.org_id) {
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
		/* The gate checked the session's org; the body names another. */
		if (p.kind == OB_PRINCIPAL_USER && !p.is_staff && ob_org_is_suspended(&p))
			return ob_fail(f, OB_FAIL_FORBIDDEN, "org_suspended", "org_id",
			    "This organization is suspended and read-only: pay the open invoice "
			    "through the billing portal, or contact support, to restore it.");
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

/* A change of kind with the checked body (the route's table, fields above). */
static int
api_change(struct ob_req *r, const char *kind)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	struct ob_sub_answer ans = { 0 };
	unsigned char hash[32];
	const char *key;
	int64_t org_id = r->who.org_id;
	int rc = 0;

	if (idem_key(r, &key, hash, &f) != 0 ||
	    (strcmp(kind, "create") == 0 && (body_org(r, &org_id, &f) != 0 ||
	    ob_h_billing_purchase_customer(r, org_id, ob_api_body(r), &f) != 0)))
		return ob_api_failed(r, &f);
	ob_api_actx(r, &ax);
	if (ob_subscription_change(&ax, ob_worker_stripe(r->w), org_id, kind, key, key ? hash : NULL,
	    ob_api_body(r), &ans, &f) != 0)
		rc = ob_api_failed(r, &f);
	else
		api_answer(r, &ans);
	cJSON_Delete(ans.body);
	return rc;
}

int
ob_h_api_sub_create(struct ob_req *r)
{
	return api_change(r, "create");
}

int
ob_h_api_sub_update(struct ob_req *r)
{
	return api_change(r, "update");
}

int
ob_h_api_sub_upgrade(struct ob_req *r)
{
	return api_change(r, "update");
}

int
ob_h_api_sub_cancel(struct ob_req *r)
{
	return api_change(r, "cancel");
}

/* A change without a body (reactivate, unschedule). */
static int
bodiless_change(struct ob_req *r, const char *kind)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	struct ob_sub_answer ans = { 0 };
	unsigned char hash[32];
	const char *key;
	cJSON *body = cJSON_CreateObject();
	int rc = 0;

	if (idem_key(r, &key, hash, &f) != 0) {
		rc = ob_api_failed(r, &f);
		goto out;
	}
	ob_api_actx(r, &ax);
	if (ob_subscription_change(&ax, ob_worker_stripe(r->w), r->who.org_id, kind, key,
	    key ? hash : NULL, body, &ans, &f) != 0)
		rc = ob_api_failed(r, &f);
	else
		api_answer(r, &ans);
out:
	cJSON_Delete(body);
	cJSON_Delete(ans.body);
	return rc;
}

int
ob_h_api_sub_reactivate(struct ob_req *r)
{
	return bodiless_change(r, "reactivate");
}

int
ob_h_api_sub_unschedule(struct ob_req *r)
{
	return bodiless_change(r, "unschedule");
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
	cJSON *out = NULL;
	int rc = 0;

	if (ob_subscription_preview(&r->w->db, r->who.org_id, ob_api_body(r), (int64_t)time(NULL),
	    &out, &f) != 0)
		rc = ob_api_failed(r, &f);
	else
		ob_api_json(r, 200, out);
	cJSON_Delete(out);
	return rc;
}
