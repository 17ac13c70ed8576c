/*
 * Invoices: the console's list and invoice pages, the PDF and the CSV
 * export, and the REST API's list and invoice (h_invoices.h).
 */
#include "fcgi/h_invoices.h"
#include "fcgi/h_invoices_int.h"
#include "base/json.h"

#include <string.h>

#include "fcgi/api.h"
#include "fcgi/input.h"
#include "invoices/invoice_pdf.h"
#include "invoices/invoices.h"
#include "base/log.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "fcgi/worker.h"
#include "base/money.h"
#include "base/num.h"

/*
 * The page size and the cursor of an invoice list: starting_after is an
 * invoice's public id (or absent). 0, or -1 with the 400 answered.
 */
static int
inv_paging(struct ob_req *r, int *limit, const char **after)
{
	if (ob_api_paging(r, 20, 100, limit, NULL) != 0)
		return -1;
	*after = ob_query_get(r, "starting_after");
	if (*after != NULL && **after != '\0' && !ob_invoices_public_id_ok(*after)) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_cursor",
		    "starting_after must be an id from a previous page.", "starting_after");
		return -1;
	}
	return 0;
}

/*
 * The invoice filters (docs/openapi.yaml): a status of the list, dates
 * that exist; ob_invoices_filter_check checks them again in core.
 */
static const char *const inv_statuses[] = { "draft", "open", "paid", "uncollectible", "void", NULL };
#define FILTER_ROWS \
	{ .name = "status", .type = OB_FIELD_ENUM, .allowed = inv_statuses, .code = "invalid_status", \
	    .message = "status is one of draft, open, paid, uncollectible, void." }, \
	{ .name = "from", .type = OB_FIELD_DATE, .code = "invalid_date", \
	    .message = "from is a date YYYY-MM-DD that exists." }, \
	{ .name = "to", .type = OB_FIELD_DATE, .code = "invalid_date", \
	    .message = "to is a date YYYY-MM-DD that exists." }

/* The cursor is an invoice's public id (inv_…), not a number. */
static int
cursor_ok(const char *s)
{
	return ob_invoices_public_id_ok(s);
}

/* The console's list also reads its flash messages (not checked: any text). */
static const struct ob_field page_query[] = {
	FILTER_ROWS, OB_FIELD_ROW_LIMIT(100),
	{ .name = "starting_after", .type = OB_FIELD_STRING, .max = 64, .ok = cursor_ok,
	    .code = "invalid_cursor", .message = "starting_after must be an id from a previous page." },
};
const struct ob_fields ob_h_invoices_page_fields = OB_FIELDS_QUERY(page_query, NULL);
static const struct ob_field csv_query[] = { FILTER_ROWS };
const struct ob_fields ob_h_invoices_csv_fields = OB_FIELDS_QUERY(csv_query, NULL);
const struct ob_fields ob_h_api_invoices_fields = OB_FIELDS_QUERY(page_query, NULL);

int
ob_h_invoices_page(struct ob_req *r)
{
	struct ob_invoices_filter flt = { NULL, NULL, NULL };
	struct ob_fail f = { 0 };
	cJSON *d, *list, *data, *pm, *purchases;
	char latest[OB_INVOICE_PUBLIC_ID_LEN + 8];
	const char *after;
	int limit, i;

	if (inv_paging(r, &limit, &after) != 0 || ob_h_inv_filter(r, &flt) != 0)
		return 0;
	if ((list = ob_invoices_list(&r->w->db, r->who.org_id, &flt, after, limit)) == NULL)
		return -1;
	d = ob_page_new(r, "Invoices", "invoices");
	ob_h_inv_done_flash(r, d);
	data = cJSON_GetObjectItem(list, "data");
	for (i = 0; i < cJSON_GetArraySize(data); i++)
		ob_h_inv_decorate(r, cJSON_GetArrayItem(data, i));
	cJSON_AddItemReferenceToObject(d, "invoices", data);
	ob_page_next_cursor(d, list);
	if (flt.status != NULL)
		cJSON_AddStringToObject(d, "filter_status", flt.status);
	if (ob_invoices_latest(&r->w->db, r->who.org_id, latest, sizeof(latest)) == 0)
		cJSON_AddStringToObject(d, "latest_invoice_id", latest);
	pm = ob_invoices_payment_method(&r->w->db, ob_worker_stripe(r->w), r->who.org_id, &f);
	if (pm != NULL) {
		int64_t m, y;

		if (ob_num_json_get(pm, "exp_month", &m) == 0 && ob_num_json_get(pm, "exp_year", &y) == 0)
			cJSON_AddStringToObject(pm, "expiry", ob_arena_printf(r->a, "%02lld/%lld", (long long)m,
			    (long long)y));
		cJSON_AddItemToObject(d, "payment_method", pm);
	} else {
		cJSON_AddStringToObject(d, "payment_method_error", f.message);
	}
	if ((purchases = ob_invoices_purchases(&r->w->db, r->who.org_id, 5)) != NULL)
		ob_h_inv_purchases_view(r, d, purchases);
	{
		cJSON *tmp = cJSON_CreateObject();

		ob_json_add_i64(tmp, "p", ob_invoices_price_per_1000());
		cJSON_AddStringToObject(d, "price_per_1000", ob_h_inv_money(r, tmp, "p", "usd"));
		cJSON_Delete(tmp);
	}
	ob_h_inv_add_dunning(r, d, r->who.org_id);
	ob_page_form_key(d);
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

	if ((inv = ob_invoices_get(&r->w->db, r->who.org_id, ob_route_param(r, "invoice_id"), &f)) == NULL)
		return ob_api_failed(r, &f);
	ob_h_inv_decorate(r, inv);
	d = ob_page_new(r, "Invoice", "invoices");
	cJSON_AddItemToObject(d, "invoice", inv);
	ob_h_inv_add_dunning(r, d, r->who.org_id);
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

	if ((inv = ob_invoices_get(&r->w->db, req_org(r), ob_route_param(r, "invoice_id"), &f)) == NULL)
		return ob_api_failed(r, &f);
	url = ob_json_str(inv, "invoice_pdf");
	/* The console always serves ours; the API sends Stripe's unless ?render=1. */
	if (url != NULL && *url != '\0' && ob_query_get(r, "render") == NULL &&
	    strncmp(r->path, "/billing/", 9) != 0 &&
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
	    ob_json_str(inv, "id")));
	cJSON_Delete(inv);
	return 0;
}

int
ob_h_invoices_csv(struct ob_req *r)
{
	struct ob_invoices_filter flt = { NULL, NULL, NULL };

	if (ob_h_inv_filter(r, &flt) != 0)
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

int
ob_h_api_invoices(struct ob_req *r)
{
	struct ob_invoices_filter flt = { NULL, NULL, NULL };
	const char *after;
	int limit;

	if (inv_paging(r, &limit, &after) != 0 || ob_h_inv_filter(r, &flt) != 0)
		return 0;
	return ob_api_answer(r, ob_invoices_list(&r->w->db, r->who.org_id, &flt, after, limit));
}

int
ob_h_api_invoice(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	cJSON *inv = ob_invoices_get(&r->w->db, r->who.org_id, ob_route_param(r, "invoice_id"), &f);

	return inv != NULL ? ob_api_answer(r, inv) : ob_api_failed(r, &f);
}
