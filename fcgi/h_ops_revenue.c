/*
 * GET /admin/revenue, /admin/api/revenue, /admin/revenue.csv: the revenue
 * figures of core/billing/revenue.c for a range of months, one view model
 * for the page, its JSON twin and the CSV export.
 */
#include "fcgi/h_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/money.h"
#include "billing/flags.h"
#include "billing/proration.h"
#include "billing/revenue.h"
#include "fcgi/api.h"
#include "fcgi/ctx.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"

/* The flag the CSV export is behind (a global rule; migration 034 turns it on). */
#define OB_FLAG_REVENUE_CSV "ops.revenue_csv"

void
ob_h_ops_error(struct ob_req *r, int status, const char *code, const char *message,
    const char *param)
{
	if (strncmp(r->path, "/admin/api/", 11) == 0)
		ob_resp_error(r, status, "invalid_request_error", code, message, param);
	else
		ob_worker_error(r, status, "invalid_request_error", code, message, param);
}

/* The range asked for: currency, the last month and how many months. */
struct rev_query {
	char currency[4];
	int64_t to_year, to_month, months;
	int64_t from_year, from_month;
};

/* Parse ?currency=&to=YYYY-MM&months= into q. 0, or -1 after answering 400. */
static int
rev_query(struct ob_req *r, struct rev_query *q)
{
	const char *cur = ob_query_get(r, "currency"), *to = ob_query_get(r, "to");
	const char *months = ob_query_get(r, "months");
	int64_t y, m;
	unsigned mon, day;
	char tail;
	int i;

	strcpy(q->currency, "usd");
	if (cur != NULL && *cur != '\0') {
		for (i = 0; i < 3; i++)
			if (cur[i] < 'a' || cur[i] > 'z')
				break;
		if (i < 3 || cur[3] != '\0') {
			ob_h_ops_error(r, 400, "invalid_currency",
			    "currency is a lowercase ISO 4217 code.", "currency");
			return -1;
		}
		memcpy(q->currency, cur, 4);
	}
	ob_proration_civil_from_days((int64_t)time(NULL) / 86400, &y, &mon, &day);
	q->to_year = y;
	q->to_month = mon;
	if (to != NULL && *to != '\0') {
		long long ty;
		int tm;

		if (strlen(to) != 7 || strspn(to, "0123456789") != 4 || to[4] != '-' ||
		    strspn(to + 5, "0123456789") != 2 ||
		    sscanf(to, "%4lld-%2d%c", &ty, &tm, &tail) != 2 ||
		    ty < 2000 || ty > 2999 || tm < 1 || tm > 12) {
			ob_h_ops_error(r, 400, "invalid_month", "to is a month, YYYY-MM.", "to");
			return -1;
		}
		q->to_year = ty;
		q->to_month = tm;
	}
	q->months = 12;
	if (months != NULL && *months != '\0') {
		char *end;
		long v = strtol(months, &end, 10);

		if (*end != '\0' || v < 1 || v > OB_REVENUE_MAX_MONTHS || months[0] == '+' ||
		    months[0] == '-' || months[0] == ' ') {
			ob_h_ops_error(r, 400, "invalid_months", "months is 1 to 36.", "months");
			return -1;
		}
		q->months = v;
	}
	m = q->to_year * 12 + (q->to_month - 1) - (q->months - 1);
	q->from_year = m / 12;
	q->from_month = m % 12 + 1;
	return 0;
}

static void
add_pct(cJSON *o, const char *name, int64_t bps)
{
	char text[32], key[48];

	snprintf(key, sizeof(key), "%s_bps", name);
	cJSON_AddNumberToObject(o, key, (double)bps);
	snprintf(key, sizeof(key), "%s_text", name);
	if (bps < 0)
		snprintf(text, sizeof(text), "n/a");
	else
		snprintf(text, sizeof(text), "%lld.%02lld %%", (long long)(bps / 100),
		    (long long)(bps % 100));
	cJSON_AddStringToObject(o, key, text);
}

static void
add_amount(cJSON *o, const char *name, int64_t v, const char *currency)
{
	char key[48];

	cJSON_AddNumberToObject(o, name, (double)v);
	snprintf(key, sizeof(key), "%s_text", name);
	ob_money_json(o, key, v, currency, OB_MONEY_SYMBOL);
}

/* One month's figures as a view-model object. */
static cJSON *
month_json(const struct ob_rev_month *m, const char *currency, int64_t max_mrr)
{
	cJSON *o = cJSON_CreateObject(), *plans = NULL, *p;
	char label[16];
	size_t i;

	snprintf(label, sizeof(label), "%04lld-%02lld", (long long)m->year, (long long)m->month);
	cJSON_AddStringToObject(o, "month", label);
	add_amount(o, "start_mrr", m->start_mrr, currency);
	add_amount(o, "mrr", m->mrr, currency);
	add_amount(o, "arr", m->arr, currency);
	add_amount(o, "new_mrr", m->new_mrr, currency);
	add_amount(o, "expansion_mrr", m->expansion_mrr, currency);
	add_amount(o, "contraction_mrr", m->contraction_mrr, currency);
	add_amount(o, "churned_mrr", m->churned_mrr, currency);
	cJSON_AddNumberToObject(o, "customers_start", (double)m->customers_start);
	cJSON_AddNumberToObject(o, "customers_end", (double)m->customers_end);
	cJSON_AddNumberToObject(o, "new_customers", (double)m->new_customers);
	cJSON_AddNumberToObject(o, "churned_customers", (double)m->churned_customers);
	add_pct(o, "logo_churn", m->logo_churn_bps);
	add_pct(o, "revenue_churn", m->revenue_churn_bps);
	add_pct(o, "nrr", m->nrr_bps);
	cJSON_AddNumberToObject(o, "chart_max", (double)(max_mrr > 0 ? max_mrr : 1));
	plans = cJSON_AddArrayToObject(o, "active_by_plan");
	for (i = 0; i < m->nplans; i++) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "plan", m->plans[i].plan);
		cJSON_AddNumberToObject(p, "count", (double)m->plans[i].count);
		cJSON_AddItemToArray(plans, p);
	}
	return o;
}

/*
 * The view model of q: {object, currency, from, to, months: [...], latest}.
 * NULL on a database failure.
 */
static cJSON *
rev_model(struct ob_req *r, const struct rev_query *q)
{
	struct ob_rev_month out[OB_REVENUE_MAX_MONTHS];
	struct ob_rev_row *rows = NULL;
	int64_t until, max = 0, ny = q->to_year, nm = q->to_month + 1;
	cJSON *d = NULL, *arr;
	size_t n = 0, i;

	if (nm > 12) {
		nm = 1;
		ny++;
	}
	until = ob_revenue_month_start(ny, nm);
	if (ob_revenue_load(&r->w->db, until, &rows, &n) != 0)
		return NULL;
	if (ob_revenue_months(rows, n, q->currency, q->from_year, q->from_month,
	    (size_t)q->months, out) != 0)
		goto out;
	for (i = 0; i < (size_t)q->months; i++)
		if (out[i].mrr > max)
			max = out[i].mrr;
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "object", "revenue");
	cJSON_AddStringToObject(d, "currency", q->currency);
	cJSON_AddStringToObject(d, "rounding",
	    "A yearly price counts one twelfth a month, rounded half up to a minor unit.");
	arr = cJSON_AddArrayToObject(d, "months");
	for (i = 0; i < (size_t)q->months; i++)
		cJSON_AddItemToArray(arr, month_json(&out[i], q->currency, max));
	cJSON_AddStringToObject(d, "from", cJSON_GetArrayItem(arr, 0)->child->valuestring);
	cJSON_AddStringToObject(d, "to", cJSON_GetArrayItem(arr, (int)q->months - 1)->child->valuestring);
	cJSON_AddItemToObject(d, "latest",
	    cJSON_Duplicate(cJSON_GetArrayItem(arr, (int)q->months - 1), 1));
out:
	free(rows);
	return d;
}

int
ob_h_ops_revenue_api(struct ob_req *r)
{
	struct rev_query q;
	cJSON *d;

	if (rev_query(r, &q) != 0)
		return 0;
	if ((d = rev_model(r, &q)) == NULL)
		return -1;
	ob_api_json(r, 200, d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_ops_revenue_page(struct ob_req *r)
{
	struct rev_query q;
	cJSON *d, *m, *it;

	if (rev_query(r, &q) != 0)
		return 0;
	if ((m = rev_model(r, &q)) == NULL)
		return -1;
	d = ob_page_new(r, "Revenue", "admin");
	for (it = m->child; it != NULL; it = it->next)
		cJSON_AddItemReferenceToObject(d, it->string, it);
	cJSON_AddNumberToObject(d, "f_months", (double)q.months);
	cJSON_AddBoolToObject(d, "csv_enabled", ob_flags_enabled(&r->w->db, OB_FLAG_REVENUE_CSV, 0));
	ob_page_render(r, 200, "pages/ops_revenue", d);
	cJSON_Delete(d);
	cJSON_Delete(m);
	return 0;
}

int
ob_h_ops_revenue_csv(struct ob_req *r)
{
	static const char *const cols[] = { "start_mrr", "mrr", "arr", "new_mrr",
	    "expansion_mrr", "contraction_mrr", "churned_mrr", "customers_start",
	    "customers_end", "new_customers", "churned_customers", "logo_churn_bps",
	    "revenue_churn_bps", "nrr_bps" };
	struct ob_buf *b = &r->resp_body;
	struct rev_query q;
	cJSON *d, *it;
	size_t i;

	if (!ob_flags_enabled(&r->w->db, OB_FLAG_REVENUE_CSV, 0)) {
		ob_h_ops_error(r, 404, "feature_disabled", "The CSV export is turned off.", NULL);
		return 0;
	}
	if (rev_query(r, &q) != 0)
		return 0;
	if ((d = rev_model(r, &q)) == NULL)
		return -1;
	ob_buf_reset(b);
	ob_buf_puts(b, "month,currency,start_mrr,mrr,arr,new_mrr,expansion_mrr,contraction_mrr,"
	    "churned_mrr,customers_start,customers_end,new_customers,churned_customers,"
	    "logo_churn_bps,revenue_churn_bps,nrr_bps\r\n");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(d, "months")) {
		ob_buf_printf(b, "%s,%s", cJSON_GetObjectItem(it, "month")->valuestring, q.currency);
		for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
			ob_buf_printf(b, ",%.0f", cJSON_GetObjectItem(it, cols[i])->valuedouble);
		ob_buf_puts(b, "\r\n");
	}
	r->status = 200;
	r->resp_type = "text/csv; charset=utf-8";
	ob_resp_header(r, "Content-Disposition", "attachment; filename=\"revenue.csv\"");
	cJSON_Delete(d);
	return 0;
}
