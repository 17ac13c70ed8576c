/*
 * Usage analytics over the real stack (docs/ANALYTICS.md): usage rows made
 * by the real deduct_credits() on known days (then moved to those days with
 * their rollups rebuilt, so the ledger still verifies), with bucket sums
 * written by hand; the CSV export; the forecast on an exact series; and
 * another org's key seeing none of it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

static int seq;

/* Deduct amount for user in org on day (YYYY-MM-DD, or an SQL date expression). */
static void
use_on(long org, long user, int amount, const char *service, const char *model, const char *day)
{
	char key[64];

	snprintf(key, sizeof(key), "anl-%d-%d", (int)getpid(), ++seq);
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM deduct_credits(%ld, %ld, %d, '%s', %s%s%s,"
	    " '%s', NULL, NULL, NULL)", org, user, amount, service, model ? "'" : "",
	    model ? model : "NULL", model ? "'" : "", key), "ok");
	t_sqlf("UPDATE credit_usage SET day = %s WHERE idem_key = '%s'", day, key);
}

/* Rebuild org's rollups from its usage entries (after the days were moved). */
static void
rebuild_rollups(long org)
{
	const char *pool = t_sql_valuef("SELECT id FROM credit_pools WHERE org_id = %ld", org);
	long p = atol(pool);

	t_sqlf("DELETE FROM credit_rollup_day WHERE pool_id = %ld", p);
	t_sqlf("DELETE FROM credit_rollup_user_day WHERE pool_id = %ld", p);
	t_sqlf("INSERT INTO credit_rollup_day (pool_id, day, service, amount, n)"
	    " SELECT pool_id, day, service, sum(amount), count(*) FROM credit_usage"
	    " WHERE pool_id = %ld GROUP BY 1, 2, 3", p);
	t_sqlf("INSERT INTO credit_rollup_user_day (pool_id, day, user_id, amount, n)"
	    " SELECT pool_id, day, user_id, sum(amount), count(*) FROM credit_usage"
	    " WHERE pool_id = %ld GROUP BY 1, 2, 3", p);
}

static void
grant(long org, long amount)
{
	t_sqlf("SELECT 1 FROM add_credits_to_pool(%ld, NULL, %ld, 'manual', NULL, 100,"
	    " 'analytics test', 'test', NULL)", org, amount);
}

/* The org under test: usage on known days in January and February 2026. */
static long org, alice, bob;
static char key[128], other_key[128];

static void
setup_usage(void)
{
	org = t_org_new("anl", "Analytics Ltd", NULL);
	alice = t_member_new(org, "member", "Research");
	bob = t_member_new(org, "member", "Sales");
	grant(org, 100000);
	use_on(org, alice, 100, "chat", "m-large", "'2026-01-05'");	/* a Monday */
	use_on(org, alice, 50, "chat", "m-small", "'2026-01-06'");
	use_on(org, bob, 30, "=cmd", NULL, "'2026-01-06'");
	use_on(org, bob, 7, "embed", "m-small", "'2026-01-12'");
	use_on(org, alice, 20, "embed", "m-large", "'2026-02-02'");	/* a Monday */
	rebuild_rollups(org);
	t_apikey_new(org, "read", key, sizeof(key));
	t_apikey_new(t_org_id("globex"), "read,admin", other_key, sizeof(other_key));
}

/* GET path?query with key: the status, the body parsed into *out. */
static long
get(const char *k, long o, const char *what, const char *query, cJSON **out)
{
	struct t_resp r;
	char path[256];
	long st;

	snprintf(path, sizeof(path), API "/analytics/%ld/%s%s%s", o, what, query ? "?" : "",
	    query ? query : "");
	st = t_get_as(NULL, k, path, &r);
	*out = cJSON_Parse(r.body.data ? r.body.data : "");
	t_resp_free(&r);
	return st;
}

/* The credits of the row with bucket and key (NULL: no key) in list, or -1. */
static long long
cell(const cJSON *list, const char *bucket, const char *k)
{
	const cJSON *row;

	cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(list, "data")) {
		if (strcmp(t_jstr(row, "bucket"), bucket) != 0)
			continue;
		if (k != NULL && strcmp(t_jstr(row, "key"), k) != 0)
			continue;
		return t_jnum(row, "credits");
	}
	return -1;
}

static int
rows(const cJSON *list)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "data"));
}

START_TEST(usage_buckets)
{
	cJSON *l;

	setup_usage();
	ck_assert_int_eq(get(key, org, "usage", "from=2026-01-01&to=2026-02-28", &l), 200);
	ck_assert_int_eq(rows(l), 4);
	ck_assert_int_eq(cell(l, "2026-01-05", NULL), 100);
	ck_assert_int_eq(cell(l, "2026-01-06", NULL), 80);
	ck_assert_int_eq(cell(l, "2026-01-12", NULL), 7);
	ck_assert_int_eq(cell(l, "2026-02-02", NULL), 20);
	ck_assert_str_eq(t_jstr(l, "group"), "day");
	cJSON_Delete(l);

	ck_assert_int_eq(get(key, org, "usage", "from=2026-01-01&to=2026-02-28&group=week", &l), 200);
	ck_assert_int_eq(rows(l), 3);
	ck_assert_int_eq(cell(l, "2026-01-05", NULL), 180);
	ck_assert_int_eq(cell(l, "2026-01-12", NULL), 7);
	ck_assert_int_eq(cell(l, "2026-02-02", NULL), 20);
	cJSON_Delete(l);

	/* The range cuts: only days from..to count, in a bucket named by its first day. */
	ck_assert_int_eq(get(key, org, "usage", "from=2026-01-06&to=2026-01-31&group=month", &l),
	    200);
	ck_assert_int_eq(rows(l), 1);
	ck_assert_int_eq(cell(l, "2026-01-01", NULL), 87);
	cJSON_Delete(l);
}
END_TEST

START_TEST(usage_dimensions)
{
	const char *q = "from=2026-01-01&to=2026-02-28&group=month&by=";
	char query[128], a[24], b[24];
	cJSON *l;

	setup_usage();
	snprintf(a, sizeof(a), "%ld", alice);
	snprintf(b, sizeof(b), "%ld", bob);
	snprintf(query, sizeof(query), "%sservice", q);
	ck_assert_int_eq(get(key, org, "usage", query, &l), 200);
	ck_assert_int_eq(rows(l), 4);
	ck_assert_int_eq(cell(l, "2026-01-01", "chat"), 150);
	ck_assert_int_eq(cell(l, "2026-01-01", "=cmd"), 30);
	ck_assert_int_eq(cell(l, "2026-01-01", "embed"), 7);
	ck_assert_int_eq(cell(l, "2026-02-01", "embed"), 20);
	cJSON_Delete(l);

	snprintf(query, sizeof(query), "%smember", q);
	ck_assert_int_eq(get(key, org, "usage", query, &l), 200);
	ck_assert_int_eq(rows(l), 3);
	ck_assert_int_eq(cell(l, "2026-01-01", a), 150);
	ck_assert_int_eq(cell(l, "2026-01-01", b), 37);
	ck_assert_int_eq(cell(l, "2026-02-01", a), 20);
	cJSON_Delete(l);

	snprintf(query, sizeof(query), "%sdepartment", q);
	ck_assert_int_eq(get(key, org, "usage", query, &l), 200);
	ck_assert_int_eq(rows(l), 3);
	ck_assert_int_eq(cell(l, "2026-01-01", "Research"), 150);
	ck_assert_int_eq(cell(l, "2026-01-01", "Sales"), 37);
	ck_assert_int_eq(cell(l, "2026-02-01", "Research"), 20);
	cJSON_Delete(l);

	snprintf(query, sizeof(query), "%smodel", q);
	ck_assert_int_eq(get(key, org, "usage", query, &l), 200);
	ck_assert_int_eq(rows(l), 4);
	ck_assert_int_eq(cell(l, "2026-01-01", "m-large"), 100);
	ck_assert_int_eq(cell(l, "2026-01-01", "m-small"), 57);
	ck_assert_int_eq(cell(l, "2026-01-01", ""), 30);
	ck_assert_int_eq(cell(l, "2026-02-01", "m-large"), 20);
	cJSON_Delete(l);

	/* Bad input: 400. */
	ck_assert_int_eq(get(key, org, "usage", "by=team", &l), 400);
	cJSON_Delete(l);
	ck_assert_int_eq(get(key, org, "usage", "group=year", &l), 400);
	cJSON_Delete(l);
	ck_assert_int_eq(get(key, org, "usage", "from=2025-01-01&to=2026-02-28", &l), 400);
	cJSON_Delete(l);
}
END_TEST

START_TEST(usage_csv)
{
	const char *q[] = { "usage.csv?from=2026-01-01&to=2026-02-28&group=month&by=service",
		"usage?from=2026-01-01&to=2026-02-28&group=month&by=service&format=csv" };
	char path[256];
	struct t_resp r;
	int i;

	setup_usage();
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), API "/analytics/%ld/%s", org, q[i]);
		ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
		ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "text/csv"));
		ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Disposition"), "attachment;"));
		ck_assert_ptr_nonnull(strstr(r.body.data, "bucket,key,label,credits\r\n"));
		ck_assert_ptr_nonnull(strstr(r.body.data, "2026-01-01,chat,chat,150\r\n"));
		/* A cell that would be a formula: quoted and prefixed. */
		ck_assert_ptr_nonnull(strstr(r.body.data, "2026-01-01,\"'=cmd\",\"'=cmd\",30\r\n"));
		ck_assert_ptr_nonnull(strstr(r.body.data, "2026-02-01,embed,embed,20\r\n"));
		t_resp_free(&r);
	}
}
END_TEST

START_TEST(usage_cross_tenant)
{
	char path[256];
	struct t_resp r;
	cJSON *l;
	long st;

	setup_usage();
	/* Another org's key on this org's id: refused, none of its data. */
	snprintf(path, sizeof(path), API "/analytics/%ld/usage.csv?from=2026-01-01&to=2026-02-28",
	    org);
	st = t_get_as(NULL, other_key, path, &r);
	ck_assert(st == 403 || st == 404);
	ck_assert_ptr_null(strstr(r.body.data ? r.body.data : "", "2026-01-05"));
	t_resp_free(&r);
	st = get(other_key, org, "usage", "from=2026-01-01&to=2026-02-28&by=service", &l);
	ck_assert(st == 403 || st == 404);
	ck_assert_int_eq(rows(l), 0);
	cJSON_Delete(l);
	st = get(other_key, org, "forecast", NULL, &l);
	ck_assert(st == 403 || st == 404);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(l, "pool"));
	cJSON_Delete(l);
	/* This org's key on the other org's id: the same. */
	st = get(key, t_org_id("globex"), "forecast", NULL, &l);
	ck_assert(st == 403 || st == 404);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(l, "pool"));
	cJSON_Delete(l);
}
END_TEST

/* SQL's answer as a string (the expected dates come from the database's clock). */
static const char *
sqlday(const char *expr)
{
	static char buf[16];

	snprintf(buf, sizeof(buf), "%s",
	    t_sql_valuef("SELECT (%s)::text", expr));
	return buf;
}

START_TEST(forecast_steady)
{
	long o = t_org_new("anlf", NULL, NULL), m = t_member_new(o, "member", NULL);
	long idle = t_member_new(o, "member", NULL);
	const cJSON *pool, *per, *al, *row;
	char k[128], today[16], expr[160];
	long long used;
	cJSON *f;
	int d;

	/* 100 credits a day for the 28 days before today: 2800 of 10000 used. */
	grant(o, 10000);
	for (d = 28; d >= 1; d--) {
		snprintf(expr, sizeof(expr), "(now() AT TIME ZONE 'UTC')::date - %d", d);
		use_on(o, m, 100, "chat", NULL, expr);
	}
	rebuild_rollups(o);
	/* Allocations after the days moved: their use is counted from the rollups. */
	t_sqlf("SELECT 1 FROM allocate_credits_to_user(%ld, %ld, 0, 'test')", o, m);
	used = atoll(t_sql_valuef("SELECT used FROM credit_allocations WHERE user_id = %ld", m));
	t_sqlf("SELECT 1 FROM allocate_credits_to_user(%ld, %ld, %lld, 'test')", o, m, used + 50);
	t_sqlf("SELECT 1 FROM allocate_credits_to_user(%ld, %ld, 500, 'test')", o, idle);
	t_apikey_new(o, "admin", k, sizeof(k));
	snprintf(today, sizeof(today), "%s", sqlday("(now() AT TIME ZONE 'UTC')::date"));

	ck_assert_int_eq(get(k, o, "forecast", NULL, &f), 200);
	ck_assert_str_eq(t_jstr(f, "method"), "holt_winters_additive_7");
	ck_assert_str_eq(t_jstr(f, "as_of"), today);
	pool = cJSON_GetObjectItemCaseSensitive(f, "pool");
	ck_assert_str_eq(t_jstr(pool, "status"), "ok");
	ck_assert_int_eq(t_jnum(pool, "available"), 7200);
	ck_assert_int_eq(t_jnum(pool, "history_days"), 28);
	ck_assert_int_eq(t_jnum(pool, "forecast_today"), 100);
	/* 7200 at 100 a day: the 72nd day from today (today is the 1st). */
	ck_assert_str_eq(t_jstr(pool, "runs_out_on"), sqlday("(now() AT TIME ZONE 'UTC')::date + 71"));
	ck_assert_str_eq(t_jstr(pool, "runs_out_earliest"),
	    sqlday("(now() AT TIME ZONE 'UTC')::date + 71"));
	ck_assert_str_eq(t_jstr(pool, "runs_out_latest"),
	    sqlday("(now() AT TIME ZONE 'UTC')::date + 71"));
	/* The period is the calendar month: used so far plus 100 for each day left. */
	per = cJSON_GetObjectItemCaseSensitive(f, "period");
	ck_assert_str_eq(t_jstr(per, "end"), sqlday("(date_trunc('month', now() AT TIME ZONE 'UTC')"
	    " + interval '1 month' - interval '1 day')::date"));
	ck_assert_int_eq(t_jnum(per, "forecast_total") - t_jnum(per, "used"),
	    100 * atoll(t_sql_valuef("SELECT ((date_trunc('month', now() AT TIME ZONE 'UTC')"
	    " + interval '1 month')::date - (now() AT TIME ZONE 'UTC')::date)")));
	ck_assert_int_eq(t_jnum(per, "used"), atoll(t_sql_valuef("SELECT 100 * count(*) FROM"
	    " generate_series(1, 28) d WHERE (now() AT TIME ZONE 'UTC')::date - d"
	    " >= date_trunc('month', now() AT TIME ZONE 'UTC')::date")));
	/* The member 50 short of the limit runs out today; the idle one: not enough data. */
	al = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(f, "allocations"),
	    "data");
	ck_assert_int_eq(cJSON_GetArraySize(al), 2);
	cJSON_ArrayForEach(row, al) {
		if (t_jnum(row, "user_id") == m) {
			ck_assert_str_eq(t_jstr(row, "status"), "ok");
			ck_assert_int_eq(t_jnum(row, "remaining"), 50);
			ck_assert_str_eq(t_jstr(row, "runs_out_on"), today);
		} else {
			ck_assert_int_eq(t_jnum(row, "user_id"), idle);
			ck_assert_str_eq(t_jstr(row, "status"), "not_enough_data");
			ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "runs_out_on")));
		}
	}
	cJSON_Delete(f);
}
END_TEST

START_TEST(forecast_not_enough_data)
{
	long o = t_org_new("anln", NULL, NULL), m = t_member_new(o, "member", NULL);
	const cJSON *pool, *per;
	char k[128], expr[128];
	cJSON *f;
	int d;

	/* 13 days of use: one short of the minimum. */
	grant(o, 10000);
	for (d = 13; d >= 1; d--) {
		snprintf(expr, sizeof(expr), "(now() AT TIME ZONE 'UTC')::date - %d", d);
		use_on(o, m, 10, "chat", NULL, expr);
	}
	rebuild_rollups(o);
	t_apikey_new(o, "read", k, sizeof(k));
	ck_assert_int_eq(get(k, o, "forecast", NULL, &f), 200);
	pool = cJSON_GetObjectItemCaseSensitive(f, "pool");
	ck_assert_str_eq(t_jstr(pool, "status"), "not_enough_data");
	ck_assert_int_eq(t_jnum(pool, "history_days"), 13);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(pool, "runs_out_on")));
	per = cJSON_GetObjectItemCaseSensitive(f, "period");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(per, "forecast_total")));
	cJSON_Delete(f);
}
END_TEST

Suite *analytics_api_suite(void);

Suite *
analytics_api_suite(void)
{
	return t_suite("analytics_api", 60,
	    T_TESTS(usage_buckets, usage_dimensions, usage_csv, usage_cross_tenant, forecast_steady,
		forecast_not_enough_data));
}
