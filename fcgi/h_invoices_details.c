/*
 * Billing details and the payment method: the console's form and the
 * billing-portal redirect, and the REST API's details, payment method and
 * portal session (h_invoices.h).
 */
#include "fcgi/h_invoices.h"
#include "fcgi/h_invoices_int.h"

#include <string.h>

#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/fields.h"
#include "fcgi/form_errors.h"
#include "fcgi/handoff.h"
#include "fcgi/input.h"
#include "invoices/invoices.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"

/* The details form's controls, and its failures in plain words. */
static const struct ob_form_field details_controls[] = {
	{ "email", "bd-email", NULL },
	{ "line1", "bd-line1", "address[line1]" },
	{ "line2", "bd-line2", "address[line2]" },
	{ "city", "bd-city", "address[city]" },
	{ "state", "bd-state", "address[state]" },
	{ "postal_code", "bd-pc", "address[postal_code]" },
	{ "country", "bd-country", "address[country]" },
	{ "tax_id", "bd-tax", NULL },
	{ "po_number", "bd-po", NULL },
	{ "invoice_notes", "bd-notes", NULL },
};
static const struct ob_form_msg details_msgs[] = {
	{ "invalid_email", NULL, "Enter an e-mail address like name@example.com." },
	{ "invalid_country", NULL, "Enter the two-letter country code, like DE or US." },
	{ "parameter_too_long", "email", "Shorten the e-mail address to 320 characters or fewer." },
	{ "parameter_too_long", "address[line1]", "Shorten the address line to 200 characters or fewer." },
	{ "parameter_too_long", "address[line2]", "Shorten the address line to 200 characters or fewer." },
	{ "parameter_too_long", "address[city]", "Shorten the city to 100 characters or fewer." },
	{ "parameter_too_long", "address[state]", "Shorten the state or region to 100 characters or fewer." },
	{ "parameter_too_long", "address[postal_code]", "Shorten the postal code to 20 characters or fewer." },
	{ "parameter_too_long", "address[country]", "Enter the two-letter country code, like DE or US." },
	{ "parameter_too_long", "tax_id", "Shorten the tax id to 30 characters or fewer." },
	{ "parameter_too_long", "po_number", "Shorten the PO number to 30 characters or fewer." },
	{ "parameter_too_long", "invoice_notes", "Shorten the notes to 500 characters or fewer." },
	{ "parameter_invalid", NULL, "Remove the tab or other control character: plain text only." },
};
static const struct ob_form details_form = OB_FORM(details_controls, details_msgs);

static int
render_details(struct ob_req *r, int status, const struct ob_fail *f, const cJSON *posted)
{
	cJSON *d, *det;

	if ((det = ob_invoices_details_get(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	d = ob_page_new(r, "Billing details", "invoices");
	ob_h_inv_done_flash(r, d);
	if (f != NULL && posted != NULL) {
		/* Every field's problem next to it, at once. */
		(void)ob_form_error_each(d, &details_form, posted, ob_invoices_details_check);
		ob_form_error_fail(d, &details_form, f);
		(void)ob_form_error_done(d, &details_form);
	} else if (f != NULL) {
		ob_page_flash(d, "error", f->message);
	}
	if (posted != NULL) {
		cJSON_Delete(det);
		det = cJSON_Duplicate(posted, 1);
	}
	cJSON_AddItemToObject(d, "details", det);
	cJSON_AddBoolToObject(d, "can_manage", ob_authz_can(r, OB_ACT_BILLING_MANAGE));
	ob_h_inv_add_dunning(r, d, r->who.org_id);
	ob_page_render(r, status, "pages/billing_details", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_billing_details_page(struct ob_req *r)
{
	return render_details(r, 200, NULL, NULL);
}

/*
 * After the details are saved and committed: push them to Stripe, no
 * transaction open. A failure leaves them saved and pending (the jobs
 * retry). 0 when Stripe has them, -1 when they stay pending.
 */
static int
push_details(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_stripe *st = ob_worker_stripe(r->w);

	if (st == NULL)
		return 0;	/* no Stripe configured: stored only */
	return ob_invoices_details_push(&r->w->db, st, r->who.org_id, &f);
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
	res = ob_invoices_details_set(&ax, r->who.org_id, body, &f);
	if (res != NULL) {
		cJSON_Delete(res);
		cJSON_Delete(body);
		ob_resp_redirect(r, 303, push_details(r) == 0 ? "/billing/details?done=details_saved" :
		    "/billing/details?done=details_saved_pending");
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

/*
 * A billing-portal session that returns to the invoices, answered as the
 * route wants it: the console gets the hand-off page to it, the API its url.
 */
static int
portal(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	char url[1024];
	const char *ret = ob_arena_printf(r->a, "%s/billing/invoices", r->w->cfg->public_url);

	if (ob_invoices_portal(&r->w->db, ob_worker_stripe(r->w), r->who.org_id, ret, url,
	    sizeof(url), &f) != 0)
		return ob_api_failed(r, &f);
	if (ob_req_is_api(r))
		ob_api_url(r, "billing_portal_session", url);
	else
		ob_handoff_page(r, url, "the billing portal", "/billing/invoices", "invoices");
	return 0;
}

int
ob_h_payment_method_form(struct ob_req *r)
{
	return portal(r);
}

int
ob_h_api_billing_details(struct ob_req *r)
{
	cJSON *d = ob_invoices_details_get(&r->w->db, r->who.org_id);

	return ob_api_answer(r, d);
}

/*
 * The details' fields are strings (null clears one) and the address an
 * object; core bounds each one and checks the address's members.
 */
#define TEXT_ROW(n) { .name = n, .type = OB_FIELD_STRING, .message = n " must be a string." }
static const struct ob_field details_rows[] = {
	TEXT_ROW("email"),
	TEXT_ROW("tax_id"),
	TEXT_ROW("po_number"),
	TEXT_ROW("invoice_notes"),
	{ .name = "address", .type = OB_FIELD_OBJECT, .message = "address is an object." },
};
const struct ob_fields ob_h_api_billing_details_set_fields =
    OB_FIELDS_TABLE(OB_BODY_JSON, details_rows, NULL);

/* Inside the idempotency envelope's transaction: store only (no Stripe call). */
static int
details_op(struct ob_req *r, void *arg, int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_actx ax;

	ob_api_actx(r, &ax);
	if ((*out = ob_invoices_details_set(&ax, r->who.org_id, arg, f)) == NULL)
		return -1;
	*status = 200;
	return 0;
}

/*
 * The body is checked first (bad input changes nothing), then the org's
 * Stripe customer is made (no transaction open; once per org), the
 * details saved in the envelope, and pushed after it commits: the answer is the saved details ("stripe_sync" pending at that moment);
 * a push that fails leaves them saved and pending for the jobs' retry.
 */
int
ob_h_api_billing_details_set(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	struct ob_stripe *st = ob_worker_stripe(r->w);
	char cus[128];

	if (ob_invoices_details_check(r->json, &f) != 0)
		return ob_api_failed(r, &f);
	if (st != NULL &&
	    ob_invoices_customer(&r->w->db, st, r->who.org_id, 1, cus, sizeof(cus), &f) < 0)
		memset(&f, 0, sizeof(f));	/* made by the push's retry instead */
	ob_api_idempotent_json(r, 0, details_op);
	if (r->status == 200)
		(void)push_details(r);
	return 0;
}

int
ob_h_api_payment_method(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *pm = ob_invoices_payment_method(&r->w->db, ob_worker_stripe(r->w), r->who.org_id, &f);

	return pm != NULL ? ob_api_answer(r, pm) : ob_api_failed(r, &f);
}

int
ob_h_api_portal(struct ob_req *r)
{
	return portal(r);
}
