/*
 * The staff customers table (docs/ADMIN.md, "Customers"): the page
 * /admin/customers, its JSON twin /admin/api/customers with the same view
 * model, and the CSV export /admin/customers.csv — summary cards, search,
 * filters, sort, cursor pages.
 */
#include "fcgi/h_admin.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/money.h"
#include "base/num.h"
#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "invoices/staff.h"

static const char *const statuses[] = { "active", "suspended", NULL };
static const char *const dunnings[] = { "active", "past_due", "restricted", "suspended", NULL };
static const char *const sorts[] = { "name", "created", "mrr", "seats", "activity", NULL };
static const char *const dirs[] = { "asc", "desc", NULL };

static const struct ob_field customers_query[] = {
	{ .name = "q", .type = OB_FIELD_STRING, .max = 200, .chars = OB_CHARS_TEXT,
	    .message = "q is a search text of at most {max} characters." },
	{ .name = "plan", .type = OB_FIELD_STRING, .min = 2, .max = 32, .chars = OB_CHARS_SET,
	    .set = "abcdefghijklmnopqrstuvwxyz0123456789_",
	    .message = "plan is a plan code, or none." },
	{ .name = "status", .type = OB_FIELD_ENUM, .allowed = statuses,
	    .message = "status is active or suspended." },
	{ .name = "dunning", .type = OB_FIELD_ENUM, .allowed = dunnings,
	    .message = "dunning is active, past_due, restricted or suspended." },
	{ .name = "sort", .type = OB_FIELD_ENUM, .allowed = sorts,
	    .message = "sort is name, created, mrr, seats or activity." },
	{ .name = "dir", .type = OB_FIELD_ENUM, .allowed = dirs, .message = "dir is asc or desc." },
	{ .name = "cursor", .type = OB_FIELD_STRING, .min = 2, .max = OB_STAFF_CURSOR_MAX,
	    .chars = OB_CHARS_SET, .set = "0123456789abcdef", .code = "invalid_cursor",
	    .message = "cursor is the next_cursor of a previous page." },
	OB_FIELD_ROW_LIMIT(OB_STAFF_LIMIT_MAX),
};
const struct ob_fields ob_h_admin_customers_fields = OB_FIELDS_QUERY(customers_query, NULL);

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* The question the request asks (fields already checked). */
static void
customers_q(struct ob_req *r, struct ob_staff_customers_q *q)
{
	memset(q, 0, sizeof(*q));
	q->q = or_empty(ob_field_str(r, "q"));
	q->plan = or_empty(ob_field_str(r, "plan"));
	q->status = or_empty(ob_field_str(r, "status"));
	q->dunning = or_empty(ob_field_str(r, "dunning"));
	q->sort = ob_field_str(r, "sort") ? ob_field_str(r, "sort") : "name";
	q->dir = ob_field_str(r, "dir") ? ob_field_str(r, "dir") : "asc";
	q->cursor = or_empty(ob_field_str(r, "cursor"));
	q->limit = (int)ob_field_i64(r, "limit", OB_STAFF_LIMIT_DEFAULT);
}

/* Money texts beside the amounts (display only; amounts stay minor units). */
static void
add_texts(cJSON *m)
{
	cJSON *row, *item;

	cJSON_ArrayForEach(item, cJSON_GetObjectItem(cJSON_GetObjectItem(m, "summary"), "mrr"))
		ob_money_json_member(item, "amount", "amount_text",
		    cJSON_GetStringValue(cJSON_GetObjectItem(item, "currency")), OB_MONEY_SYMBOL);
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(m, "data"))
		ob_money_json_member(row, "mrr", "mrr_text",
		    cJSON_GetStringValue(cJSON_GetObjectItem(row, "currency")), OB_MONEY_SYMBOL);
}

/*
 * The view model into *out: {"object":"staff_customers","summary":{…},
 * "data":[…],"has_more","next_cursor","filters":{…}}. 1 with *out; else
 * what the handler returns (0 after answering a refusal, -1 for the 503).
 */
static int
customers_model(struct ob_req *r, const struct ob_staff_customers_q *q, cJSON **out)
{
	struct ob_fail f = { 0 };
	cJSON *m, *summary, *filters;

	if (ob_staff_customers_page(&r->w->db, q, &m, &f) != 0)
		return ob_api_failed(r, &f);
	if ((summary = ob_staff_customers_summary(&r->w->db)) == NULL) {
		cJSON_Delete(m);
		return -1;
	}
	cJSON_ReplaceItemInObject(m, "object", cJSON_CreateString("staff_customers"));
	cJSON_AddItemToObject(m, "summary", summary);
	filters = cJSON_AddObjectToObject(m, "filters");
	cJSON_AddStringToObject(filters, "q", q->q);
	cJSON_AddStringToObject(filters, "plan", q->plan);
	cJSON_AddStringToObject(filters, "status", q->status);
	cJSON_AddStringToObject(filters, "dunning", q->dunning);
	cJSON_AddStringToObject(filters, "sort", q->sort);
	cJSON_AddStringToObject(filters, "dir", q->dir);
	cJSON_AddNumberToObject(filters, "limit", q->limit);
	add_texts(m);
	*out = m;
	return 1;
}

int
ob_h_admin_api_customers(struct ob_req *r)
{
	struct ob_staff_customers_q q;
	cJSON *m;
	int rc;

	customers_q(r, &q);
	if ((rc = customers_model(r, &q, &m)) != 1)
		return rc;
	ob_api_json(r, 200, m);
	cJSON_Delete(m);
	return 0;
}

/* s percent-encoded for a query string into b (unreserved bytes kept). */
static void
query_put(struct ob_buf *b, const char *name, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	ob_buf_puts(b, b->len ? "&" : "");
	ob_buf_puts(b, name);
	ob_buf_putc(b, '=');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			ob_buf_putc(b, (char)*p);
		} else {
			ob_buf_putc(b, '%');
			ob_buf_putc(b, hex[*p >> 4]);
			ob_buf_putc(b, hex[*p & 15]);
		}
	}
}

/* "query": the filters and order as a query string, for the export and next-page links. */
static void
add_query(cJSON *d, const struct ob_staff_customers_q *q)
{
	struct ob_buf b = OB_BUF_INIT;

	query_put(&b, "q", q->q);
	query_put(&b, "plan", q->plan);
	query_put(&b, "status", q->status);
	query_put(&b, "dunning", q->dunning);
	query_put(&b, "sort", q->sort);
	query_put(&b, "dir", q->dir);
	cJSON_AddStringToObject(d, "query", b.data ? b.data : "");
	ob_buf_free(&b);
}

/* Options of a filter's select: {value, label, selected}. */
static void
add_options(cJSON *d, const char *name, const char *const *values, const char *cur, const char *any)
{
	cJSON *arr = cJSON_AddArrayToObject(d, name), *o;
	size_t i;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "value", "");
	cJSON_AddStringToObject(o, "label", any);
	cJSON_AddBoolToObject(o, "selected", cur[0] == '\0');
	cJSON_AddItemToArray(arr, o);
	for (i = 0; values[i] != NULL; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "value", values[i]);
		cJSON_AddStringToObject(o, "label", values[i]);
		cJSON_AddBoolToObject(o, "selected", strcmp(cur, values[i]) == 0);
		cJSON_AddItemToArray(arr, o);
	}
}

int
ob_h_admin_customers(struct ob_req *r)
{
	static const char *const plans[] = { "none", "free", "pro", "business", "enterprise", NULL };
	struct ob_staff_customers_q q;
	cJSON *m, *d, *item;
	int rc;

	customers_q(r, &q);
	if ((rc = customers_model(r, &q, &m)) != 1)
		return rc;
	d = ob_page_new(r, "Customers", "admin");
	/* The same view model, under the page's own fields. */
	while ((item = m->child) != NULL)
		cJSON_AddItemToObject(d, item->string, cJSON_DetachItemViaPointer(m, item));
	cJSON_Delete(m);
	add_options(d, "plan_options", plans, q.plan, "any plan");
	add_options(d, "status_options", statuses, q.status, "any status");
	add_options(d, "dunning_options", dunnings, q.dunning, "any dunning");
	add_options(d, "sort_options", sorts, q.sort, "name");
	add_options(d, "dir_options", dirs, q.dir, "asc");
	add_query(d, &q);
	ob_page_render(r, 200, "pages/admin_customers", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_admin_customers_csv(struct ob_req *r)
{
	struct ob_staff_customers_q q;
	struct ob_fail f = { 0 };

	customers_q(r, &q);
	ob_buf_reset(&r->resp_body);
	if (ob_staff_customers_csv(&r->w->db, &q, &r->resp_body, &f) != 0) {
		ob_buf_reset(&r->resp_body);
		return ob_api_failed(r, &f);
	}
	r->status = 200;
	r->resp_type = "text/csv; charset=utf-8";
	ob_resp_header(r, "Content-Disposition", "attachment; filename=\"customers.csv\"");
	return 0;
}
