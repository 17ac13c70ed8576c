/*
 * Usage analytics and forecasts (analytics.h, docs/ANALYTICS.md): usage per
 * bucket and dimension from the daily rollups, and the forecast's inputs
 * (balances, the period, daily histories) handed to forecast.c.
 */
#include "credits/analytics.h"
#include "credits/forecast.h"
#include "base/db_json.h"
#include "base/num.h"
#include "base/row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

static const char *const by_names[] = {
	[OB_ANALYTICS_BY_NONE] = "",
	[OB_ANALYTICS_BY_MEMBER] = "member",
	[OB_ANALYTICS_BY_SERVICE] = "service",
	[OB_ANALYTICS_BY_MODEL] = "model",
	[OB_ANALYTICS_BY_DEPARTMENT] = "department",
};

int
ob_analytics_by_parse(const char *s, enum ob_analytics_by *by)
{
	int i;

	*by = OB_ANALYTICS_BY_NONE;
	if (s == NULL)
		return 0;
	for (i = OB_ANALYTICS_BY_MEMBER; i <= OB_ANALYTICS_BY_DEPARTMENT; i++)
		if (strcmp(s, by_names[i]) == 0) {
			*by = (enum ob_analytics_by)i;
			return 0;
		}
	return -1;
}

const char *
ob_analytics_by_name(enum ob_analytics_by by)
{
	return by <= OB_ANALYTICS_BY_DEPARTMENT ? by_names[by] : "";
}

/* One usage row (an ob_db_row_fn; arg: the enum ob_analytics_by). */
static cJSON *
usage_row(const PGresult *res, int i, const void *arg)
{
	enum ob_analytics_by by = *(const enum ob_analytics_by *)arg;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "bucket", ob_row_str(res, i, "bucket"));
	if (by != OB_ANALYTICS_BY_NONE) {
		cJSON_AddStringToObject(o, "key", ob_row_str(res, i, "key"));
		cJSON_AddStringToObject(o, "label", ob_row_str(res, i, "label"));
	}
	cJSON_AddNumberToObject(o, "credits", (double)ob_row_i64(res, i, "credits"));
	return o;
}

cJSON *
ob_analytics_usage(struct ob_db *db, int64_t org_id, const char *from, const char *to,
    const char *group, enum ob_analytics_by by)
{
	static const enum ob_stmt stmts[] = {
		[OB_ANALYTICS_BY_NONE] = OB_STMT_ANALYTICS_USAGE_TOTAL,
		[OB_ANALYTICS_BY_MEMBER] = OB_STMT_ANALYTICS_USAGE_MEMBER,
		[OB_ANALYTICS_BY_SERVICE] = OB_STMT_ANALYTICS_USAGE_SERVICE,
		[OB_ANALYTICS_BY_MODEL] = OB_STMT_ANALYTICS_USAGE_MODEL,
		[OB_ANALYTICS_BY_DEPARTMENT] = OB_STMT_ANALYTICS_USAGE_DEPARTMENT,
	};
	char org[24], lim[16];
	const char *params[5] = { org, from, to, "day", lim };
	cJSON *list;

	if (group != NULL && (strcmp(group, "week") == 0 || strcmp(group, "month") == 0))
		params[3] = group;
	if (by > OB_ANALYTICS_BY_DEPARTMENT)
		by = OB_ANALYTICS_BY_NONE;
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), OB_ANALYTICS_ROWS_MAX + 1);
	list = ob_db_exec_rows(db, stmts[by], params, OB_ANALYTICS_ROWS_MAX, usage_row, &by);
	if (list == NULL)
		return NULL;
	cJSON_AddStringToObject(list, "from", from);
	cJSON_AddStringToObject(list, "to", to);
	cJSON_AddStringToObject(list, "group", params[3]);
	if (by == OB_ANALYTICS_BY_NONE)
		cJSON_AddNullToObject(list, "by");
	else
		cJSON_AddStringToObject(list, "by", by_names[by]);
	cJSON_AddStringToObject(list, "unit", "credits");
	return list;
}

/* ---- Forecasts ---- */

/* The pool, the period and today, as day numbers (days since 1970-01-01). */
struct pool_facts {
	int64_t available, period_used;
	int64_t today, period_start, period_end;	/* period_end: exclusive */
};

/* Day number d as YYYY-MM-DD into out. */
static void
day_str(int64_t d, char out[11])
{
	time_t t = (time_t)(d * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Add day number d under name, or null when d < 0. */
static void
add_day(cJSON *o, const char *name, int64_t d)
{
	char s[11];

	if (d < 0) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	day_str(d, s);
	cJSON_AddStringToObject(o, name, s);
}

/* Fit fc to x[0..n-1] from its first day with usage: 0, or -1 (not enough data). */
static int
fit_series(const int64_t *x, int n, struct ob_forecast *fc, int *days)
{
	int k = 0;

	while (k < n && x[k] <= 0)
		k++;
	*days = n - k;
	return ob_forecast_fit(x + k, n - k, fc);
}

/*
 * Add the run-out of balance to o: runs_out_on, runs_out_earliest,
 * runs_out_latest (dates, null when not within within days of today).
 */
static void
add_runout(cJSON *o, const struct ob_forecast *fc, int64_t balance, int64_t today, int within)
{
	struct ob_forecast_runout ro;
	int h[3], i;
	static const char *const names[3] = { "runs_out_on", "runs_out_earliest",
		"runs_out_latest" };

	if (fc == NULL) {
		ro.days = ro.earliest = ro.latest = 0;
	} else {
		ob_forecast_runout(fc, balance, within, &ro);
	}
	h[0] = ro.days;
	h[1] = ro.earliest;
	h[2] = ro.latest;
	for (i = 0; i < 3; i++)
		add_day(o, names[i], h[i] > 0 && h[i] <= within ? today + h[i] - 1 : -1);
}

static int
pool_facts(struct ob_db *db, const char *org, struct pool_facts *pf)
{
	const char *params[1] = { org };
	PGresult *res;

	if (ob_db_one(db, OB_STMT_ANALYTICS_POOL, params, &res) != 0)
		return -1;
	pf->available = ob_row_i64(res, 0, "available");
	pf->period_used = ob_row_i64(res, 0, "period_used");
	pf->today = ob_row_i64(res, 0, "today");
	pf->period_start = ob_row_i64(res, 0, "period_start");
	pf->period_end = ob_row_i64(res, 0, "period_end");
	if (pf->period_end <= pf->today)
		pf->period_end = pf->today + 1;
	PQclear(res);
	return 0;
}

/* The org's daily usage over the history window into x (zeroed by the caller). */
static int
pool_history(struct ob_db *db, const char *org, const struct pool_facts *pf, int64_t *x)
{
	char a[24], b[24];
	const char *params[3] = { org, a, b };
	PGresult *res;
	int i, n;

	ob_num_str(a, sizeof(a), pf->today - OB_ANALYTICS_HISTORY);
	ob_num_str(b, sizeof(b), pf->today - 1);
	if ((res = ob_db_exec(db, OB_STMT_ANALYTICS_POOL_DAYS, params, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		int64_t d = ob_row_i64(res, i, "day");

		if (d >= 0 && d < OB_ANALYTICS_HISTORY)
			x[d] = ob_row_i64(res, i, "credits");
	}
	PQclear(res);
	return 0;
}

/* The pool's and the period's parts of the forecast. */
static void
pool_part(cJSON *out, const struct pool_facts *pf, const int64_t *x)
{
	cJSON *pool = cJSON_AddObjectToObject(out, "pool");
	cJSON *per = cJSON_AddObjectToObject(out, "period");
	struct ob_forecast fc;
	int days, ok = fit_series(x, OB_ANALYTICS_HISTORY, &fc, &days) == 0;
	int left = (int)(pf->period_end - pf->today);

	cJSON_AddNumberToObject(pool, "available", (double)pf->available);
	cJSON_AddStringToObject(pool, "status", ok ? "ok" : "not_enough_data");
	cJSON_AddNumberToObject(pool, "history_days", days);
	add_day(per, "start", pf->period_start);
	add_day(per, "end", pf->period_end - 1);
	cJSON_AddNumberToObject(per, "used", (double)pf->period_used);
	if (!ok) {
		cJSON_AddNullToObject(pool, "forecast_today");
		add_runout(pool, NULL, 0, 0, 0);
		cJSON_AddNullToObject(per, "forecast_total");
		cJSON_AddNullToObject(per, "forecast_low");
		cJSON_AddNullToObject(per, "forecast_high");
		return;
	}
	cJSON_AddNumberToObject(pool, "forecast_today",
	    (double)ob_forecast_credits(ob_forecast_day(&fc, 1)));
	add_runout(pool, &fc, pf->available, pf->today, OB_FORECAST_HORIZON_MAX);
	{
		int64_t lo, hi, mid = ob_forecast_sum(&fc, left, &lo, &hi);

		cJSON_AddNumberToObject(per, "forecast_total", (double)(pf->period_used + mid));
		cJSON_AddNumberToObject(per, "forecast_low", (double)(pf->period_used + lo));
		cJSON_AddNumberToObject(per, "forecast_high", (double)(pf->period_used + hi));
	}
}

/* The members' daily usage over the history window: x[k * HISTORY + day]. */
static int
member_history(struct ob_db *db, const char *org, const struct pool_facts *pf,
    const int64_t *uids, int n, int64_t *x)
{
	char a[24], b[24], *ids = malloc((size_t)n * 24 + 3);
	const char *params[4] = { org, a, b, ids };
	PGresult *res = NULL;
	size_t o = 0;
	int i, k, rc = -1;

	if (ids == NULL)
		return -1;
	ids[o++] = '{';
	for (k = 0; k < n; k++)
		o += (size_t)sprintf(ids + o, "%s%lld", k > 0 ? "," : "", (long long)uids[k]);
	ids[o++] = '}';
	ids[o] = '\0';
	ob_num_str(a, sizeof(a), pf->today - OB_ANALYTICS_HISTORY);
	ob_num_str(b, sizeof(b), pf->today - 1);
	if ((res = ob_db_exec(db, OB_STMT_ANALYTICS_MEMBER_DAYS, params, NULL)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(res); i++) {
		int64_t uid = ob_row_i64(res, i, "user_id"), d = ob_row_i64(res, i, "day");

		for (k = 0; k < n && uids[k] != uid; k++)
			;
		if (k < n && d >= 0 && d < OB_ANALYTICS_HISTORY)
			x[(size_t)k * OB_ANALYTICS_HISTORY + (size_t)d] = ob_row_i64(res, i, "credits");
	}
	rc = 0;
out:
	PQclear(res);
	free(ids);
	return rc;
}

/* One allocation's forecast: its run-out within the period. */
static cJSON *
alloc_json(const PGresult *res, int i, const int64_t *x, const struct pool_facts *pf)
{
	cJSON *o = cJSON_CreateObject();
	struct ob_forecast fc;
	int64_t limit = ob_row_i64(res, i, "limit_amount"), used = ob_row_i64(res, i, "used");
	int days, ok = fit_series(x, OB_ANALYTICS_HISTORY, &fc, &days) == 0;

	cJSON_AddNumberToObject(o, "user_id", (double)ob_row_i64(res, i, "user_id"));
	cJSON_AddStringToObject(o, "email", ob_row_str(res, i, "email"));
	cJSON_AddNumberToObject(o, "limit", (double)limit);
	cJSON_AddNumberToObject(o, "used", (double)used);
	cJSON_AddNumberToObject(o, "remaining", (double)(limit > used ? limit - used : 0));
	cJSON_AddStringToObject(o, "status", ok ? "ok" : "not_enough_data");
	cJSON_AddNumberToObject(o, "history_days", days);
	/* The allocation resets when the period ends: look no further. */
	add_runout(o, ok ? &fc : NULL, limit - used, pf->today, (int)(pf->period_end - pf->today));
	return o;
}

/* The allocations' part of the forecast. */
static int
allocs_part(struct ob_db *db, const char *org, const struct pool_facts *pf, cJSON *out)
{
	char lim[16];
	const char *params[2] = { org, lim };
	cJSON *list = cJSON_AddObjectToObject(out, "allocations"), *data;
	int64_t uids[OB_ANALYTICS_ALLOCS_MAX], *x = NULL;
	PGresult *res;
	int i, n, rc = -1;

	ob_num_str(lim, sizeof(lim), OB_ANALYTICS_ALLOCS_MAX + 1);
	if ((res = ob_db_exec(db, OB_STMT_ANALYTICS_ALLOCS, params, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	cJSON_AddBoolToObject(list, "has_more", n > OB_ANALYTICS_ALLOCS_MAX);
	if (n > OB_ANALYTICS_ALLOCS_MAX)
		n = OB_ANALYTICS_ALLOCS_MAX;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++)
		uids[i] = ob_row_i64(res, i, "user_id");
	x = calloc((size_t)n * OB_ANALYTICS_HISTORY, sizeof(*x));
	if (x == NULL || member_history(db, org, pf, uids, n, x) != 0)
		goto out;
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(data, alloc_json(res, i, x + (size_t)i * OB_ANALYTICS_HISTORY, pf));
	rc = 0;
out:
	free(x);
	PQclear(res);
	return rc;
}

cJSON *
ob_analytics_forecast(struct ob_db *db, int64_t org_id)
{
	struct pool_facts pf;
	int64_t x[OB_ANALYTICS_HISTORY] = { 0 };
	char org[24];
	cJSON *out;

	ob_num_str(org, sizeof(org), org_id);
	if (pool_facts(db, org, &pf) != 0 || pool_history(db, org, &pf, x) != 0)
		return NULL;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "object", "usage_forecast");
	cJSON_AddStringToObject(out, "method", OB_FORECAST_METHOD);
	cJSON_AddNumberToObject(out, "interval", 95);
	cJSON_AddNumberToObject(out, "min_history_days", OB_FORECAST_MIN_DAYS);
	add_day(out, "as_of", pf.today);
	cJSON_AddStringToObject(out, "unit", "credits");
	pool_part(out, &pf, x);
	if (allocs_part(db, org, &pf, out) != 0) {
		cJSON_Delete(out);
		return NULL;
	}
	return out;
}
