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
#include "fcgi/api.h"
#include "fcgi/ctx.h"
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
