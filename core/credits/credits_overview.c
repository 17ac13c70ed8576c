/*
 * Credits: the billing overview the console's Credits page renders (and
 * the billing-overview API returns), built from the reports of
 * credits_report.c, with the page's formatted numbers and chart geometry.
 */
#include "credits/credits.h"
#include "base/json.h"
#include "base/num.h"

#include <stdio.h>
#include <stdlib.h>

/* Add *_fmt strings beside the raw numbers named in names (page display). */
static void
fmt_fields(cJSON *o, const char *const *names)
{
	int64_t v;

	for (; *names != NULL; names++)
		if (ob_num_json_get(o, *names, &v) == 0)
			ob_credits_add_fmt(o, *names, v);
}

/*
 * The 30-day chart as SVG geometry computed here (integers only), in a
 * 640 x 150 box: a y axis at x = 56 with ticks at 0, half the peak and
 * the peak (chart_ticks: y, value); bars 20 px apart from x = 60, 0-100
 * px high with the baseline at y = 110; every seventh day (but one too
 * near the end) and the last carry an x-axis label (label: true, cx: the bar's centre).
 */
#define CHART_X0 60
#define CHART_BASE 110
static void
chart(cJSON *o, const cJSON *days)
{
	cJSON *bars = cJSON_AddArrayToObject(o, "chart"), *ticks, *b;
	const cJSON *d;
	int64_t max = 0, v, tv[3];
	int i = 0, h, n = cJSON_GetArraySize(days);
	char lbl[64];

	cJSON_ArrayForEach(d, days) {
		v = ob_num_json_or(d, "amount", 0);
		if (v > max)
			max = v;
	}
	cJSON_ArrayForEach(d, days) {
		v = ob_num_json_or(d, "amount", 0);
		/* 0–100 px, rounded half away from zero (v, max >= 0). */
		h = max > 0 ? (int)((v * 200 + max) / (2 * max)) : 0;
		if (v > 0 && h == 0)
			h = 1;
		b = cJSON_CreateObject();
		cJSON_AddNumberToObject(b, "x", CHART_X0 + i * 20 + 2);
		cJSON_AddNumberToObject(b, "cx", CHART_X0 + i * 20 + 10);
		cJSON_AddNumberToObject(b, "y", CHART_BASE - h);
		cJSON_AddNumberToObject(b, "h", h);
		cJSON_AddStringToObject(b, "day", ob_json_str(d, "day"));
		snprintf(lbl, sizeof(lbl), "%s", ob_json_str(d, "amount_fmt"));
		cJSON_AddStringToObject(b, "amount_fmt", lbl);
		cJSON_AddBoolToObject(b, "label", (i % 7 == 0 && n - 1 - i >= 4) || i == n - 1);
		cJSON_AddItemToArray(bars, b);
		i++;
	}
	ob_json_add_i64(o, "chart_max", max);
	ob_credits_add_fmt(o, "chart_max", max);
	/* Ticks at 0, half the peak and the peak (one tick when nothing was used). */
	ticks = cJSON_AddArrayToObject(o, "chart_ticks");
	tv[0] = 0;
	tv[1] = max / 2;
	tv[2] = max;
	for (i = 0; i < (max > 1 ? 3 : max > 0 ? 2 : 1); i++) {
		v = i == 0 ? 0 : (max > 1 ? tv[i] : max);
		b = cJSON_CreateObject();
		h = max > 0 ? (int)((v * 200 + max) / (2 * max)) : 0;
		cJSON_AddNumberToObject(b, "y", CHART_BASE - h);
		ob_credits_add_fmt(b, "value", v);
		cJSON_AddItemToArray(ticks, b);
	}
	cJSON_AddBoolToObject(o, "chart_empty", max == 0);
}

/* The overview's head, from the pool status st (with its *_fmt fields). */
static cJSON *
overview_new(const cJSON *st, int manager)
{
	cJSON *o = cJSON_CreateObject();
	int64_t members, granted, used;

	members = ob_num_json_or(st, "members", 0);
	granted = ob_num_json_or(st, "granted", 0);
	used = ob_num_json_or(st, "used", 0);
	cJSON_AddStringToObject(o, "object", "billing_overview");
	cJSON_AddStringToObject(o, "org_id", ob_json_str(st, "org_id"));
	cJSON_AddBoolToObject(o, "manager", manager);
	/* Entitlement per seat: unknown here ("—"); the plan's included
	 * credits per seat come from billing (ob_entitlement_overview). */
	cJSON_AddNullToObject(o, "entitlement_per_seat");
	cJSON_AddStringToObject(o, "entitlement_per_seat_fmt", "\xe2\x80\x94");
	if (members > 0)
		ob_credits_add_fmt(o, "granted_per_member", (granted * 2 + members) / (2 * members));
	cJSON_AddNumberToObject(o, "used_percent", granted > 0 ?
	    (int)((used * 200 + granted) / (2 * granted)) : 0);
	return o;
}

/*
 * The managers' part of the overview, added to o: the 30-day chart, the
 * metrics, usage by day, the top users and services, every allocation.
 * 0, or -1 with db->lasterr set.
 */
static int
add_manager_part(struct ob_db *db, int64_t org_id, const char *from, const char *to,
    cJSON *o)
{
	cJSON *m = NULL, *days = NULL, *users = NULL, *svc = NULL, *alloc = NULL;
	int rc = -1;

	if ((m = ob_credits_metrics(db, org_id)) == NULL ||
	    (days = ob_credits_usage(db, org_id, from, to, OB_CREDITS_BY_DAY, 366)) == NULL ||
	    (users = ob_credits_usage(db, org_id, from, to, OB_CREDITS_BY_USER, 10)) == NULL ||
	    (svc = ob_credits_usage(db, org_id, from, to, OB_CREDITS_BY_SERVICE, 10)) == NULL ||
	    (alloc = ob_credits_allocations(db, org_id, 0, 100, 0)) == NULL)
		goto out;
	chart(o, cJSON_GetObjectItem(days, "data"));
	cJSON_AddItemToObject(o, "metrics", m);
	m = NULL;
	cJSON_AddItemToObject(o, "usage_by_day", cJSON_DetachItemFromObject(days, "data"));
	cJSON_AddItemToObject(o, "top_users", cJSON_DetachItemFromObject(users, "data"));
	cJSON_AddItemToObject(o, "top_services", cJSON_DetachItemFromObject(svc, "data"));
	cJSON_AddItemToObject(o, "allocations", cJSON_DetachItemFromObject(alloc, "data"));
	rc = 0;
out:
	cJSON_Delete(m);
	cJSON_Delete(days);
	cJSON_Delete(users);
	cJSON_Delete(svc);
	cJSON_Delete(alloc);
	return rc;
}

cJSON *
ob_credits_overview(struct ob_db *db, int64_t org_id, int64_t user_id, int manager)
{
	static const char *const status_fields[] = { "available", "granted", "used",
	    "expired", "extra_tasks_used", "max_extra_tasks", "extra_credits_used", "members", NULL };
	char from[11], to[11];
	struct ob_fail f;
	cJSON *o = NULL, *st = NULL, *mine = NULL, *me, *ret = NULL;

	if (ob_credits_range(NULL, NULL, from, to, &f) != 0)
		return NULL;
	if ((st = ob_credits_status(db, org_id)) == NULL)
		goto out;
	/* The caller's own allowance (none for an API key: user_id 0). */
	if (user_id > 0 && (mine = ob_credits_allocations(db, org_id, 0, 1, user_id)) == NULL)
		goto out;
	fmt_fields(st, status_fields);
	o = overview_new(st, manager);
	me = mine != NULL ? cJSON_DetachItemFromArray(cJSON_GetObjectItem(mine, "data"), 0) : NULL;
	if (me != NULL)
		cJSON_AddItemToObject(o, "my_allocation", me);
	else
		cJSON_AddNullToObject(o, "my_allocation");
	cJSON_AddItemToObject(o, "pool", st);
	st = NULL;
	if (manager && add_manager_part(db, org_id, from, to, o) != 0)
		goto out;
	cJSON_AddStringToObject(o, "from", from);
	cJSON_AddStringToObject(o, "to", to);
	ret = o;
	o = NULL;
out:
	cJSON_Delete(o);
	cJSON_Delete(st);
	cJSON_Delete(mine);
	return ret;
}
