/*
 * GET /admin/flags, /admin/api/flags and POST /admin/flags: the feature
 * flag rules (core/billing/flags.c), a check of one flag for one org, and
 * the staff's form to set or remove a rule (with a reason, audited).
 */
#include "fcgi/h_ops.h"

#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "billing/flags.h"
#include "fcgi/api.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"

/*
 * The view model: {object: "list", data: [rules], check?}; with ?flag=
 * and ?org_id= the flag's value for that org read afresh. NULL on a
 * database failure; *bad = 1 (nothing built) for a malformed check.
 */
static cJSON *
flags_model(struct ob_req *r, int *bad)
{
	const char *flag = ob_query_get(r, "flag"), *org = ob_query_get(r, "org_id");
	cJSON *d, *list, *c;
	int64_t org_id = 0;
	int on;

	*bad = 0;
	if ((flag != NULL && strlen(flag) > 63) ||
	    (org != NULL && *org != '\0' && (org_id = ob_num_id(org)) == 0)) {
		*bad = 1;
		return NULL;
	}
	if ((list = ob_flags_list(&r->w->db)) == NULL)
		return NULL;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "object", "list");
	cJSON_AddItemToObject(d, "data", list);
	if (flag != NULL && *flag != '\0') {
		if ((on = ob_flags_check(&r->w->db, flag, org_id)) < 0) {
			cJSON_Delete(d);
			return NULL;
		}
		c = cJSON_AddObjectToObject(d, "check");
		cJSON_AddStringToObject(c, "flag", flag);
		cJSON_AddNumberToObject(c, "org_id", (double)org_id);
		cJSON_AddBoolToObject(c, "enabled", on);
	}
	return d;
}

static int
bad_check(struct ob_req *r)
{
	ob_h_ops_error(r, 400, "invalid_check", "flag is a flag's name and org_id an id.", "org_id");
	return 0;
}

int
ob_h_ops_flags_api(struct ob_req *r)
{
	int bad;
	cJSON *d = flags_model(r, &bad);

	if (d == NULL)
		return bad ? bad_check(r) : -1;
	ob_api_json(r, 200, d);
	cJSON_Delete(d);
	return 0;
}

static const struct ob_page_flash_msg saved[] = {
	{ "flag_saved", "success", "Flag rule saved. Workers see it within a few seconds." },
};

/* The page, with a flash for f (NULL: none). */
static int
render_page(struct ob_req *r, int status, const struct ob_fail *f)
{
	int bad;
	cJSON *m = flags_model(r, &bad), *d;

	if (m == NULL)
		return bad ? bad_check(r) : -1;
	d = ob_page_new(r, "Feature flags", "admin");
	cJSON_AddItemReferenceToObject(d, "rules", cJSON_GetObjectItem(m, "data"));
	if (cJSON_GetObjectItem(m, "check") != NULL)
		cJSON_AddItemReferenceToObject(d, "check", cJSON_GetObjectItem(m, "check"));
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	else
		ob_page_flash_code(d, ob_query_get(r, "flash"), saved, 1);
	ob_page_render(r, status, "pages/ops_flags", d);
	cJSON_Delete(d);
	cJSON_Delete(m);
	return 0;
}

int
ob_h_ops_flags_page(struct ob_req *r)
{
	return render_page(r, 200, NULL);
}

static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	return render_page(r, 400, f);
}

static const char *const scopes[] = { "global", "plan", "org", NULL };
static const char *const states[] = { "on", "off", "remove", NULL };
static const struct ob_field set_rows[] = {
	{ .name = "flag", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .min = 1, .max = 63,
	    .chars = OB_CHARS_SET, .set = "abcdefghijklmnopqrstuvwxyz0123456789_.",
	    .message = "A flag's name is lowercase letters, digits, '_' and '.' (at most 63)." },
	{ .name = "scope", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED, .allowed = scopes,
	    .message = "scope is global, plan or org." },
	{ .name = "target", .type = OB_FIELD_STRING, .max = 64, .chars = OB_CHARS_TEXT,
	    .message = "target is a plan code or an org id (at most 64 characters)." },
	{ .name = "state", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED, .allowed = states,
	    .message = "state is on, off or remove." },
	{ .name = "percent", .type = OB_FIELD_INT, .min = 0, .max = 100,
	    .message = "percent is {min} to {max}." },
	{ .name = "reason", .type = OB_FIELD_STRING,
	    .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID, .min = 3, .max = 500,
	    .chars = OB_CHARS_TEXT, .message = "Give a reason ({min} to {max} characters)." },
};
const struct ob_fields ob_h_ops_flags_set_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, set_rows, form_fail);

int
ob_h_ops_flags_set(struct ob_req *r)
{
	const char *state = ob_field_str(r, "state"), *target = ob_field_str(r, "target");
	struct ob_actx ax = { &r->w->db, &r->who, r->request_id, r->remote_addr,
	    ob_field_str(r, "reason"), 1 };
	struct ob_flag_rule rule;
	struct ob_fail f = { 0 };

	memset(&rule, 0, sizeof(rule));
	snprintf(rule.flag, sizeof(rule.flag), "%s", ob_field_str(r, "flag"));
	snprintf(rule.scope, sizeof(rule.scope), "%s", ob_field_str(r, "scope"));
	snprintf(rule.target, sizeof(rule.target), "%s", target != NULL ? target : "");
	rule.enabled = strcmp(state, "on") == 0;
	rule.percent = (int)ob_field_i64(r, "percent", 100);
	if (ob_flags_set(&ax, &rule, strcmp(state, "remove") == 0, &f) != 0) {
		if (f.kind == OB_FAIL_INVALID)
			return render_page(r, 400, &f);
		return -1;
	}
	ob_resp_redirect(r, 303, "/admin/flags?flash=flag_saved");
	return 0;
}
