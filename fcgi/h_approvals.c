/*
 * The approvals REST API (h_budgets.h): budget exception requests and
 * their decisions. Any member may ask (members only on budgets above
 * them) and sees their own requests and those awaiting their decision;
 * owners, admins and billing members see all. Who may decide a step is
 * the core's rule (approvals.c), not the route's.
 */
#include "fcgi/h_budgets.h"
#include "fcgi/api.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "credits/budgets.h"
#include "base/num.h"

#include <stdint.h>
#include <string.h>

static const char *const status_values[] = { "pending", "approved", "rejected", "canceled",
	"all", NULL };
static const char *const kind_values[] = { "increase", "one_off", NULL };

static const struct ob_field list_query[] = {
	{ .name = "status", .type = OB_FIELD_ENUM, .allowed = status_values,
	    .message = "status must be pending, approved, rejected, canceled or all." },
	OB_FIELD_ROW_LIMIT(100),
};
const struct ob_fields ob_h_api_approvals_list_fields = OB_FIELDS_QUERY(list_query, NULL);

static const struct ob_field create_rows[] = {
	{ .name = "budget_id", .type = OB_FIELD_ID, .flags = OB_FIELD_REQUIRED,
	    .message = "budget_id must be a budget id." },
	{ .name = "kind", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED, .allowed = kind_values,
	    .message = "kind must be increase or one_off." },
	{ .name = "amount_credits", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED, .min = 1,
	    .max = OB_APPROVAL_AMOUNT_MAX,
	    .message = "amount_credits must be a whole number from {min} to {max}." },
	{ .name = "reason", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED,
	    .min = OB_APPROVAL_REASON_MIN, .max = OB_APPROVAL_REASON_MAX, .chars = OB_CHARS_LINES,
	    .message = "reason must be {min} to {max} characters." },
};
const struct ob_fields ob_h_api_approvals_create_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, create_rows, NULL);

static const struct ob_field decide_rows[] = {
	{ .name = "comment", .type = OB_FIELD_STRING, .min = 1, .max = OB_APPROVAL_REASON_MAX,
	    .chars = OB_CHARS_LINES, .message = "comment must be {min} to {max} characters." },
};
const struct ob_fields ob_h_api_approvals_decide_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON_OPTIONAL, decide_rows, NULL);

/* Owners, admins and billing members see every request and ask on any budget. */
static int
is_manager(const struct ob_req *r)
{
	return r->who.role == OB_ROLE_OWNER || r->who.role == OB_ROLE_ADMIN ||
	    r->who.role == OB_ROLE_BILLING;
}

int
ob_h_api_approvals_list(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	const char *status = ob_field_str(r, "status");
	int limit;
	cJSON *o;

	if (ob_api_paging(r, 50, 100, &limit, NULL) != 0)
		return 0;
	o = ob_approval_list(&r->w->db, r->who.org_id, is_manager(r) ? 0 : r->who.user_id,
	    r->who.user_id, status != NULL ? status : "all", limit, &f);
	return o != NULL ? ob_api_answer(r, o) : ob_api_failed(r, &f);
}

static int
create_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;

	(void)arg;
	ob_api_actx(r, &ax);
	if ((*out = ob_approval_create(&ax, r->who.org_id, r->who.user_id, !is_manager(r),
	    ob_field_i64(r, "budget_id", 0), ob_field_str(r, "kind"),
	    ob_field_i64(r, "amount_credits", 0), ob_field_str(r, "reason"), f)) == NULL)
		return -1;
	*status = 201;
	return 0;
}

int
ob_h_api_approvals_create(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, create_op);
	return 0;
}

/* The decision is the route's last path segment. */
static int
decide_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const char *decision = (const char *)arg;
	struct ob_actx ax;
	int64_t id = ob_num_id(ob_route_param(r, "request_id"));

	if (id <= 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "request_not_found", "request_id",
		    "No budget request with this id in the organization.");
	ob_api_actx(r, &ax);
	if ((*out = ob_approval_decide(&ax, r->who.org_id, id, r->who.user_id, decision,
	    ob_field_str(r, "comment"), f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

static int
decide(struct ob_req *r, const char *decision)
{
	/* arg is only read: the cast drops const for the envelope's void *. */
	ob_api_idempotent(r, r->who.org_id, 0, decide_op, (void *)(uintptr_t)decision);
	return 0;
}

int
ob_h_api_approvals_approve(struct ob_req *r)
{
	return decide(r, "approve");
}

int
ob_h_api_approvals_reject(struct ob_req *r)
{
	return decide(r, "reject");
}

int
ob_h_api_approvals_cancel(struct ob_req *r)
{
	return decide(r, "cancel");
}

static const struct ob_field settings_rows[] = {
	{ .name = "auto_approve_minor", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED, .min = 0,
	    .max = OB_BUDGET_MINOR_MAX,
	    .message = "auto_approve_minor must be a whole number of minor units from {min} to {max}." },
};
const struct ob_fields ob_h_api_approvals_settings_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, settings_rows, NULL);

static int
settings_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;

	(void)arg;
	ob_api_actx(r, &ax);
	if ((*out = ob_approval_settings_set(&ax, r->who.org_id,
	    ob_field_i64(r, "auto_approve_minor", 0), f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_approvals_settings(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, settings_op);
	return 0;
}
