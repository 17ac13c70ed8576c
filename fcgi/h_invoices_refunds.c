/*
 * Refunds and dunning: the staff page and forms, and the REST API's refund
 * history, staff refund, dunning state and override (h_invoices.h).
 */
#include "fcgi/h_invoices.h"
#include "fcgi/h_invoices_int.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "base/json.h"
#include "fcgi/fields.h"
#include "credits/credits.h"
#include "invoices/dunning.h"
#include "fcgi/input.h"
#include "invoices/invoices.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "invoices/refunds.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "base/num.h"

static int
render_admin_refunds(struct ob_req *r, int64_t org_id, int status, const struct ob_fail *f)
{
	struct ob_invoices_filter flt = { "paid", NULL, NULL };
	cJSON *d, *inv, *refunds, *dun, *data;
	int i;

	d = ob_page_new(r, "Refunds", "admin");
	ob_h_inv_done_flash(r, d);
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	if (org_id > 0) {
		cJSON_AddStringToObject(d, "org_id", ob_arena_printf(r->a, "%lld", (long long)org_id));
		if ((inv = ob_invoices_list(&r->w->db, org_id, &flt, NULL, 50)) == NULL ||
		    (refunds = ob_refunds_list(&r->w->db, org_id, NULL, 50)) == NULL) {
			cJSON_Delete(inv);
			cJSON_Delete(d);
			return -1;
		}
		data = cJSON_GetObjectItem(inv, "data");
		for (i = 0; i < cJSON_GetArraySize(data); i++)
			ob_h_inv_decorate(r, cJSON_GetArrayItem(data, i));
		cJSON_AddItemToObject(d, "invoices", cJSON_Duplicate(data, 1));
		cJSON_Delete(inv);
		data = cJSON_GetObjectItem(refunds, "data");
		for (i = 0; i < cJSON_GetArraySize(data); i++) {
			cJSON *x = cJSON_GetArrayItem(data, i);

			cJSON_AddStringToObject(x, "amount_display", ob_h_inv_money(r, x, "amount",
			    ob_json_str(x, "currency")));
		}
		cJSON_AddItemToObject(d, "refunds", cJSON_Duplicate(data, 1));
		cJSON_Delete(refunds);
		if ((dun = ob_dunning_view(&r->w->db, org_id)) != NULL) {
			const char *st = ob_json_str(dun, "state");

			cJSON_AddBoolToObject(dun, "in_dunning", st != NULL && strcmp(st, "active") != 0);
			cJSON_AddItemToObject(d, "dunning", dun);
		}
	}
	ob_page_form_key(d);
	ob_page_render(r, status, "pages/admin_refunds", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_admin_refunds_page(struct ob_req *r)
{
	int64_t org = ob_h_inv_staff_org(r, ob_query_get(r, "org_id"));

	if (org < 0)
		return -1;
	return render_admin_refunds(r, org, 200, NULL);
}

/* A staff action's reason, as core takes it (core also refuses control characters). */
#define REASON_ROW \
	{ .name = "reason", .type = OB_FIELD_STRING, \
	    .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID, .min = 3, .max = 500, \
	    .message = "Give a reason of {min} to {max} characters." }

/* The org a staff form names: in its path, else its org_id field. */
static const char *
form_org_value(struct ob_req *r)
{
	const char *v = ob_route_param(r, "org_id");

	return v != NULL ? v : ob_form_get(r, "org_id");
}

/* A staff form's outcome: back to the org's refunds with done, or the page again with f. */
static int
staff_form_done(struct ob_req *r, int64_t org, int rc, const struct ob_fail *f, const char *done)
{
	if (rc == 0) {
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/admin/refunds?org_id=%lld&done=%s",
		    (long long)org, done));
		return 0;
	}
	if (f->kind == OB_FAIL_DB)
		return -1;
	return render_admin_refunds(r, org, ob_api_fail_status(f->kind), f);
}

/* A staff form's fields refused: the page again, for the org it names. */
static int
staff_form_fail(struct ob_req *r, const struct ob_fail *f)
{
	int64_t org = ob_h_inv_staff_org(r, form_org_value(r));

	return org < 0 ? -1 : staff_form_done(r, org, -1, f, NULL);
}

/*
 * The org a staff form acts on and its staff context into ax: the org's
 * id; 0 with f set when there is no such org; -1 on a database failure.
 */
static int64_t
staff_form_org(struct ob_req *r, struct ob_actx *ax, struct ob_fail *f)
{
	int64_t org = ob_h_inv_staff_org(r, form_org_value(r));

	ob_h_inv_staff_actx(r, ax, ob_field_str(r, "reason"));
	if (org == 0)
		ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
	return org;
}

/* An invoice staff name: its public id ("inv_…"), or the internal id (digits). */
static int
invoice_ref_ok(const char *s)
{
	return ob_invoices_public_id_ok(s) || ob_num_id(s) > 0;
}

/* The internal id of the invoice the field invoice_id names in org: > 0, 0 none, -1 db. */
static int64_t
invoice_ref(struct ob_req *r, int64_t org)
{
	const char *s = ob_field_str(r, "invoice_id");

	return ob_invoices_public_id_ok(s) ? ob_invoices_resolve(&r->w->db, org, s) : ob_num_id(s);
}

static const struct ob_field refund_form_rows[] = {
	{ .name = "org_id", .type = OB_FIELD_ID },
	{ .name = "invoice_id", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .max = 64,
	    .ok = invoice_ref_ok, .missing = "Choose an invoice.", .message = "Choose an invoice." },
	{ .name = "amount", .type = OB_FIELD_INT, .min = 1, .max = 999999999999999LL,
	    .message = "amount is a whole number of cents (empty: everything left)." },
	REASON_ROW,
	{ .name = "idem", .type = OB_FIELD_STRING },	/* the form's one-time key */
};
const struct ob_fields ob_h_admin_refund_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, refund_form_rows, staff_form_fail);

int
ob_h_admin_refund_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t org = staff_form_org(r, &ax, &f), inv = 0;
	cJSON *out = NULL;

	if (org < 0)
		return -1;
	if (org > 0 && (inv = invoice_ref(r, org)) < 0)
		return -1;
	if (org > 0)
		out = ob_refunds_create(&ax, ob_worker_stripe(r->w), org, inv,
		    ob_field_i64(r, "amount", 0), ax.reason, ob_h_inv_posted_key(r), &f);
	cJSON_Delete(out);
	return staff_form_done(r, org, out != NULL ? 0 : -1, &f, "refunded");
}

static const struct ob_field override_form_rows[] = { REASON_ROW };
const struct ob_fields ob_h_admin_dunning_override_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, override_form_rows, staff_form_fail);

int
ob_h_admin_dunning_override_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t org = staff_form_org(r, &ax, &f);
	int rc = -1;

	if (org < 0)
		return -1;
	if (org > 0)
		rc = ob_dunning_override(&ax, org, ax.reason, &f);
	return staff_form_done(r, org, rc, &f, "overridden");
}

/* The name tenants see for whoever at orgbill made a refund. */
#define REFUND_BY_SUPPORT "orgbill support"

int
ob_h_api_refunds(struct ob_req *r)
{
	const char *after = ob_query_get(r, "starting_after");
	cJSON *list, *data, *x;
	int limit;

	if (ob_api_paging(r, 20, 100, &limit, NULL) != 0)
		return 0;
	if (after != NULL && *after != '\0' && !ob_refunds_public_id_ok(after)) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_cursor",
		    "starting_after must be an id from a previous page.", "starting_after");
		return 0;
	}
	list = ob_refunds_list(&r->w->db, r->who.org_id, after, limit);
	/* Refunds are made by staff: tenants see who as "orgbill support",
	 * never the staff member's e-mail (the staff console shows it). */
	data = list != NULL ? cJSON_GetObjectItem(list, "data") : NULL;
	cJSON_ArrayForEach(x, data)
		if (ob_json_str(x, "requested_by") != NULL && ob_json_str(x, "requested_by")[0] != '\0')
			cJSON_ReplaceItemInObject(x, "requested_by",
			    cJSON_CreateString(REFUND_BY_SUPPORT));
	return ob_api_answer(r, list);
}

static const struct ob_field refund_rows[] = {
	{ .name = "invoice_id", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .max = 64,
	    .ok = invoice_ref_ok, .missing = "invoice_id is the invoice's id.",
	    .message = "invoice_id is the invoice's id." },
	{ .name = "amount", .type = OB_FIELD_INT, .min = 1, .max = 1LL << 50,
	    .message = "amount is a positive integer of minor units (omit it for a full refund)." },
	REASON_ROW,
};
const struct ob_fields ob_h_api_refund_fields = OB_FIELDS_TABLE(OB_BODY_JSON, refund_rows, NULL);

/* The org a staff API call acts on (its path's). */
struct staff_arg {
	int64_t org;
};

/*
 * A staff mutation on the org named in the path: the org must exist (404
 * otherwise), then op runs in the idempotency envelope.
 */
static int
staff_mutation(struct ob_req *r, ob_api_op_fn op)
{
	struct staff_arg a;
	struct ob_fail f = { 0 };

	a.org = ob_h_inv_staff_org(r, ob_route_param(r, "org_id"));
	if (a.org < 0)
		return -1;
	if (a.org == 0) {
		ob_fail(&f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
		ob_api_fail(r, &f);
		return 0;
	}
	ob_api_idempotent(r, a.org, 0, op, &a);
	return 0;
}

/*
 * A staff refund. Not run through ob_api_idempotent (its transaction would
 * be open across the Stripe call): the refund's row keeps the key and is
 * the idempotency record (ob_refunds_create); a retry with the same key
 * answers the same refund.
 */
int
ob_h_api_refund(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	const char *key;
	int64_t org, inv;
	cJSON *out;

	org = ob_h_inv_staff_org(r, ob_route_param(r, "org_id"));
	if (org < 0)
		return -1;
	if (org == 0) {
		ob_fail(&f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
		ob_api_fail(r, &f);
		return 0;
	}
	if (ob_api_body(r) == NULL || ob_api_idem_key(r, 0, &key) != 0)
		return 0;
	if ((inv = invoice_ref(r, org)) < 0)
		return -1;
	ob_h_inv_staff_actx(r, &ax, ob_field_str(r, "reason"));
	if ((out = ob_refunds_create(&ax, ob_worker_stripe(r->w), org, inv,
	    ob_field_i64(r, "amount", 0), ax.reason, key, &f)) == NULL) {
		ob_api_fail(r, &f);
		return 0;
	}
	ob_api_json(r, 201, out);
	cJSON_Delete(out);
	return 0;
}

int
ob_h_api_dunning(struct ob_req *r)
{
	cJSON *d = ob_dunning_view(&r->w->db, r->who.org_id);

	return ob_api_answer(r, d);
}

static const struct ob_field override_rows[] = { REASON_ROW };
const struct ob_fields ob_h_api_dunning_override_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, override_rows, NULL);

static int
override_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const struct staff_arg *a = arg;
	struct ob_actx ax;

	ob_h_inv_staff_actx(r, &ax, ob_field_str(r, "reason"));
	if (ob_dunning_override(&ax, a->org, ax.reason, f) != 0)
		return -1;
	if ((*out = ob_dunning_view(&r->w->db, a->org)) == NULL)
		return ob_fail_db(f, r->w->db.lasterr);
	*status = 200;
	return 0;
}

int
ob_h_api_dunning_override(struct ob_req *r)
{
	return staff_mutation(r, override_op);
}
