/*
 * Usage analytics over HTTP (h_analytics.h): the usage query as JSON or as
 * a CSV download, and the forecast. Read only; the org is the caller's
 * (r->who.org_id, checked by the router against the path's org_id).
 */
#include "fcgi/h_analytics.h"

#include <stdio.h>
#include <string.h>

#include "credits/analytics.h"
#include "credits/credits.h"
#include "invoices/invoices.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/num.h"
#include "fcgi/api.h"
#include "fcgi/ctx.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"

static const char *const groups[] = { "day", "week", "month", NULL };
static const char *const bys[] = { "member", "service", "model", "department", NULL };
static const char *const formats[] = { "json", "csv", NULL };
static const struct ob_field usage_query[] = {
	{ .name = "from", .type = OB_FIELD_DATE, .message = "from must be a date, YYYY-MM-DD." },
	{ .name = "to", .type = OB_FIELD_DATE, .message = "to must be a date, YYYY-MM-DD." },
	{ .name = "group", .type = OB_FIELD_ENUM, .allowed = groups,
	    .message = "group must be day, week or month." },
	{ .name = "by", .type = OB_FIELD_ENUM, .allowed = bys,
	    .message = "by must be member, service, model or department." },
	{ .name = "format", .type = OB_FIELD_ENUM, .allowed = formats,
	    .message = "format must be json or csv." },
};
const struct ob_fields ob_h_api_analytics_usage_fields = OB_FIELDS_QUERY(usage_query, NULL);

/* The usage list for r's query, or NULL after answering (400) or on a failure (*failed). */
static cJSON *
usage_list(struct ob_req *r, int *failed)
{
	struct ob_fail f = { 0 };
	enum ob_analytics_by by;
	char from[11], to[11];
	cJSON *list;

	*failed = 0;
	if (ob_analytics_by_parse(ob_field_str(r, "by"), &by) != 0) {
		ob_worker_error(r, 400, "invalid_request_error", "parameter_invalid",
		    "by must be member, service, model or department.", "by");
		return NULL;
	}
	/* From and to: both included, at most OB_CREDITS_RANGE_DAYS days (the last 30 unless given). */
	if (ob_credits_range(ob_field_str(r, "from"), ob_field_str(r, "to"), from, to, &f) != 0) {
		ob_api_fail(r, &f);
		return NULL;
	}
	list = ob_analytics_usage(&r->w->db, r->who.org_id, from, to, ob_field_str(r, "group"), by);
	if (list == NULL)
		*failed = 1;
	return list;
}

/* r's answer: list's rows as CSV (RFC 4180, text cells made formula-safe). */
static void
usage_csv(struct ob_req *r, const cJSON *list)
{
	const cJSON *row, *by = cJSON_GetObjectItemCaseSensitive(list, "by");
	int keyed = cJSON_IsString(by);

	ob_buf_reset(&r->resp_body);
	ob_buf_puts(&r->resp_body, keyed ? "bucket,key,label,credits\r\n" : "bucket,credits\r\n");
	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(list, "data")) {
		ob_invoices_csv_field(&r->resp_body, ob_json_str(row, "bucket"));
		ob_buf_putc(&r->resp_body, ',');
		if (keyed) {
			ob_invoices_csv_field(&r->resp_body, ob_json_str(row, "key"));
			ob_buf_putc(&r->resp_body, ',');
			ob_invoices_csv_field(&r->resp_body, ob_json_str(row, "label"));
			ob_buf_putc(&r->resp_body, ',');
		}
		/* A number the service wrote: data, never a formula, so not prefixed. */
		ob_buf_printf(&r->resp_body, "%lld\r\n",
		    (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(row, "credits")));
	}
	r->status = 200;
	r->resp_type = "text/csv; charset=utf-8";
	ob_resp_header(r, "Content-Disposition", ob_arena_printf(r->a,
	    "attachment; filename=\"usage-%lld-%s-%s.csv\"", (long long)r->who.org_id,
	    ob_json_str(list, "from"), ob_json_str(list, "to")));
}

/* The usage query answered as CSV. */
static int
answer_csv(struct ob_req *r)
{
	int failed;
	cJSON *list = usage_list(r, &failed);

	if (list == NULL)
		return failed ? -1 : 0;
	/* An export is whole or refused: never a silently cut file. */
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(list, "has_more"))) {
		ob_worker_error(r, 400, "invalid_request_error", "export_too_large",
		    "The export has too many rows: narrow the range or group by week or month.",
		    "from");
	} else {
		usage_csv(r, list);
	}
	cJSON_Delete(list);
	return 0;
}

int
ob_h_api_analytics_usage(struct ob_req *r)
{
	const char *format = ob_field_str(r, "format");
	cJSON *list;
	int failed;

	if (format != NULL && strcmp(format, "csv") == 0)
		return answer_csv(r);
	if ((list = usage_list(r, &failed)) == NULL)
		return failed ? -1 : 0;
	return ob_api_answer(r, list);
}

int
ob_h_api_analytics_usage_csv(struct ob_req *r)
{
	return answer_csv(r);
}

int
ob_h_api_analytics_forecast(struct ob_req *r)
{
	return ob_api_answer(r, ob_analytics_forecast(&r->w->db, r->who.org_id));
}

/* ---- console: the Usage page ---------------------------------------------- */

/* The last 30 days as SVG bars (integers only) and table rows, into d. */
static void
page_chart(cJSON *d, const cJSON *days)
{
	cJSON *bars = cJSON_AddArrayToObject(d, "chart"), *b;
	const cJSON *x;
	int64_t max = 0, v, sum = 0;
	int i = 0, h;

	cJSON_ArrayForEach(x, days) {
		v = ob_num_json_or(x, "amount", 0);
		max = v > max ? v : max;
		sum += v > 0 ? v : 0;
	}
	cJSON_ArrayForEach(x, days) {
		v = ob_num_json_or(x, "amount", 0);
		/* 0 to 100 px, rounded half up (v, max >= 0); a used day shows at least 1 px. */
		h = max > 0 && v > 0 ? (int)((v * 200 + max) / (2 * max)) : 0;
		if (v > 0 && h == 0)
			h = 1;
		b = cJSON_CreateObject();
		cJSON_AddNumberToObject(b, "x", i * 20 + 2);
		cJSON_AddNumberToObject(b, "y", 110 - h);
		cJSON_AddNumberToObject(b, "h", h);
		cJSON_AddStringToObject(b, "day", ob_json_str(x, "day"));
		cJSON_AddStringToObject(b, "amount", ob_json_str_or(x, "amount_fmt", "0"));
		cJSON_AddItemToArray(bars, b);
		i++;
	}
	cJSON_AddBoolToObject(d, "has_usage", sum > 0);
}

/* The forecast's sentence parts, into d. */
static void
page_forecast(cJSON *d, const cJSON *fc)
{
	const cJSON *pool = cJSON_GetObjectItemCaseSensitive(fc, "pool");
	const cJSON *per = cJSON_GetObjectItemCaseSensitive(fc, "period");
	const char *on = ob_json_str(pool, "runs_out_on");
	int ok = strcmp(ob_json_str_or(pool, "status", ""), "ok") == 0;
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(per, "forecast_total");

	cJSON_AddBoolToObject(d, "forecast_ok", ok && on != NULL);
	cJSON_AddBoolToObject(d, "forecast_never", ok && on == NULL);
	cJSON_AddBoolToObject(d, "forecast_none", !ok);
	cJSON_AddStringToObject(d, "runs_out_on", on != NULL ? on : "");
	cJSON_AddStringToObject(d, "earliest", ob_json_str_or(pool, "runs_out_earliest", "soon"));
	cJSON_AddStringToObject(d, "latest", ob_json_str_or(pool, "runs_out_latest", "later"));
	cJSON_AddStringToObject(d, "period_start", ob_json_str_or(per, "start", ""));
	cJSON_AddStringToObject(d, "period_end", ob_json_str_or(per, "end", ""));
	ob_credits_add_fmt(d, "period_used", ob_num_json_or(per, "used", 0));
	if (cJSON_IsNumber(total))
		ob_credits_add_fmt(d, "period_total", ob_num_json_or(per, "forecast_total", 0));
}

int
ob_h_usage_page(struct ob_req *r)
{
	struct ob_fail f = { 0 };
	char from[11], to[11];
	cJSON *days, *fc, *d;

	if (ob_credits_range(NULL, NULL, from, to, &f) != 0)
		return -1;
	days = ob_credits_usage(&r->w->db, r->who.org_id, from, to, OB_CREDITS_BY_DAY, 100);
	if (days == NULL)
		return -1;
	if ((fc = ob_analytics_forecast(&r->w->db, r->who.org_id)) == NULL) {
		cJSON_Delete(days);
		return -1;
	}
	d = ob_page_new(r, "Usage", "usage");
	cJSON_AddNumberToObject(d, "org_id", (double)r->who.org_id);
	cJSON_AddStringToObject(d, "from", from);
	cJSON_AddStringToObject(d, "to", to);
	page_chart(d, cJSON_GetObjectItemCaseSensitive(days, "data"));
	page_forecast(d, fc);
	ob_page_render(r, 200, "pages/usage", d);
	cJSON_Delete(d);
	cJSON_Delete(fc);
	cJSON_Delete(days);
	return 0;
}
