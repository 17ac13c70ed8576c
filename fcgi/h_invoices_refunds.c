/*
 * Refunds and dunning: the staff page and forms, and the REST API's refund
 * history, staff refund, dunning state and override (h_invoices.h).
 */
#include "fcgi/h_invoices.h"
#include "fcgi/h_invoices_int.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
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
		if ((inv = ob_invoices_list(&r->w->db, org_id, &flt, 0, 50)) == NULL ||
		    (refunds = ob_refunds_list(&r->w->db, org_id, 0, 50)) == NULL) {
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
			    ob_invoices_jstr(x, "currency")));
		}
		cJSON_AddItemToObject(d, "refunds", cJSON_Duplicate(data, 1));
		cJSON_Delete(refunds);
		if ((dun = ob_dunning_view(&r->w->db, org_id)) != NULL) {
			const char *st = ob_invoices_jstr(dun, "state");

			cJSON_AddBoolToObject(dun, "in_dunning", st != NULL && strcmp(st, "active") != 0);
			cJSON_AddItemToObject(d, "dunning", dun);
		}
	}
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

/* An amount in minor units from text: "" means everything left. */
static int
parse_amount(const char *s, int64_t *out)
{
	*out = 0;
	if (s == NULL || *s == '\0')
		return 0;
	if (strlen(s) > 15 || strspn(s, "0123456789") != strlen(s))
		return -1;
	*out = strtoll(s, NULL, 10);
	return *out > 0 ? 0 : -1;
}

int
ob_h_admin_refund_form(struct ob_req *r)
{
	const char *reason = ob_form_get(r, "reason");
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t org = ob_h_inv_staff_org(r, ob_form_get(r, "org_id")), inv, amount;
	cJSON *out;

	if (org < 0)
		return -1;
	ob_h_inv_staff_actx(r, &ax, reason);
	inv = ob_num_id(ob_form_get(r, "invoice_id"));
	if (org == 0)
		ob_fail(&f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
	else if (inv == 0)
		ob_fail(&f, OB_FAIL_INVALID, "parameter_missing", "invoice_id", "Choose an invoice.");
	else if (parse_amount(ob_form_get(r, "amount"), &amount) != 0)
		ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount is a whole number of cents (empty: everything left).");
	else if ((out = ob_refunds_create(&ax, ob_worker_stripe(r->w), org, inv, amount, reason, NULL, &f)) != NULL) {
		cJSON_Delete(out);
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/admin/refunds?org_id=%lld&done=refunded",
		    (long long)org));
		return 0;
	}
	if (f.kind == OB_FAIL_DB)
		return -1;
	return render_admin_refunds(r, org, ob_api_fail_status(f.kind), &f);
}

int
ob_h_admin_dunning_override_form(struct ob_req *r)
{
	const char *reason = ob_form_get(r, "reason");
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t org = ob_h_inv_staff_org(r, ob_route_param(r, "org_id"));

	if (org < 0)
		return -1;
	ob_h_inv_staff_actx(r, &ax, reason);
	if (org == 0)
		ob_fail(&f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
	else if (ob_dunning_override(&ax, org, reason, &f) == 0) {
		ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/admin/refunds?org_id=%lld&done=overridden",
		    (long long)org));
		return 0;
	}
	if (f.kind == OB_FAIL_DB)
		return -1;
	return render_admin_refunds(r, org, ob_api_fail_status(f.kind), &f);
}

int
ob_h_api_refunds(struct ob_req *r)
{
	cJSON *list;
	int limit;
	int64_t after;

	if (ob_h_inv_paging(r, &limit, &after) != 0)
		return 0;
	if ((list = ob_refunds_list(&r->w->db, r->who.org_id, after, limit)) == NULL)
		return -1;
	ob_api_json(r, 200, list);
	cJSON_Delete(list);
	return 0;
}

struct refund_arg {
	const cJSON *body;
	int64_t org;
};

static int
refund_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const struct refund_arg *a = arg;
	const cJSON *inv = cJSON_GetObjectItemCaseSensitive(a->body, "invoice_id");
	const cJSON *amt = cJSON_GetObjectItemCaseSensitive(a->body, "amount");
	const char *reason = ob_api_str(a->body, "reason");
	struct ob_actx ax;
	int64_t invoice = 0, amount = 0;

	if (inv == NULL || ob_num_json(inv, 1, INT64_MAX, &invoice) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "invoice_id",
		    "invoice_id is the invoice's id.");
	if (amt != NULL && !cJSON_IsNull(amt) && ob_num_json(amt, 1, 1LL << 50, &amount) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount is a positive integer of minor units (omit it for a full refund).");
	ob_h_inv_staff_actx(r, &ax, reason);
	if ((*out = ob_refunds_create(&ax, ob_worker_stripe(r->w), a->org, invoice, amount, reason,
	    ob_header(r, "HTTP_IDEMPOTENCY_KEY"), f)) == NULL)
		return -1;
	*status = 201;
	return 0;
}

/*
 * A staff mutation on the org named in the path: the org must exist (404
 * otherwise), then op runs in the idempotency envelope with the body.
 */
static int
staff_mutation(struct ob_req *r, ob_api_op_fn op)
{
	struct refund_arg a;
	struct ob_fail f = { 0 };
	cJSON *body;

	a.org = ob_h_inv_staff_org(r, ob_route_param(r, "org_id"));
	if (a.org < 0)
		return -1;
	if (a.org == 0) {
		ob_fail(&f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
		ob_api_fail(r, &f);
		return 0;
	}
	if ((body = ob_api_body(r)) == NULL)
		return 0;
	a.body = body;
	ob_api_idempotent(r, a.org, 0, op, &a);
	return 0;
}

int
ob_h_api_refund(struct ob_req *r)
{
	return staff_mutation(r, refund_op);
}

int
ob_h_api_dunning(struct ob_req *r)
{
	cJSON *d = ob_dunning_view(&r->w->db, r->who.org_id);

	return ob_api_answer(r, d);
}

static int
override_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const struct refund_arg *a = arg;
	const char *reason = ob_api_str(a->body, "reason");
	struct ob_actx ax;

	ob_h_inv_staff_actx(r, &ax, reason);
	if (ob_dunning_override(&ax, a->org, reason, f) != 0)
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
