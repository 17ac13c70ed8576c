/*
 * Staff credit actions: free grants (manual, promo, rollover) and
 * reversals of deductions, each with a required reason and audited as
 * staff — the console's page and forms under /admin/orgs/{org_id}/credits
 * and the REST API under …/admin/credits/{org_id} (h_admin.h).
 */
#include "fcgi/h_admin.h"

#include <stdlib.h>
#include <string.h>

#include "credits/credits.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/h_credits.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "identity/org.h"
#include "base/num.h"

/* This request's staff context: audited as staff with reason. */
static void
staff_actx(struct ob_req *r, struct ob_actx *ax, const char *reason)
{
	ob_api_actx(r, ax);
	ax->as_staff = 1;
	ax->reason = reason;
}

/* The staff reason, as core checks it (ob_credits_reason_ok). */
#define REASON_ROW \
	{ .name = "reason", .type = OB_FIELD_STRING, \
	    .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID, \
	    .min = OB_CREDITS_REASON_MIN, .max = OB_CREDITS_REASON_MAX, .chars = OB_CHARS_TEXT, \
	    .message = "Give a reason of {min} to {max} characters." }

/* ---- Console ------------------------------------------------------------ */

static const struct ob_page_flash_msg done_msgs[] = {
	{ "granted", "success", "Credits granted." },
	{ "reversed", "success", "Deduction reversed." },
};

/* The org's credits page for staff (status; f: the refusal to show). */
static int
render_page(struct ob_req *r, int status, const struct ob_fail *f)
{
	int64_t org_id = ob_num_id(ob_route_param(r, "org_id"));
	cJSON *d, *org, *pool;

	if (org_id == 0 || (org = ob_org_get(&r->w->db, org_id)) == NULL) {
		ob_worker_error(r, 404, "invalid_request_error", "org_not_found",
		    "No such organization.", NULL);
		return 0;
	}
	if ((pool = ob_credits_status(&r->w->db, org_id)) == NULL) {
		cJSON_Delete(org);
		return -1;
	}
	d = ob_page_new(r, "Credits (staff)", "admin");
	cJSON_AddItemToObject(d, "org", org);
	ob_credits_add_fmt(pool, "available", ob_num_json_or(pool, "available", 0));
	ob_credits_add_fmt(pool, "granted", ob_num_json_or(pool, "granted", 0));
	ob_credits_add_fmt(pool, "used", ob_num_json_or(pool, "used", 0));
	cJSON_AddItemToObject(d, "pool", pool);
	ob_page_flash_code(d, ob_query_get(r, "done"), done_msgs,
	    sizeof(done_msgs) / sizeof(done_msgs[0]));
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	ob_page_render(r, status, "pages/admin_credits", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_admin_credits_page(struct ob_req *r)
{
	return render_page(r, 200, NULL);
}

/* A form's outcome: back to the page with done, or the page again with f. */
static int
form_done(struct ob_req *r, const cJSON *o, const struct ob_fail *f, const char *done)
{
	if (o != NULL) {
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/admin/orgs/%s/credits?done=%s",
		    ob_route_param(r, "org_id"), done));
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

static const char *const form_sources[] = { "manual", "promo", "rollover", NULL };
static const struct ob_field grant_form_rows[] = {
	{ .name = "amount", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .min = 1, .max = OB_CREDITS_AMOUNT_MAX,
	    .message = "amount must be a whole number of credits from {min} to {max}." },
	{ .name = "source", .type = OB_FIELD_ENUM, .flags = OB_FIELD_REQUIRED,
	    .allowed = form_sources, .message = "source must be manual, promo or rollover." },
	{ .name = "expires_at", .type = OB_FIELD_STRING, .max = 40,
	    .message = "expires_at must be an RFC 3339 UTC timestamp (2026-01-31T00:00:00Z)." },
	REASON_ROW,
};
const struct ob_fields ob_h_admin_credits_grant_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, grant_form_rows, form_fail);

int
ob_h_admin_credits_grant_form(struct ob_req *r)
{
	struct ob_credits_grant_in in;
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	cJSON *o;
	int rc;

	memset(&in, 0, sizeof(in));
	in.amount = ob_field_i64(r, "amount", 0);
	in.source = ob_field_str(r, "source");
	in.expires_at = ob_field_str(r, "expires_at");
	in.priority = -1;
	in.reason = ob_field_str(r, "reason");
	staff_actx(r, &ax, in.reason);
	o = ob_credits_grant(&ax, ob_num_id(ob_route_param(r, "org_id")), 0, &in, &f);
	rc = form_done(r, o, &f, "granted");
	cJSON_Delete(o);
	return rc;
}

static const struct ob_field reverse_form_rows[] = {
	{ .name = "key", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .min = 1, .max = 300,
	    .message = "key is the deduction's idempotency key." },
	REASON_ROW,
};
const struct ob_fields ob_h_admin_credits_reverse_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, reverse_form_rows, form_fail);

int
ob_h_admin_credits_reverse_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	cJSON *o;
	int replayed, rc;

	staff_actx(r, &ax, ob_field_str(r, "reason"));
	o = ob_credits_reverse(&ax, ob_num_id(ob_route_param(r, "org_id")), ob_field_str(r, "key"),
	    ax.reason, &replayed, &f);
	rc = form_done(r, o, &f, "reversed");
	cJSON_Delete(o);
	return rc;
}

/* ---- API ---------------------------------------------------------------- */

/* The org in the path: its id, or 0 after answering 404. */
static int64_t
path_org(struct ob_req *r)
{
	int64_t org = ob_num_id(ob_route_param(r, "org_id"));
	struct ob_fail f = { 0 };

	if (org == 0) {
		ob_fail(&f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
		ob_api_fail(r, &f);
	}
	return org;
}

static int
grant_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_credits_grant_in in;
	struct ob_actx ax;
	const cJSON *body = ob_api_body(r);

	if (body == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_json", NULL,
		    "The body must be a JSON object.");
	if (ob_credits_parse_grant(body, &in, f) != 0)
		return -1;
	staff_actx(r, &ax, in.reason);
	if ((*out = ob_credits_grant(&ax, *(const int64_t *)arg, 0, &in, f)) == NULL)
		return -1;
	*status = 201;
	return 0;
}

static const struct ob_field grant_rows[] = { OB_H_CREDITS_GRANT_ROWS };
const struct ob_fields ob_h_admin_api_credits_grant_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, grant_rows, NULL);

int
ob_h_admin_api_credits_grant(struct ob_req *r)
{
	int64_t org = path_org(r);

	if (org == 0)
		return 0;
	if (ob_api_body(r) == NULL)
		return 0;	/* answered 400/415 */
	ob_api_idempotent(r, org, 0, grant_op, &org);
	return 0;
}

static const struct ob_field reverse_rows[] = { REASON_ROW };
const struct ob_fields ob_h_admin_api_credits_reverse_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, reverse_rows, NULL);

int
ob_h_admin_api_credits_reverse(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t org = path_org(r);
	cJSON *o;
	int replayed;

	if (org == 0)
		return 0;
	staff_actx(r, &ax, ob_field_str(r, "reason"));
	o = ob_credits_reverse(&ax, org, ob_route_param(r, "key"), ax.reason, &replayed, &f);
	if (o == NULL)
		return ob_api_failed(r, &f);
	if (replayed)
		ob_resp_header(r, "Idempotent-Replayed", "true");
	ob_api_json(r, replayed ? 200 : 201, o);
	cJSON_Delete(o);
	return 0;
}
