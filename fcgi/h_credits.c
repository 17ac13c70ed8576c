/*
 * Credits: the console's Credits page and forms, the credits REST API
 * (pool status, grants, allocations, usage, check, deduct, reverse,
 * settings) and the billing summaries.
 *
 * The deduct handler is the metering hot path: the gate has already
 * verified the key from the worker's cache and counted the request in
 * shared memory; here the body is checked and ONE statement runs (the SQL
 * function is its own idempotency record, so ob_api_idempotent — which
 * would add round trips — is not used).
 */
#include "fcgi/h_credits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/fields.h"
#include "fcgi/form_lines.h"
#include "billing/entitlement.h"
#include "credits/credits.h"
#include "base/idem.h"
#include "fcgi/input.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/when.h"
#include "fcgi/worker.h"
#include "base/num.h"

/* Who sees the whole overview (else only their own allowance). */
static int
is_manager(const struct ob_req *r)
{
	return ob_authz_can(r, OB_ACT_BILLING_VIEW);
}

/*
 * The billing overview of the caller's org: the credits overview with the
 * plan's entitlement per seat filled in. NULL with the database's error.
 */
static cJSON *
overview(struct ob_req *r, int manager)
{
	cJSON *o = ob_credits_overview(&r->w->db, r->who.org_id, r->who.user_id, manager);

	ob_entitlement_overview(&r->w->db, r->who.org_id, o);
	return o;
}

/* ---- console ------------------------------------------------------------ */

/* The bulk allocation form refused with f: all its bad lines beside the box, the text kept. */
static void
bulk_errors(struct ob_req *r, cJSON *d, const struct ob_fail *f)
{
	const char *text = ob_form_get(r, "allocations");
	cJSON *errs = cJSON_CreateArray();

	(void)ob_form_bulk_alloc_check(&r->w->db, r->who.org_id, text, errs);	/* failed: f alone */
	ob_form_lines_show(d, "allocations", "bulk", text, errs, f);
	cJSON_AddBoolToObject(d, "bulk_open", 1);
	cJSON_Delete(errs);
}

/*
 * What the page shows people instead of the API's numbers: never "-1"
 * (extra_unlimited, and an empty limit field), members without a limit
 * (no_limit), whether the pool is empty, and the chart's x-axis labels
 * ("Nov 29").
 */
static void
page_view(cJSON *d, cJSON *ov)
{
	const cJSON *pool = cJSON_GetObjectItem(ov, "pool");
	cJSON *b;
	char day[OB_WHEN_MAX], *comma;
	int64_t max = 0, granted = 0;

	(void)ob_num_json_get(pool, "max_extra_tasks", &max);
	(void)ob_num_json_get(pool, "granted", &granted);
	cJSON_AddBoolToObject(d, "extra_unlimited", max < 0);
	cJSON_AddStringToObject(d, "max_extra_value", max < 0 ? "" :
	    cJSON_GetStringValue(cJSON_GetObjectItem(pool, "max_extra_tasks_value")));
	cJSON_AddBoolToObject(d, "pool_empty", granted == 0);
	cJSON_ArrayForEach(b, cJSON_GetObjectItem(ov, "allocations"))
		cJSON_AddBoolToObject(b, "no_limit", cJSON_IsNull(cJSON_GetObjectItem(b, "limit")));
	cJSON_ArrayForEach(b, cJSON_GetObjectItem(ov, "chart")) {
		if (!cJSON_IsTrue(cJSON_GetObjectItem(b, "label")))
			continue;
		if (ob_when_format(day, sizeof(day),
		    cJSON_GetStringValue(cJSON_GetObjectItem(b, "day")), 0) == NULL)
			continue;
		if ((comma = strchr(day, ',')) != NULL)
			*comma = '\0';
		cJSON_AddStringToObject(b, "day_short", day);
	}
}

static int
render_page(struct ob_req *r, int status, const struct ob_fail *f)
{
	const char *saved = ob_query_get(r, "saved");
	cJSON *d, *ov;
	int mgr = is_manager(r);

	if ((ov = overview(r, mgr)) == NULL)
		return -1;
	d = ob_page_new(r, "Credits", "credits");
	page_view(d, ov);
	cJSON_AddItemToObject(d, "credits", ov);
	cJSON_AddBoolToObject(d, "can_manage", ob_authz_can(r, OB_ACT_CREDITS_MANAGE));
	if (saved != NULL && strcmp(saved, "settings") == 0)
		ob_page_flash(d, "success", "Extra-task settings saved.");
	else if (saved != NULL && strcmp(saved, "allocations") == 0)
		ob_page_flash(d, "success", "Allocations saved.");
	if (f != NULL && ob_form_get(r, "allocations") != NULL)
		bulk_errors(r, d, f);	/* every bad line, next to the box */
	else if (f != NULL)
		ob_page_flash(d, "error", f->message);
	ob_page_render(r, status, "pages/credits", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_credits_page(struct ob_req *r)
{
	return render_page(r, 200, NULL);
}

static int
form_done(struct ob_req *r, int rc, const struct ob_fail *f, const char *saved)
{
	if (rc == 0) {
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/credits?saved=%s", saved));
		return 0;
	}
	if (f->kind == OB_FAIL_DB)
		return -1;
	return render_page(r, ob_api_fail_status(f->kind), f);
}

static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	return form_done(r, -1, f, NULL);
}

#define MAX_EXTRA_FORM_MSG "The limit must be -1 (unlimited), 0 or a positive number."

static const struct ob_field settings_form_rows[] = {
	{ .name = "allow_extra_tasks", .type = OB_FIELD_BOOL },
	{ .name = "unlimited", .type = OB_FIELD_BOOL },
	{ .name = "max_extra_tasks", .type = OB_FIELD_INT, .min = -1, .max = OB_CREDITS_AMOUNT_MAX,
	    .message = MAX_EXTRA_FORM_MSG },
};
const struct ob_fields ob_h_credits_settings_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, settings_form_rows, form_fail);

int
ob_h_credits_settings_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t max = -1;
	int rc;

	ob_api_actx(r, &ax);
	/* The limit is needed unless "unlimited" is ticked; both at once are
	 * unclear and change nothing (never unlimited by accident). */
	if (ob_field_bool(r, "unlimited", 0) && ob_field_has(r, "max_extra_tasks"))
		return form_done(r, ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid",
		    "max_extra_tasks", "Either tick Unlimited (and clear the number) or enter a limit, "
		    "not both."), &f, NULL);
	if (!ob_field_bool(r, "unlimited", 0)) {
		if (!ob_field_has(r, "max_extra_tasks"))
			return form_done(r, ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid",
			    "max_extra_tasks", MAX_EXTRA_FORM_MSG), &f, NULL);
		max = ob_field_i64(r, "max_extra_tasks", 0);
	}
	rc = ob_credits_settings_set(&ax, r->who.org_id, ob_field_bool(r, "allow_extra_tasks", 0),
	    max, &f);
	return form_done(r, rc, &f, "settings");
}

/* A form checkbox's value ticked ("true", "on" or "1"). */
static int
form_ticked(const char *v)
{
	return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "on") == 0 || strcmp(v, "1") == 0);
}

int
ob_h_credits_alloc_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	const char *bulk = ob_form_get(r, "allocations");
	int64_t uid, limit;
	cJSON *o;
	int rc, n;

	ob_api_actx(r, &ax);
	if (bulk != NULL) {
		rc = ob_credits_allocate_bulk(&ax, r->who.org_id, bulk, &n, &f);
		return form_done(r, rc, &f, "allocations");
	}
	if ((uid = ob_num_id(ob_form_get(r, "user_id"))) == 0)
		rc = ob_fail(&f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id", "No such member.");
	else if (form_ticked(ob_form_get(r, "unlimited")) && ob_form_get(r, "limit") != NULL &&
	    ob_form_get(r, "limit")[0] != '\0')
		/* Both a number and "Unlimited": which was meant is unclear, so
		 * nothing changes (a number typed beside a box left ticked must
		 * not silently leave the member unlimited). */
		rc = ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid", "limit",
		    "Either tick Unlimited (and clear the number) or enter a limit, not both.");
	else if (form_ticked(ob_form_get(r, "unlimited"))) {
		/* The row's "Unlimited" box with no number: the limit is removed. */
		o = ob_credits_unallocate(&ax, r->who.org_id, uid, &f);
		rc = o != NULL ? 0 : -1;
		cJSON_Delete(o);
	} else if (ob_num_parse(ob_form_get(r, "limit"), 0, OB_CREDITS_AMOUNT_MAX, &limit) != 0)
		rc = ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid", "limit",
		    "Enter a limit as a whole number of credits (0 or more), or tick Unlimited.");
	else if ((o = ob_credits_allocate(&ax, r->who.org_id, uid, limit, &f)) == NULL)
		rc = -1;
	else {
		cJSON_Delete(o);
		rc = 0;
	}
	return form_done(r, rc, &f, "allocations");
}

/* ---- API ---------------------------------------------------------------- */

#define AMOUNT_MSG "amount must be a whole number of credits from {min} to {max}."
#define USER_ID_MSG "user_id must be a user id."

static const struct ob_field allocate_rows[] = {
	{ .name = "user_id", .type = OB_FIELD_ID, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .message = USER_ID_MSG },
	{ .name = "limit", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .min = 0, .max = OB_CREDITS_AMOUNT_MAX,
	    .message = "limit must be a whole number of credits, 0 or more." },
};
const struct ob_fields ob_h_api_credits_allocate_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, allocate_rows, NULL);

static const struct ob_field check_rows[] = {
	{ .name = "user_id", .type = OB_FIELD_ID, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .message = USER_ID_MSG },
	{ .name = "amount", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .min = 1, .max = OB_CREDITS_AMOUNT_MAX, .message = AMOUNT_MSG },
};
const struct ob_fields ob_h_api_credits_check_fields = OB_FIELDS_TABLE(OB_BODY_JSON, check_rows, NULL);

static const struct ob_field deduct_rows[] = {
	{ .name = "user_id", .type = OB_FIELD_ID, .flags = OB_FIELD_REQUIRED, .message = USER_ID_MSG },
	{ .name = "amount", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED,
	    .min = 1, .max = OB_CREDITS_AMOUNT_MAX, .message = AMOUNT_MSG },
	{ .name = "service", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .ok = ob_credits_service_ok,
	    .message = "service must be 1 to 64 characters of a-z, 0-9, _ . : -." },
	{ .name = "model", .type = OB_FIELD_STRING, .min = 1, .max = OB_CREDITS_MODEL_MAX,
	    .chars = OB_CHARS_TEXT,
	    .message = "model must be a string of {min} to {max} printable characters." },
	{ .name = "metadata", .type = OB_FIELD_OBJECT, .max = OB_CREDITS_METADATA_MAX,
	    .message = "metadata must be an object of at most {max} bytes of JSON." },
};
const struct ob_fields ob_h_api_credits_deduct_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, deduct_rows, NULL);

/* The body is optional: {"reason": "..."}. */
static const struct ob_field reverse_rows[] = {
	{ .name = "reason", .type = OB_FIELD_STRING, .max = OB_CREDITS_REASON_MAX,
	    .message = "reason must be at most {max} bytes." },
};
const struct ob_fields ob_h_api_credits_reverse_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON_OPTIONAL, reverse_rows, NULL);

static const struct ob_field settings_rows[] = {
	{ .name = "allow_extra_tasks", .type = OB_FIELD_BOOL,
	    .message = "allow_extra_tasks must be true or false." },
	{ .name = "max_extra_tasks", .type = OB_FIELD_INT, .min = -1, .max = OB_CREDITS_AMOUNT_MAX,
	    .message = "max_extra_tasks must be -1 (unlimited), 0 (none) or a positive number." },
};
const struct ob_fields ob_h_api_credits_settings_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, settings_rows, NULL);

int
ob_h_api_credits_status(struct ob_req *r)
{
	cJSON *o = ob_credits_status(&r->w->db, r->who.org_id);

	return ob_api_answer(r, o);
}

/*
 * Tenants cannot create value: the policy refuses this route to every
 * role and key scope (OB_ACT_CREDITS_GRANT), and so does the handler.
 */
static const struct ob_field add_rows[] = { OB_H_CREDITS_GRANT_ROWS };
const struct ob_fields ob_h_api_credits_add_fields = OB_FIELDS_TABLE(OB_BODY_JSON, add_rows, NULL);

int
ob_h_api_credits_add(struct ob_req *r)
{
	struct ob_fail f = { 0 };

	ob_fail(&f, OB_FAIL_FORBIDDEN, "forbidden", NULL,
	    "Credits are bought, come with a plan or are granted by staff.");
	return ob_api_failed(r, &f);
}

static int
allocate_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;

	(void)arg;
	ob_api_actx(r, &ax);
	if ((*out = ob_credits_allocate(&ax, r->who.org_id, ob_field_i64(r, "user_id", 0),
	    ob_field_i64(r, "limit", 0), f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_credits_allocate(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, allocate_op);
	return 0;
}

int
ob_h_api_credits_allocations(struct ob_req *r)
{
	int64_t after;
	int limit;

	if (ob_api_paging(r, 20, 100, &limit, &after) != 0)
		return 0;
	return ob_api_answer(r, ob_credits_allocations(&r->w->db, r->who.org_id, after, limit, 0));
}

static const char *const groups[] = { "day", "user", "service", NULL };
static const struct ob_field usage_query[] = {
	{ .name = "from", .type = OB_FIELD_DATE, .message = "from must be a date, YYYY-MM-DD." },
	{ .name = "to", .type = OB_FIELD_DATE, .message = "to must be a date, YYYY-MM-DD." },
	{ .name = "group_by", .type = OB_FIELD_ENUM, .allowed = groups,
	    .message = "group_by must be day, user or service." },
	OB_FIELD_ROW_LIMIT(100),
};
const struct ob_fields ob_h_api_credits_usage_fields = OB_FIELDS_QUERY(usage_query, NULL);

int
ob_h_api_credits_usage(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	enum ob_credits_group g;
	char from[11], to[11];
	int limit;

	if (ob_credits_group_parse(ob_field_str(r, "group_by"), &g) != 0) {
		ob_worker_error(r, 400, "invalid_request_error", "parameter_invalid",
		    "group_by must be day, user or service.", "group_by");
		return 0;
	}
	if (ob_api_paging(r, 20, 100, &limit, NULL) != 0)
		return 0;
	if (ob_credits_range(ob_field_str(r, "from"), ob_field_str(r, "to"), from, to, &f) != 0) {
		ob_api_fail(r, &f);
		return 0;
	}
	return ob_api_answer(r, ob_credits_usage(&r->w->db, r->who.org_id, from, to, g, limit));
}

int
ob_h_api_credits_check(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *o = ob_credits_check(&r->w->db, r->who.org_id, ob_field_i64(r, "user_id", 0),
	    ob_field_i64(r, "amount", 0), &f);

	return o != NULL ? ob_api_answer(r, o) : ob_api_failed(r, &f);
}

/* Why a deduction that ran was refused, into f. */
static void
deduct_refusal(const struct ob_credits_deduct_out *out, struct ob_fail *f)
{
	switch (out->status) {
	case OB_CREDITS_INSUFFICIENT_POOL:
		ob_fail(f, OB_FAIL_PAYMENT, "insufficient_credits", "pool",
		    "The organization's credit pool has %lld credits left; the deduction "
		    "needs more.", (long long)out->pool_remaining);
		break;
	case OB_CREDITS_INSUFFICIENT_ALLOCATION:
		ob_fail(f, OB_FAIL_PAYMENT, "insufficient_credits", "allocation",
		    "The member's allocation has %lld credits left this period; the "
		    "deduction needs more.", (long long)out->allocation_remaining);
		break;
	case OB_CREDITS_BUDGET_EXCEEDED:
		/* param names the scope: org, department, team or member. */
		ob_fail(f, OB_FAIL_PAYMENT, "budget_exceeded", out->budget_scope,
		    "The %s budget %lld has %lld credits left this period; the deduction "
		    "needs more.", out->budget_scope, (long long)out->budget_id,
		    (long long)out->budget_remaining);
		break;
	case OB_CREDITS_NOT_MEMBER:
		ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
		break;
	case OB_CREDITS_IDEMPOTENCY_MISMATCH:
		ob_idem_fail_reused(f);
		break;
	case OB_CREDITS_OK:
		break;
	}
}

int
ob_h_api_credits_deduct(struct ob_req *r)
{
	struct ob_credits_deduct_in in;
	struct ob_credits_deduct_out out;
	struct ob_fail f = { 0 };
	unsigned char hash[32];
	const char *key;
	int rc;

	if (ob_api_idem_key(r, 1, &key) != 0)
		return 0;
	/* The table checked the body; the domain's parse builds the request. */
	if (ob_credits_parse_deduct(ob_api_body(r), &in, &f) != 0) {
		ob_api_fail(r, &f);
		return 0;
	}
	in.org_id = r->who.org_id;
	in.api_key_id = r->who.kind == OB_PRINCIPAL_KEY ? r->who.key_id : 0;
	in.key = key;
	ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
	sodium_bin2hex(in.hash_hex, sizeof(in.hash_hex), hash, sizeof(hash));
	rc = ob_credits_deduct(&r->w->db, &in, &out, &f);
	ob_credits_deduct_in_free(&in);
	if (rc != 0)
		return ob_api_failed(r, &f);
	if (out.status != OB_CREDITS_OK) {
		deduct_refusal(&out, &f);
		ob_api_fail(r, &f);
		return 0;
	}
	if (out.replayed)
		ob_resp_header(r, "Idempotent-Replayed", "true");
	return ob_api_answer(r, ob_credits_deduct_json(&out));
}

int
ob_h_api_credits_reverse(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	const char *key = ob_route_param(r, "key");
	cJSON *o;
	int replayed;

	ob_api_actx(r, &ax);
	o = ob_credits_reverse_own(&ax, r->who.org_id, key, ob_field_str(r, "reason"),
	    r->w->cfg->credit_reversal_window_s, &replayed, &f);
	if (o == NULL)
		return ob_api_failed(r, &f);
	if (replayed)
		ob_resp_header(r, "Idempotent-Replayed", "true");
	ob_api_json(r, replayed ? 200 : 201, o);
	cJSON_Delete(o);
	return 0;
}

static int
settings_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;
	int64_t max = 0;
	int allow;
	cJSON *cur;

	(void)arg;
	if ((cur = ob_credits_status(&r->w->db, r->who.org_id)) == NULL)
		return ob_fail_db(f, r->w->db.lasterr);
	allow = ob_field_bool(r, "allow_extra_tasks",
	    cJSON_IsTrue(cJSON_GetObjectItem(cur, "allow_extra_tasks")));
	(void)ob_num_json_get(cur, "max_extra_tasks", &max);
	max = ob_field_i64(r, "max_extra_tasks", max);
	cJSON_Delete(cur);
	if (!ob_field_has(r, "allow_extra_tasks") && !ob_field_has(r, "max_extra_tasks"))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "allow_extra_tasks",
		    "Give allow_extra_tasks and/or max_extra_tasks.");
	ob_api_actx(r, &ax);
	if (ob_credits_settings_set(&ax, r->who.org_id, allow, max, f) != 0)
		return -1;
	if ((*out = ob_credits_status(&r->w->db, r->who.org_id)) == NULL)
		return ob_fail_db(f, r->w->db.lasterr);
	*status = 200;
	return 0;
}

int
ob_h_api_credits_settings(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, settings_op);
	return 0;
}

int
ob_h_api_billing_user(struct ob_req *r)
{
	cJSON *o = ob_credits_user_summary(&r->w->db, r->who.user_id);

	return ob_api_answer(r, o);
}

int
ob_h_api_billing_org(struct ob_req *r)
{
	cJSON *o = overview(r, 1);

	if (o == NULL)
		return -1;
	cJSON_ReplaceItemInObject(o, "object", cJSON_CreateString("org_billing_dashboard"));
	ob_api_json(r, 200, o);
	cJSON_Delete(o);
	return 0;
}

int
ob_h_api_billing_overview(struct ob_req *r)
{
	/* Keys with read/admin scope see the whole overview; members only
	 * their own allowance. */
	int mgr = r->who.kind == OB_PRINCIPAL_KEY || is_manager(r);
	cJSON *o = overview(r, mgr);

	return ob_api_answer(r, o);
}

int
ob_h_api_billing_system(struct ob_req *r)
{
	cJSON *o = ob_credits_system(&r->w->db);

	return ob_api_answer(r, o);
}
