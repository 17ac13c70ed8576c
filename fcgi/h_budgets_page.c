/*
 * The console's Budgets page (h_budgets.h): the budgets above the caller
 * (all of them for owners, admins and billing) with their spend as bars,
 * the request form, the approval queue; managers also create and change
 * budgets. Plain forms: everything works without JavaScript.
 */
#include "fcgi/h_budgets.h"
#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "credits/budgets.h"
#include "base/json.h"
#include "base/money.h"
#include "base/num.h"

#include <stdio.h>
#include <string.h>

static const struct ob_page_flash_msg flashes[] = {
	{ "created", "success", "Budget created." },
	{ "saved", "success", "Budget saved." },
	{ "requested", "success", "Request sent." },
	{ "decided", "success", "Decision recorded." },
};

/* Display texts on each budget: amounts grouped, money, the bar's value. */
static void
budget_texts(cJSON *list)
{
	char b[OB_MONEY_MAX];
	cJSON *it;
	int64_t lim, spent, minor;

	cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "data")) {
		lim = ob_num_json_or(it, "limit_credits", 0);
		spent = ob_num_json_or(it, "spent", 0);
		cJSON_AddStringToObject(it, "limit_fmt", ob_money_count(b, sizeof(b), lim));
		cJSON_AddStringToObject(it, "spent_fmt", ob_money_count(b, sizeof(b), spent));
		ob_money_count(b, sizeof(b), lim > spent ? lim - spent : 0);
		cJSON_AddStringToObject(it, "remaining_fmt", b);
		ob_json_add_i64(it, "bar", spent < lim ? spent : lim);
		ob_json_add_i64(it, "bar_max", lim > 0 ? lim : 1);
		if (ob_num_json_get(it, "amount_minor", &minor) == 0)
			ob_money_json(it, "money_fmt", minor,
			    cJSON_GetStringValue(cJSON_GetObjectItem(it, "currency")),
			    OB_MONEY_SYMBOL);
		cJSON_AddBoolToObject(it, "is_hard",
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(it, "mode")), "hard") == 0);
	}
}

static int
render_page(struct ob_req *r, int status, const struct ob_fail *f)
{
	struct ob_fail lf = { 0 };
	int manage = ob_authz_can(r, OB_ACT_BUDGETS_MANAGE);
	int64_t member = r->who.role == OB_ROLE_MEMBER ? r->who.user_id : 0;
	cJSON *d, *budgets, *requests, *teams = NULL;

	if ((budgets = ob_budget_list(&r->w->db, r->who.org_id, "active", member, &lf)) == NULL)
		return -1;
	if ((requests = ob_approval_list(&r->w->db, r->who.org_id,
	    manage ? 0 : r->who.user_id, r->who.user_id, "all", 50, &lf)) == NULL ||
	    (manage && (teams = ob_budget_teams(&r->w->db, r->who.org_id, &lf)) == NULL)) {
		cJSON_Delete(budgets);
		cJSON_Delete(requests);
		return -1;
	}
	budget_texts(budgets);
	d = ob_page_new(r, "Budgets", "budgets");
	cJSON_AddItemToObject(d, "budgets", budgets);
	cJSON_AddItemToObject(d, "requests", requests);
	if (teams != NULL)
		cJSON_AddItemToObject(d, "teams", teams);
	cJSON_AddBoolToObject(d, "can_manage", manage);
	cJSON_AddBoolToObject(d, "has_budgets",
	    cJSON_GetArraySize(cJSON_GetObjectItem(budgets, "data")) > 0);
	ob_page_form_key(d);
	ob_page_flash_code(d, ob_query_get(r, "flash"), flashes,
	    sizeof(flashes) / sizeof(flashes[0]));
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	ob_page_render(r, status, "pages/budgets", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_budgets_page(struct ob_req *r)
{
	return render_page(r, 200, NULL);
}

/* A form's outcome: back to the page with a flash, or the page with the error. */
static int
form_done(struct ob_req *r, cJSON *o, const struct ob_fail *f, const char *flash)
{
	if (o != NULL) {
		cJSON_Delete(o);
		ob_page_redirect_flash(r, "/budgets", flash);
		return 0;
	}
	if (f->kind == OB_FAIL_DB)
		return -1;
	return render_page(r, ob_api_fail_status(f->kind), f);
}

static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	return form_done(r, NULL, f, NULL);
}

static const char *const scope_values[] = { "org", "department", "team", "member", NULL };
static const char *const period_values[] = { "monthly", "quarterly", "annual", NULL };
static const char *const mode_values[] = { "soft", "hard", NULL };
static const char *const kind_values[] = { "increase", "one_off", NULL };
static const char *const decision_values[] = { "approve", "reject", "cancel", NULL };

#define FORM_AMOUNT_ROWS \
	{ .name = "amount_credits", .type = OB_FIELD_INT, .min = 0, .max = OB_BUDGET_CREDITS_MAX, \
	    .message = "The amount in credits must be a whole number, 0 or more." }, \
	{ .name = "amount_minor", .type = OB_FIELD_INT, .min = 0, .max = OB_BUDGET_MINOR_MAX, \
	    .message = "The amount in cents must be a whole number, 0 or more." }, \
	{ .name = "thresholds", .type = OB_FIELD_STRING, .max = 40, .chars = OB_CHARS_SET, \
	    .set = "0123456789, ", .message = "Thresholds: up to 5 percentages, comma separated." }, \
	{ .name = "mode", .type = OB_FIELD_ENUM, .allowed = mode_values, \
	    .message = "Mode must be soft or hard." }

static const struct ob_field new_rows[] = {
	{ .name = "scope", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED,
	    .allowed = scope_values, .message = "Choose a scope." },
	{ .name = "department", .type = OB_FIELD_STRING, .max = 100, .chars = OB_CHARS_TEXT },
	{ .name = "team_id", .type = OB_FIELD_ID, .message = "Choose a team." },
	{ .name = "user_id", .type = OB_FIELD_ID, .message = "The member must be a user id." },
	{ .name = "period", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED,
	    .allowed = period_values, .message = "Choose a period." },
	{ .name = "name", .type = OB_FIELD_STRING, .max = 100, .chars = OB_CHARS_TEXT },
	FORM_AMOUNT_ROWS,
};
const struct ob_fields ob_h_budgets_new_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, new_rows, form_fail);

static const struct ob_field edit_rows[] = {
	FORM_AMOUNT_ROWS,
	{ .name = "archive", .type = OB_FIELD_BOOL },
};
const struct ob_fields ob_h_budgets_edit_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, edit_rows, form_fail);

static const struct ob_field request_rows[] = {
	{ .name = "budget_id", .type = OB_FIELD_ID, .flags = OB_FIELD_REQUIRED,
	    .message = "Choose a budget." },
	{ .name = "kind", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED, .allowed = kind_values,
	    .message = "Choose a budget increase or a one-off." },
	{ .name = "amount_credits", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED, .min = 1,
	    .max = OB_APPROVAL_AMOUNT_MAX, .message = "The amount must be a whole number of credits." },
	{ .name = "reason", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED,
	    .min = OB_APPROVAL_REASON_MIN, .max = OB_APPROVAL_REASON_MAX, .chars = OB_CHARS_LINES,
	    .message = "Give a reason of {min} to {max} characters." },
};
const struct ob_fields ob_h_budgets_request_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, request_rows, form_fail);

static const struct ob_field decide_rows[] = {
	{ .name = "decision", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED,
	    .allowed = decision_values, .message = "Approve, reject or cancel." },
	{ .name = "comment", .type = OB_FIELD_STRING, .max = OB_APPROVAL_REASON_MAX,
	    .chars = OB_CHARS_LINES, .message = "The comment is at most {max} characters." },
};
const struct ob_fields ob_h_budgets_decide_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, decide_rows, form_fail);

/* The amount fields of a form (empty fields are absent). */
static void
form_amounts(struct ob_req *r, struct ob_budget_in *in)
{
	memset(in, 0, sizeof(*in));
	in->mode = ob_field_str(r, "mode");
	in->has_credits = ob_field_has(r, "amount_credits");
	in->amount_credits = ob_field_i64(r, "amount_credits", 0);
	in->has_minor = ob_field_has(r, "amount_minor");
	in->amount_minor = ob_field_i64(r, "amount_minor", 0);
	in->thresholds = ob_field_str(r, "thresholds");
}

int
ob_h_budgets_new_form(struct ob_req *r)
{
	struct ob_budget_in in;
	struct ob_actx ax;
	struct ob_fail f = { 0 };

	ob_api_actx(r, &ax);
	form_amounts(r, &in);
	in.scope = ob_field_str(r, "scope");
	in.period = ob_field_str(r, "period");
	in.department = ob_field_str(r, "department");
	in.team_id = ob_field_i64(r, "team_id", 0);
	in.user_id = ob_field_i64(r, "user_id", 0);
	in.name = ob_field_str(r, "name");
	return form_done(r, ob_budget_create(&ax, r->who.org_id, &in, &f), &f, "created");
}

int
ob_h_budgets_edit_form(struct ob_req *r)
{
	struct ob_budget_in in;
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t id = ob_num_id(ob_route_param(r, "budget_id"));

	ob_api_actx(r, &ax);
	form_amounts(r, &in);
	if (ob_field_bool(r, "archive", 0))
		in.status = "archived";
	if (id <= 0) {
		ob_fail(&f, OB_FAIL_NOT_FOUND, "budget_not_found", NULL, "No such budget.");
		return form_done(r, NULL, &f, NULL);
	}
	return form_done(r, ob_budget_update(&ax, r->who.org_id, id, &in, &f), &f, "saved");
}

int
ob_h_budgets_request_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int own = !ob_authz_can(r, OB_ACT_BUDGETS_MANAGE);

	ob_api_actx(r, &ax);
	return form_done(r, ob_approval_create(&ax, r->who.org_id, r->who.user_id, own,
	    ob_field_i64(r, "budget_id", 0), ob_field_str(r, "kind"),
	    ob_field_i64(r, "amount_credits", 0), ob_field_str(r, "reason"), &f), &f, "requested");
}

int
ob_h_budgets_decide_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t id = ob_num_id(ob_route_param(r, "request_id"));

	ob_api_actx(r, &ax);
	if (id <= 0) {
		ob_fail(&f, OB_FAIL_NOT_FOUND, "request_not_found", NULL, "No such request.");
		return form_done(r, NULL, &f, NULL);
	}
	return form_done(r, ob_approval_decide(&ax, r->who.org_id, id, r->who.user_id,
	    ob_field_str(r, "decision"), ob_field_str(r, "comment"), &f), &f, "decided");
}
