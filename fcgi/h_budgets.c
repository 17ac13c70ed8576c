/*
 * The budgets REST API (h_budgets.h): budgets and teams of an org. Reads
 * are open to every member (a member sees only the budgets above them);
 * writes to owners, admins and billing members (OB_ACT_BUDGETS_MANAGE).
 */
#include "fcgi/h_budgets.h"
#include "fcgi/api.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "credits/budgets.h"
#include "base/num.h"

#include <string.h>

static const char *const status_values[] = { "active", "archived", "all", NULL };
static const char *const scope_values[] = { "org", "department", "team", "member", NULL };
static const char *const period_values[] = { "monthly", "quarterly", "annual", NULL };
static const char *const mode_values[] = { "soft", "hard", NULL };
static const char *const state_values[] = { "active", "archived", NULL };

#define THRESHOLDS_ROW \
	{ .name = "thresholds", .type = OB_FIELD_STRING, .min = 1, .max = 40, \
	    .chars = OB_CHARS_SET, .set = "0123456789, ", \
	    .message = "thresholds must be 1 to 5 percentages from 1 to 100, comma separated." }
#define AMOUNT_ROWS \
	{ .name = "amount_credits", .type = OB_FIELD_INT, .min = 0, .max = OB_BUDGET_CREDITS_MAX, \
	    .message = "amount_credits must be a whole number from {min} to {max}." }, \
	{ .name = "amount_minor", .type = OB_FIELD_INT, .min = 0, .max = OB_BUDGET_MINOR_MAX, \
	    .message = "amount_minor must be a whole number of minor units from {min} to {max}." }
#define NAME_ROW \
	{ .name = "name", .type = OB_FIELD_STRING, .max = OB_BUDGET_NAME_MAX, \
	    .chars = OB_CHARS_TEXT, .message = "name must be at most {max} printable characters." }

static const struct ob_field list_query[] = {
	{ .name = "status", .type = OB_FIELD_ENUM, .allowed = status_values,
	    .message = "status must be active, archived or all." },
};
const struct ob_fields ob_h_api_budgets_list_fields = OB_FIELDS_QUERY(list_query, NULL);

static const struct ob_field create_rows[] = {
	{ .name = "scope", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED,
	    .allowed = scope_values, .message = "scope must be org, department, team or member." },
	{ .name = "department", .type = OB_FIELD_STRING, .min = 1, .max = 100,
	    .chars = OB_CHARS_TEXT, .message = "department must be {min} to {max} printable characters." },
	{ .name = "team_id", .type = OB_FIELD_ID, .message = "team_id must be a team id." },
	{ .name = "user_id", .type = OB_FIELD_ID, .message = "user_id must be a user id." },
	{ .name = "period", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED,
	    .allowed = period_values, .message = "period must be monthly, quarterly or annual." },
	{ .name = "mode", .type = OB_FIELD_ENUM, .allowed = mode_values,
	    .message = "mode must be soft or hard." },
	AMOUNT_ROWS,
	THRESHOLDS_ROW,
	NAME_ROW,
};
const struct ob_fields ob_h_api_budgets_create_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, create_rows, NULL);

static const struct ob_field update_rows[] = {
	{ .name = "mode", .type = OB_FIELD_ENUM, .allowed = mode_values,
	    .message = "mode must be soft or hard." },
	AMOUNT_ROWS,
	THRESHOLDS_ROW,
	NAME_ROW,
	{ .name = "status", .type = OB_FIELD_ENUM, .allowed = state_values,
	    .message = "status must be active or archived." },
};
const struct ob_fields ob_h_api_budgets_update_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, update_rows, NULL);

static const struct ob_field team_rows[] = {
	{ .name = "name", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .min = 1, .max = 100,
	    .chars = OB_CHARS_TEXT, .message = "name must be {min} to {max} printable characters." },
	{ .name = "department", .type = OB_FIELD_STRING, .max = 100, .chars = OB_CHARS_TEXT,
	    .message = "department must be at most {max} printable characters." },
};
const struct ob_fields ob_h_api_budgets_team_create_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, team_rows, NULL);

static const struct ob_field assign_rows[] = {
	/* Required, checked by the core after the member (another org's ids: 404). */
	{ .name = "team_id", .type = OB_FIELD_INT, .min = 0,
	    .max = INT64_MAX, .message = "team_id must be a team id, or 0 for none." },
};
const struct ob_fields ob_h_api_budgets_team_assign_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, assign_rows, NULL);

/* The checked body as a budget's fields. */
static void
budget_in(struct ob_req *r, struct ob_budget_in *in)
{
	memset(in, 0, sizeof(*in));
	in->mode = ob_field_str(r, "mode");
	in->has_credits = ob_field_has(r, "amount_credits");
	in->amount_credits = ob_field_i64(r, "amount_credits", 0);
	in->has_minor = ob_field_has(r, "amount_minor");
	in->amount_minor = ob_field_i64(r, "amount_minor", 0);
	in->thresholds = ob_field_str(r, "thresholds");
	in->name = ob_field_str(r, "name");
}

int
ob_h_api_budgets_list(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	const char *status = ob_field_str(r, "status");
	int64_t member = r->who.kind == OB_PRINCIPAL_USER && r->who.role == OB_ROLE_MEMBER ?
	    r->who.user_id : 0;
	cJSON *o = ob_budget_list(&r->w->db, r->who.org_id, status != NULL ? status : "active",
	    member, &f);

	return o != NULL ? ob_api_answer(r, o) : ob_api_failed(r, &f);
}

static int
create_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_budget_in in;
	struct ob_actx ax;

	(void)arg;
	ob_api_actx(r, &ax);
	budget_in(r, &in);
	in.scope = ob_field_str(r, "scope");
	in.period = ob_field_str(r, "period");
	in.department = ob_field_str(r, "department");
	in.team_id = ob_field_i64(r, "team_id", 0);
	in.user_id = ob_field_i64(r, "user_id", 0);
	if ((*out = ob_budget_create(&ax, r->who.org_id, &in, f)) == NULL)
		return -1;
	*status = 201;
	return 0;
}

int
ob_h_api_budgets_create(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, create_op);
	return 0;
}

static int
update_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_budget_in in;
	struct ob_actx ax;
	int64_t id = ob_num_id(ob_route_param(r, "budget_id"));

	(void)arg;
	if (id <= 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "budget_not_found", "budget_id",
		    "No budget with this id in the organization.");
	ob_api_actx(r, &ax);
	budget_in(r, &in);
	in.status = ob_field_str(r, "status");
	if ((*out = ob_budget_update(&ax, r->who.org_id, id, &in, f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_budgets_update(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, update_op);
	return 0;
}

int
ob_h_api_budgets_teams(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *o = ob_budget_teams(&r->w->db, r->who.org_id, &f);

	return o != NULL ? ob_api_answer(r, o) : ob_api_failed(r, &f);
}

static int
team_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;

	(void)arg;
	ob_api_actx(r, &ax);
	if ((*out = ob_budget_team_create(&ax, r->who.org_id, ob_field_str(r, "department"),
	    ob_field_str(r, "name"), f)) == NULL)
		return -1;
	*status = 201;
	return 0;
}

int
ob_h_api_budgets_team_create(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, team_op);
	return 0;
}

static int
assign_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;
	int64_t user = ob_num_id(ob_route_param(r, "user_id"));

	(void)arg;
	if (user <= 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
	ob_api_actx(r, &ax);
	if ((*out = ob_budget_team_assign(&ax, r->who.org_id, user,
	    ob_field_i64(r, "team_id", -1), f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_budgets_team_assign(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, assign_op);
	return 0;
}

static const struct ob_field manager_rows[] = {
	/* Required, checked by the core after the member (another org's ids: 404). */
	{ .name = "department", .type = OB_FIELD_STRING, .max = 100, .chars = OB_CHARS_TEXT,
	    .message = "department must be at most {max} printable characters (\"\" for none)." },
};
const struct ob_fields ob_h_api_budgets_manager_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, manager_rows, NULL);

static int
manager_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;
	int64_t user = ob_num_id(ob_route_param(r, "user_id"));

	(void)arg;
	if (user <= 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
	ob_api_actx(r, &ax);
	if ((*out = ob_budget_manager_set(&ax, r->who.org_id, user, ob_field_str(r, "department"),
	    f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_budgets_manager(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, manager_op);
	return 0;
}
