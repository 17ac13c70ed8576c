/*
 * Invoices, billing details, payment actions, refunds and dunning: the
 * console pages and forms, and the REST API (h_invoices.h).
 */
#include "fcgi/h_invoices.h"
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "stripe/client.h"
#include "credits/credits.h"
#include "invoices/dunning.h"
#include "fcgi/input.h"
#include "invoices/invoice_pdf.h"
#include "invoices/invoices.h"
#include "base/log.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "invoices/refunds.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"

/* One Stripe client per worker process, made on first use. */
static struct ob_stripe *
stripe_client(struct ob_req *r)
{
	static struct ob_stripe *s;

	if (s == NULL && r->w->cfg->stripe_secret_key != NULL && r->w->cfg->stripe_secret_key[0] != '\0')
		s = ob_stripe_new(r->w->cfg->stripe_api_base, r->w->cfg->stripe_secret_key, 5000, 20000, 3);
	return s;
}

/* Messages for ?done= after a form (fixed codes: never free text). */
static void
done_flash(struct ob_req *r, cJSON *d)
{
	static const struct {
		const char *code, *kind, *message;
	} msgs[] = {
		{ "details_saved", "success", "Billing details saved; they print on your next invoice." },
		{ "credits_bought", "success", "Credits ordered: they are added as soon as the payment succeeds." },
		{ "credits_declined", "error", "The card was declined. The invoice stays open: update your payment method and pay it to receive the credits." },
		{ "refunded", "success", "Refund issued." },
		{ "overridden", "success", "Dunning lifted." },
	};
	const char *code = ob_query_get(r, "done");
	size_t i;

	for (i = 0; code != NULL && i < sizeof(msgs) / sizeof(msgs[0]); i++)
		if (strcmp(code, msgs[i].code) == 0)
			ob_page_flash(d, msgs[i].kind, msgs[i].message);
}

/* limit (1–100, default 20) and starting_after (an id) from the query; -1 after answering 400. */
static int
paging(struct ob_req *r, int *limit, int64_t *after)
{
	const char *l = ob_query_get(r, "limit"), *s = ob_query_get(r, "starting_after");
	char *end;
	long v;

	*limit = 20;
	*after = 0;
	if (l != NULL) {
		v = strtol(l, &end, 10);
		if (*l == '\0' || *end != '\0' || v < 1 || v > 100) {
			ob_worker_error(r, 400, "invalid_request_error", "invalid_limit",
			    "limit must be an integer from 1 to 100.", "limit");
			return -1;
		}
		*limit = (int)v;
	}
	if (s != NULL && *s != '\0' && (*after = ob_parse_id(s)) == 0) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_cursor",
		    "starting_after must be an id from a previous page.", "starting_after");
		return -1;
	}
	return 0;
}

static int
filter(struct ob_req *r, struct ob_invoices_filter *flt)
{
	struct ob_fail f = { 0 };

	flt->status = ob_query_get(r, "status");
	flt->from = ob_query_get(r, "from");
	flt->to = ob_query_get(r, "to");
	if (ob_invoices_filter_check(flt, &f) != 0) {
		ob_api_fail(r, &f);
		return -1;
	}
	return 0;
}

/* "12.34 USD" for an integer member of o, as an arena string. */
static const char *
money(struct ob_req *r, const cJSON *o, const char *name, const char *currency)
{
	struct ob_buf b = OB_BUF_INIT;
	int64_t v = 0;
	const char *s;
	char cur[4] = "";
	size_t i;

	(void)ob_invoices_jint(o, name, &v);
	ob_invoices_money(&b, v);
	for (i = 0; currency != NULL && i < 3 && currency[i] != '\0'; i++)
		cur[i] = (char)(currency[i] >= 'a' && currency[i] <= 'z' ? currency[i] - 32 : currency[i]);
	cur[i] = '\0';
	s = ob_arena_printf(r->a, "%s %s", b.data, cur);
	ob_buf_free(&b);
	return s;
}

/* Display fields for the console: money as text, dates, a status flag. */
static void
decorate_invoice(struct ob_req *r, cJSON *inv)
{
	const char *cur = ob_invoices_jstr(inv, "currency");
	const char *created = ob_invoices_jstr(inv, "created"), *st = ob_invoices_jstr(inv, "status");
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(inv, "lines");
	cJSON *l;
	int64_t v;

	cJSON_AddStringToObject(inv, "total_display", money(r, inv, "total", cur));
	cJSON_AddStringToObject(inv, "subtotal_display", money(r, inv, "subtotal", cur));
	cJSON_AddStringToObject(inv, "tax_display", money(r, inv, "tax", cur));
	cJSON_AddStringToObject(inv, "paid_display", money(r, inv, "amount_paid", cur));
	cJSON_AddStringToObject(inv, "due_display", money(r, inv, "amount_due", cur));
	cJSON_AddStringToObject(inv, "refunded_display", money(r, inv, "amount_refunded", cur));
	cJSON_AddBoolToObject(inv, "has_refunds", ob_invoices_jint(inv, "amount_refunded", &v) == 0 && v > 0);
	cJSON_AddStringToObject(inv, "created_date", created != NULL ? ob_arena_printf(r->a, "%.10s", created) : "");
	if (ob_invoices_jstr(inv, "period_start") != NULL)
		cJSON_AddStringToObject(inv, "period_display", ob_arena_printf(r->a, "%.10s – %.10s",
		    ob_invoices_jstr(inv, "period_start"),
		    ob_invoices_jstr(inv, "period_end") ? ob_invoices_jstr(inv, "period_end") : ""));
	cJSON_AddBoolToObject(inv, "is_paid", st != NULL && strcmp(st, "paid") == 0);
	cJSON_AddBoolToObject(inv, "is_open", st != NULL && strcmp(st, "open") == 0);
	cJSON_ArrayForEach(l, lines) {
		cJSON_AddStringToObject(l, "amount_display", money(r, l, "amount", cur));
		if (ob_invoices_jint(l, "unit_amount", &v) == 0)
			cJSON_AddStringToObject(l, "unit_display", money(r, l, "unit_amount", cur));
	}
}

/* The dunning banner and state for a page. */
static void
add_dunning(struct ob_req *r, cJSON *d, int64_t org_id)
{
	cJSON *dun = ob_dunning_view(&r->w->db, org_id);
	const char *st;

	if (dun == NULL)
		return;
	st = ob_invoices_jstr(dun, "state");
	cJSON_AddBoolToObject(d, "billing_past_due", st != NULL && strcmp(st, "past_due") == 0);
	cJSON_AddBoolToObject(d, "billing_restricted", st != NULL && strcmp(st, "restricted") == 0);
	cJSON_AddBoolToObject(d, "billing_suspended", st != NULL && strcmp(st, "suspended") == 0);
	cJSON_AddItemToObject(d, "dunning", dun);
}

int
ob_h_invoices_page(struct ob_req *r)
{
	struct ob_invoices_filter flt = { NULL, NULL, NULL };
	struct ob_fail f = { 0 };
	cJSON *d, *list, *data, *pm, *last, *purchases;
	char latest[24];
	int limit, i;
	int64_t after;

	if (paging(r, &limit, &after) != 0 || filter(r, &flt) != 0)
		return 0;
	if ((list = ob_invoices_list(&r->w->db, r->who.org_id, &flt, after, limit)) == NULL)
		return -1;
	d = ob_page_new(r, "Invoices", "invoices");
	done_flash(r, d);
	data = cJSON_GetObjectItem(list, "data");
	for (i = 0; i < cJSON_GetArraySize(data); i++)
		decorate_invoice(r, cJSON_GetArrayItem(data, i));
	cJSON_AddItemReferenceToObject(d, "invoices", data);
	if (cJSON_IsTrue(cJSON_GetObjectItem(list, "has_more")) &&
	    (last = cJSON_GetArrayItem(data, cJSON_GetArraySize(data) - 1)) != NULL)
		cJSON_AddStringToObject(d, "next_cursor", ob_invoices_jstr(last, "id"));
	if (flt.status != NULL)
		cJSON_AddStringToObject(d, "filter_status", flt.status);
	if (ob_invoices_latest(&r->w->db, r->who.org_id, latest, sizeof(latest)) == 0)
		cJSON_AddStringToObject(d, "latest_invoice_id", latest);
	pm = ob_invoices_payment_method(&r->w->db, stripe_client(r), r->who.org_id, &f);
	if (pm != NULL) {
		int64_t m, y;

		if (ob_invoices_jint(pm, "exp_month", &m) == 0 && ob_invoices_jint(pm, "exp_year", &y) == 0)
			cJSON_AddStringToObject(pm, "expiry", ob_arena_printf(r->a, "%02lld/%lld", (long long)m,
			    (long long)y));
		cJSON_AddItemToObject(d, "payment_method", pm);
	} else {
		cJSON_AddStringToObject(d, "payment_method_error", f.message);
	}
	if ((purchases = ob_invoices_purchases(&r->w->db, r->who.org_id, 5)) != NULL)
		cJSON_AddItemToObject(d, "purchases", purchases);
	{
		cJSON *tmp = cJSON_CreateObject();

		ob_json_add_i64(tmp, "p", ob_invoices_price_per_1000());
		cJSON_AddStringToObject(d, "price_per_1000", money(r, tmp, "p", "usd"));
		cJSON_Delete(tmp);
	}
	add_dunning(r, d, r->who.org_id);
	ob_page_render(r, 200, "pages/invoices", d);
	cJSON_Delete(d);
	cJSON_Delete(list);
	return 0;
}

int
ob_h_invoice_page(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *d, *inv;

	if ((inv = ob_invoices_get(&r->w->db, r->who.org_id, ob_route_param(r, "invoice_id"), &f)) == NULL) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	decorate_invoice(r, inv);
	d = ob_page_new(r, "Invoice", "invoices");
	cJSON_AddItemToObject(d, "invoice", inv);
	add_dunning(r, d, r->who.org_id);
	ob_page_render(r, 200, "pages/invoice_detail", d);
	cJSON_Delete(d);
	return 0;
}

/* The org an API or console request is about. */
static int64_t
req_org(struct ob_req *r)
{
	return r->who.org_id;
}

int
ob_h_invoice_pdf(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *inv, *details;
	const char *url;
	char err[160];
	int rc;

	if ((inv = ob_invoices_get(&r->w->db, req_org(r), ob_route_param(r, "invoice_id"), &f)) == NULL) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	url = ob_invoices_jstr(inv, "invoice_pdf");
	if (url != NULL && *url != '\0' && ob_query_get(r, "render") == NULL &&
	    (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0)) {
		ob_resp_redirect(r, 302, ob_arena_printf(r->a, "%s", url));
		cJSON_Delete(inv);
		return 0;
	}
	details = ob_invoices_details_get(&r->w->db, req_org(r));
	ob_buf_reset(&r->resp_body);
	rc = ob_invoice_pdf_render(inv, details, &r->resp_body, err, sizeof(err));
	cJSON_Delete(details);
	if (rc != 0) {
		ob_log(OB_LOG_ERROR, "invoice_pdf", "%s", rc > 0 ? "libharu not linked" : err);
		ob_worker_error(r, 503, "api_error", "pdf_unavailable",
		    "The PDF cannot be rendered right now.", NULL);
		cJSON_Delete(inv);
		return 0;
	}
	r->status = 200;
	r->resp_type = "application/pdf";
	ob_resp_header(r, "Content-Disposition", ob_arena_printf(r->a, "inline; filename=\"invoice-%s.pdf\"",
	    ob_invoices_jstr(inv, "id")));
	cJSON_Delete(inv);
	return 0;
}

int
ob_h_invoices_csv(struct ob_req *r)
{
	struct ob_invoices_filter flt = { NULL, NULL, NULL };

	if (filter(r, &flt) != 0)
		return 0;
	ob_buf_reset(&r->resp_body);
	if (ob_invoices_csv(&r->w->db, req_org(r), &flt, &r->resp_body) != 0)
		return -1;
	r->status = 200;
	r->resp_type = "text/csv; charset=utf-8";
	ob_resp_header(r, "Content-Disposition", ob_arena_printf(r->a,
	    "attachment; filename=\"invoices-%lld.csv\"", (long long)req_org(r)));
	return 0;
}

static int
render_details(struct ob_req *r, int status, const struct ob_fail *f, const cJSON *posted)
{
	cJSON *d, *det;

	if ((det = ob_invoices_details_get(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	d = ob_page_new(r, "Billing details", "invoices");
	done_flash(r, d);
	if (f != NULL)
		ob_page_flash(d, "error", f->message);
	if (posted != NULL) {
		cJSON_Delete(det);
		det = cJSON_Duplicate(posted, 1);
	}
	cJSON_AddItemToObject(d, "details", det);
	cJSON_AddBoolToObject(d, "can_manage", r->who.role == OB_ROLE_OWNER || r->who.role == OB_ROLE_ADMIN ||
	    r->who.role == OB_ROLE_BILLING);
	add_dunning(r, d, r->who.org_id);
	ob_page_render(r, status, "pages/billing_details", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_billing_details_page(struct ob_req *r)
{
	return render_details(r, 200, NULL, NULL);
}

int
ob_h_billing_details_form(struct ob_req *r)
{
	static const char *const top[] = { "email", "tax_id", "po_number", "invoice_notes" };
	static const char *const addr[] = { "line1", "line2", "city", "state", "postal_code", "country" };
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	cJSON *body = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(body, "address"), *res;
	const char *v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if ((v = ob_form_get(r, top[i])) != NULL)
			cJSON_AddStringToObject(body, top[i], v);
	for (i = 0; i < sizeof(addr) / sizeof(addr[0]); i++)
		if ((v = ob_form_get(r, addr[i])) != NULL)
			cJSON_AddStringToObject(a, addr[i], v);
	ob_api_actx(r, &ax);
	res = ob_invoices_details_set(&ax, stripe_client(r), r->who.org_id, body, &f);
	if (res != NULL) {
		cJSON_Delete(res);
		cJSON_Delete(body);
		ob_resp_redirect(r, 303, "/billing/details?done=details_saved");
		return 0;
	}
	if (f.kind == OB_FAIL_DB) {
		cJSON_Delete(body);
		return -1;
	}
	rc = render_details(r, ob_api_fail_status(f.kind), &f, body);
	cJSON_Delete(body);
	return rc;
}

int
ob_h_payment_method_form(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	char url[1024];
	const char *ret = ob_arena_printf(r->a, "%s/billing/invoices", r->w->cfg->public_url);

	if (ob_invoices_portal(&r->w->db, stripe_client(r), r->who.org_id, ret, url, sizeof(url), &f) != 0) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "%s", url));
	return 0;
}

/* credits from a form or JSON value: 1..OB_INVOICES_CREDITS_MAX. */
static int
parse_credits(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || strlen(s) > 12 || strspn(s, "0123456789") != strlen(s))
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 1 || v > OB_INVOICES_CREDITS_MAX)
		return -1;
	*out = v;
	return 0;
}

int
ob_h_credit_purchase_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int64_t credits;
	int declined = 0;
	cJSON *out;

	if (parse_credits(ob_form_get(r, "credits"), &credits) != 0) {
		ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid", "credits",
		    "Enter a number of credits from 1 to %lld.", (long long)OB_INVOICES_CREDITS_MAX);
		ob_api_fail(r, &f);
		return 0;
	}
	ob_api_actx(r, &ax);
	out = ob_invoices_buy_credits(&ax, stripe_client(r), r->who.org_id, credits, &declined, &f);
	if (out == NULL) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	cJSON_Delete(out);
	ob_resp_redirect(r, 303, declined ? "/billing/invoices?done=credits_declined" :
	    "/billing/invoices?done=credits_bought");
	return 0;
}

/* The mutation context of a staff action: audited as staff, with its reason. */
static void
staff_actx(struct ob_req *r, struct ob_actx *ax, const char *reason)
{
	ob_api_actx(r, ax);
	ax->as_staff = 1;
	ax->reason = reason;
}

/* The org named by the path or form for staff routes (0 if none or unknown). */
static int64_t
staff_org(struct ob_req *r, const char *value)
{
	int64_t id = ob_parse_id(value);
	int rc;

	if (id == 0)
		return 0;
	if ((rc = ob_invoices_org_exists(&r->w->db, id)) < 0)
		return -1;
	return rc == 1 ? id : 0;
}

static int
render_admin_refunds(struct ob_req *r, int64_t org_id, int status, const struct ob_fail *f)
{
	struct ob_invoices_filter flt = { "paid", NULL, NULL };
	cJSON *d, *inv, *refunds, *dun, *data;
	int i;

	d = ob_page_new(r, "Refunds", "admin");
	done_flash(r, d);
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
			decorate_invoice(r, cJSON_GetArrayItem(data, i));
		cJSON_AddItemToObject(d, "invoices", cJSON_Duplicate(data, 1));
		cJSON_Delete(inv);
		data = cJSON_GetObjectItem(refunds, "data");
		for (i = 0; i < cJSON_GetArraySize(data); i++) {
			cJSON *x = cJSON_GetArrayItem(data, i);

			cJSON_AddStringToObject(x, "amount_display", money(r, x, "amount",
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
	int64_t org = staff_org(r, ob_query_get(r, "org_id"));

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
	int64_t org = staff_org(r, ob_form_get(r, "org_id")), inv, amount;
	cJSON *out;

	if (org < 0)
		return -1;
	staff_actx(r, &ax, reason);
	inv = ob_parse_id(ob_form_get(r, "invoice_id"));
	if (org == 0)
		ob_fail(&f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
	else if (inv == 0)
		ob_fail(&f, OB_FAIL_INVALID, "parameter_missing", "invoice_id", "Choose an invoice.");
	else if (parse_amount(ob_form_get(r, "amount"), &amount) != 0)
		ob_fail(&f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount is a whole number of cents (empty: everything left).");
	else if ((out = ob_refunds_create(&ax, stripe_client(r), org, inv, amount, reason, NULL, &f)) != NULL) {
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
	int64_t org = staff_org(r, ob_route_param(r, "org_id"));

	if (org < 0)
		return -1;
	staff_actx(r, &ax, reason);
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
ob_h_api_invoices(struct ob_req *r)
{
	struct ob_invoices_filter flt = { NULL, NULL, NULL };
	cJSON *list;
	int limit;
	int64_t after;

	if (paging(r, &limit, &after) != 0 || filter(r, &flt) != 0)
		return 0;
	if ((list = ob_invoices_list(&r->w->db, r->who.org_id, &flt, after, limit)) == NULL)
		return -1;
	ob_api_json(r, 200, list);
	cJSON_Delete(list);
	return 0;
}

int
ob_h_api_invoice(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *inv = ob_invoices_get(&r->w->db, r->who.org_id, ob_route_param(r, "invoice_id"), &f);

	if (inv == NULL) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	ob_api_json(r, 200, inv);
	cJSON_Delete(inv);
	return 0;
}

int
ob_h_api_billing_details(struct ob_req *r)
{
	cJSON *d = ob_invoices_details_get(&r->w->db, r->who.org_id);

	return ob_api_answer(r, d);
}

static int
details_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;

	ob_api_actx(r, &ax);
	if ((*out = ob_invoices_details_set(&ax, stripe_client(r), r->who.org_id, arg, f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

int
ob_h_api_billing_details_set(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, details_op);
	return 0;
}

int
ob_h_api_payment_method(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *pm = ob_invoices_payment_method(&r->w->db, stripe_client(r), r->who.org_id, &f);

	if (pm == NULL) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	ob_api_json(r, 200, pm);
	cJSON_Delete(pm);
	return 0;
}

int
ob_h_api_portal(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	char url[1024];
	const char *ret = ob_arena_printf(r->a, "%s/billing/invoices", r->w->cfg->public_url);
	cJSON *o;

	if (ob_invoices_portal(&r->w->db, stripe_client(r), r->who.org_id, ret, url, sizeof(url), &f) != 0) {
		if (f.kind == OB_FAIL_DB)
			return -1;
		ob_api_fail(r, &f);
		return 0;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "billing_portal_session");
	cJSON_AddStringToObject(o, "url", url);
	ob_api_json(r, 200, o);
	cJSON_Delete(o);
	return 0;
}

int
ob_h_api_purchases(struct ob_req *r)
{
	cJSON *list = ob_invoices_purchases(&r->w->db, r->who.org_id, 100);

	return ob_api_answer(r, list);
}

static int
purchase_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(arg, "credits");
	struct ob_actx ax;
	int64_t credits = 0;
	int declined = 0;
	cJSON *o;

	if (c == NULL || ob_credits_json_int(c, 1, OB_INVOICES_CREDITS_MAX, &credits) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "credits",
		    "credits is an integer from 1 to %lld.", (long long)OB_INVOICES_CREDITS_MAX);
	ob_api_actx(r, &ax);
	if ((o = ob_invoices_buy_credits(&ax, stripe_client(r), r->who.org_id, credits, &declined, f)) == NULL)
		return -1;
	if (declined) {
		/* Kept (the purchase and its open invoice exist): a 402 with the purchase. */
		cJSON *err = cJSON_AddObjectToObject(o, "error");

		cJSON_AddStringToObject(err, "type", "invalid_request_error");
		cJSON_AddStringToObject(err, "code", "card_declined");
		cJSON_AddStringToObject(err, "message", f->message);
		cJSON_AddNullToObject(err, "param");
		*status = 402;
	} else {
		*status = 201;
	}
	*out = o;
	return 0;
}

int
ob_h_api_purchase(struct ob_req *r)
{
	ob_api_idempotent_json(r, 0, purchase_op);
	return 0;
}

int
ob_h_api_refunds(struct ob_req *r)
{
	cJSON *list;
	int limit;
	int64_t after;

	if (paging(r, &limit, &after) != 0)
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

	if (inv == NULL || ob_credits_json_id(inv, &invoice) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "invoice_id",
		    "invoice_id is the invoice's id.");
	if (amt != NULL && !cJSON_IsNull(amt) && ob_credits_json_int(amt, 1, 1LL << 50, &amount) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount is a positive integer of minor units (omit it for a full refund).");
	staff_actx(r, &ax, reason);
	if ((*out = ob_refunds_create(&ax, stripe_client(r), a->org, invoice, amount, reason,
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

	a.org = staff_org(r, ob_route_param(r, "org_id"));
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
	cJSON_Delete(body);
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

	staff_actx(r, &ax, reason);
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
