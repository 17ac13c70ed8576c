/*
 * Revenue over the real stack: the Stripe mirror records one history row
 * per change (a redelivered event adds none), and /admin/api/revenue,
 * /admin/revenue and its CSV give the figures of a hand-made history
 * (expected numbers worked out by hand, docs/ADMIN.md "Revenue").
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

static long
api(const char *key, const char *method, const char *path, const char *body, const char *idem)
{
	char h[128];
	const char *extra[2] = { h, NULL };
	struct t_resp r;
	long st;

	snprintf(h, sizeof(h), "Idempotency-Key: %s", idem);
	st = t_json_as(key, method, path, body, extra, &r);
	if (st >= 300)
		fprintf(stderr, "%s %s: %ld %s\n", method, path, st, r.body.data);
	t_resp_free(&r);
	return st;
}

START_TEST(history_one_row_per_change)
{
	char key[128], path[128], idem[64];
	long org;

	ck_assert_int_eq(t_fake("POST", "/_fake/webhooks/deliver", "{}", NULL, NULL), 200);
	t_reset_rate_limits();
	org = t_org_new("opsrev-hist", NULL, NULL);
	t_apikey_new(org, "admin,read", key, sizeof(key));
	snprintf(path, sizeof(path), API "/subscriptions/%ld", org);
	snprintf(idem, sizeof(idem), "opsrev-%d-create", (int)getpid());
	ck_assert_int_eq(api(key, "POST", path, "{\"plan\":\"business\",\"seats\":3,"
	    "\"cycle\":\"month\",\"payment_method\":\"pm_card_visa\"}", idem), 201);
	snprintf(idem, sizeof(idem), "opsrev-%d-seats", (int)getpid());
	ck_assert_int_eq(api(key, "PATCH", path, "{\"seats\":5}", idem), 200);
	/* Every event Stripe sent, delivered twice: the state is already recorded. */
	ck_assert_int_eq(t_fake("POST", "/_fake/webhooks/deliver", "{\"duplicate\":2}", NULL, NULL),
	    200);
	/* Business is 29.00 a seat a month: 3 seats 8700, then 5 seats 14500. */
	ck_assert_str_eq(t_sql_valuef("SELECT string_agg(seats || ':' || mrr || ':' || status, ','"
	    " ORDER BY at, id) FROM subscription_history WHERE org_id = %ld", org),
	    "3:8700:active,5:14500:active");
}
END_TEST

/* Hand-made history in the test currency xts (nothing else uses it). */
static void
seed_history(void)
{
	long a, b;

	if (atoi(t_sql_value("SELECT count(*) FROM subscription_history WHERE currency = 'xts'")) > 0)
		return;
	a = t_org_new("opsrev-a", NULL, NULL);
	b = t_org_new("opsrev-b", NULL, NULL);
	t_sqlf("INSERT INTO subscription_history (org_id, at, plan_code, cycle, seats, unit_amount,"
	    " currency, status, mrr) VALUES"
	    " (%ld, '2024-01-10T10:00:00Z', 'pro', 'month', 1, 1000, 'xts', 'active', 1000),"
	    " (%ld, '2024-01-20T10:00:00Z', 'team', 'month', 2, 1000, 'xts', 'active', 2000),"
	    " (%ld, '2024-02-15T10:00:00Z', 'pro', 'year', 1, 18000, 'xts', 'active', 1500),"
	    " (%ld, '2024-03-05T10:00:00Z', 'team', 'month', 2, 1000, 'xts', 'canceled', 0)",
	    a, b, a, b);
}

static const cJSON *
month_of(const cJSON *d, int i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(d, "months"), i);
}

START_TEST(api_figures_of_a_history)
{
	struct t_session staff;
	struct t_resp r;
	cJSON *d;
	const cJSON *m;

	seed_history();
	t_session_new("staff@orgbill.test", &staff);
	ck_assert_int_eq(t_get_as(staff.cookie, NULL,
	    "/admin/api/revenue?currency=xts&to=2024-03&months=3", &r), 200);
	d = t_json(&r);
	ck_assert_str_eq(t_jstr(d, "from"), "2024-01");
	ck_assert_str_eq(t_jstr(d, "to"), "2024-03");
	m = month_of(d, 0);	/* January: 0 → 3000, all new */
	ck_assert_int_eq(t_jnum(m, "mrr"), 3000);
	ck_assert_int_eq(t_jnum(m, "arr"), 36000);
	ck_assert_int_eq(t_jnum(m, "new_mrr"), 3000);
	ck_assert_int_eq(t_jnum(m, "nrr_bps"), -1);
	m = month_of(d, 1);	/* February: org a 1000 → 1500 */
	ck_assert_int_eq(t_jnum(m, "mrr"), 3500);
	ck_assert_int_eq(t_jnum(m, "expansion_mrr"), 500);
	ck_assert_int_eq(t_jnum(m, "nrr_bps"), 11667);
	m = month_of(d, 2);	/* March: org b churns 2000 */
	ck_assert_int_eq(t_jnum(m, "start_mrr"), 3500);
	ck_assert_int_eq(t_jnum(m, "mrr"), 1500);
	ck_assert_int_eq(t_jnum(m, "churned_mrr"), 2000);
	ck_assert_int_eq(t_jnum(m, "churned_customers"), 1);
	ck_assert_int_eq(t_jnum(m, "logo_churn_bps"), 5000);
	ck_assert_int_eq(t_jnum(m, "revenue_churn_bps"), 5714);
	ck_assert_int_eq(t_jnum(m, "nrr_bps"), 4286);
	ck_assert_str_eq(t_jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "active_by_plan"), 0),
	    "plan"), "pro");
	cJSON_Delete(d);
	t_resp_free(&r);
	/* The CSV: the same months, one line each. */
	ck_assert_int_eq(t_get_as(staff.cookie, NULL,
	    "/admin/revenue.csv?currency=xts&to=2024-03&months=3", &r), 200);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "text/csv"));
	ck_assert_ptr_nonnull(strstr(r.body.data,
	    "\r\n2024-03,xts,3500,1500,18000,0,0,0,2000,2,1,0,1,5000,5714,4286\r\n"));
	t_resp_free(&r);
	/* The page shows them too. */
	ck_assert_int_eq(t_get_as(staff.cookie, NULL,
	    "/admin/revenue?currency=xts&to=2024-03&months=3", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "42.86 %"));
	t_resp_free(&r);
}
END_TEST

START_TEST(api_refuses_bad_ranges)
{
	static const char *const bad[] = { "currency=USD", "currency=us", "to=2024-13",
	    "to=24-01", "to=2024-1x", "to=2024-+1", "to=2024-%201", "to=1999-12", "months=0", "months=37", "months=abc", "months=-3" };
	struct t_session staff;
	char path[128];
	size_t i;

	t_session_new("staff@orgbill.test", &staff);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/admin/api/revenue?%s", bad[i]);
		ck_assert_msg(t_get_as(staff.cookie, NULL, path, NULL) == 400, "%s", path);
	}
	ck_assert_int_eq(t_get_as(staff.cookie, NULL, "/admin/api/revenue", NULL), 200);
}
END_TEST

Suite *ops_revenue_db_suite(void)
{
	return t_suite("ops_revenue_db", 180, T_TESTS(history_one_row_per_change,
	    api_figures_of_a_history, api_refuses_bad_ranges));
}
