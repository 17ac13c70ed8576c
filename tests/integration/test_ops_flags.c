/*
 * Feature flags over the real stack: rules set through the staff form
 * (audited with the reason), the precedence org > plan > global checked
 * through /admin/api/flags, and the gate on the revenue CSV export, which
 * the workers see within their cache's few seconds.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "unit/unit.h"

static struct t_session staff;

static long
set_rule(const char *flag, const char *scope, const char *target, const char *state,
    int percent)
{
	char body[512];
	struct t_resp r;
	long st;

	snprintf(body, sizeof(body), "csrf=%s&flag=%s&scope=%s&target=%s&state=%s&percent=%d"
	    "&reason=ops+flags+test", staff.csrf, flag, scope, target, state, percent);
	st = t_form_as(staff.cookie, "/admin/flags", body, NULL, &r);
	if (st != 303)
		fprintf(stderr, "set_rule %s: %ld %.400s\n", body, st, r.body.data);
	t_resp_free(&r);
	return st;
}

/* /admin/api/flags?flag=&org_id= says the flag is on (1) or off (0). */
static int
check(const char *flag, long org)
{
	char path[160];
	struct t_resp r;
	cJSON *d;
	int on;

	snprintf(path, sizeof(path), "/admin/api/flags?flag=%s&org_id=%ld", flag, org);
	ck_assert_int_eq(t_get_as(staff.cookie, NULL, path, &r), 200);
	d = t_json(&r);
	on = cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "check"), "enabled"));
	cJSON_Delete(d);
	t_resp_free(&r);
	return on;
}

/* A new org with a subscription row on plan. */
static long
org_on_plan(const char *tag, const char *plan)
{
	long org = t_org_new(tag, NULL, NULL);

	t_sqlf("INSERT INTO subscriptions (org_id, plan_code, cycle, seats, unit_amount, status,"
	    " stripe_customer_id, stripe_subscription_id, stripe_item_id, stripe_price_id,"
	    " current_period_start, current_period_end) VALUES (%ld, '%s', 'month', 1, 100,"
	    " 'active', 'cus_%s', 'sub_opsflags_%ld', 'si_%ld', 'price_x', now(), now() + interval"
	    " '1 month')", org, plan, tag, org, org);
	return org;
}

START_TEST(precedence_org_plan_global)
{
	long a, b, c;
	char target[24];

	t_reset_rate_limits();
	t_session_new("staff@orgbill.test", &staff);
	a = org_on_plan("opsflag-a", "business");
	b = org_on_plan("opsflag-b", "business");
	c = org_on_plan("opsflag-c", "pro");
	/* No rule: off everywhere. */
	ck_assert_int_eq(check("test.precedence", a), 0);
	ck_assert_int_eq(set_rule("test.precedence", "global", "", "on", 100), 303);
	ck_assert_int_eq(check("test.precedence", a), 1);
	ck_assert_int_eq(check("test.precedence", c), 1);
	/* The plan's rule beats the global one. */
	ck_assert_int_eq(set_rule("test.precedence", "plan", "business", "off", 100), 303);
	ck_assert_int_eq(check("test.precedence", a), 0);
	ck_assert_int_eq(check("test.precedence", b), 0);
	ck_assert_int_eq(check("test.precedence", c), 1);
	/* The org's rule beats its plan's. */
	snprintf(target, sizeof(target), "%ld", a);
	ck_assert_int_eq(set_rule("test.precedence", "org", target, "on", 100), 303);
	ck_assert_int_eq(check("test.precedence", a), 1);
	ck_assert_int_eq(check("test.precedence", b), 0);
	/* Removing the org's rule gives the plan's back. */
	ck_assert_int_eq(set_rule("test.precedence", "org", target, "remove", 100), 303);
	ck_assert_int_eq(check("test.precedence", a), 0);
	/* Audited as staff with the reason. */
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE actor_type = 'staff'"
	    " AND action IN ('flag.set', 'flag.remove') AND reason = 'ops flags test'"
	    " AND target_id LIKE 'test.precedence/%%'"), "4");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE action = 'flag.set'"
	    " AND org_id = %ld", a), "1");
}
END_TEST

START_TEST(form_refuses_bad_rules)
{
	static const char *const bad[] = {
		"flag=Bad&scope=global&target=&state=on&reason=xyz",
		"flag=x&scope=team&target=&state=on&reason=xyz",
		"flag=x&scope=global&target=&state=maybe&reason=xyz",
		"flag=x&scope=global&target=&state=on&percent=101&reason=xyz",
		"flag=x&scope=global&target=&state=on",
		"flag=x&scope=global&target=pro&state=on&reason=xyz",
		"flag=x&scope=plan&target=nosuchplan&state=on&reason=xyz",
		"flag=x&scope=org&target=999999999&state=on&reason=xyz",
		"flag=x&scope=org&target=abc&state=on&reason=xyz",
	};
	char body[512];
	size_t i;

	t_reset_rate_limits();
	t_session_new("staff@orgbill.test", &staff);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "csrf=%s&%s", staff.csrf, bad[i]);
		ck_assert_msg(t_form_as(staff.cookie, "/admin/flags", body, NULL, NULL) == 400, "%s",
		    bad[i]);
	}
	ck_assert_str_eq(t_sql_value("SELECT count(*) FROM feature_flags WHERE flag = 'x'"), "0");
}
END_TEST

START_TEST(revenue_csv_gated_by_flag)
{
	int i;
	long st = 0;

	t_reset_rate_limits();
	t_session_new("staff@orgbill.test", &staff);
	ck_assert_int_eq(t_get_as(staff.cookie, NULL, "/admin/revenue.csv", NULL), 200);
	ck_assert_int_eq(set_rule("ops.revenue_csv", "global", "", "off", 100), 303);
	/* Each worker's cache lasts a few seconds. */
	for (i = 0; i < 16 && (st = t_get_as(staff.cookie, NULL, "/admin/revenue.csv", NULL)) != 404; i++)
		t_sleep_ms(500);
	ck_assert_int_eq(st, 404);
	ck_assert_int_eq(set_rule("ops.revenue_csv", "global", "", "on", 100), 303);
	for (i = 0; i < 16 && (st = t_get_as(staff.cookie, NULL, "/admin/revenue.csv", NULL)) != 200; i++)
		t_sleep_ms(500);
	ck_assert_int_eq(st, 200);
}
END_TEST

Suite *ops_flags_db_suite(void)
{
	return t_suite("ops_flags_db", 120, T_TESTS(precedence_org_plan_global,
	    form_refuses_bad_rules, revenue_csv_gated_by_flag));
}
