/*
 * Feature flags (core/billing/flags.c): the rollout bucket is FNV-1a of
 * "flag:org_id" mod 100 (values below from an independent implementation),
 * spreads orgs evenly, and the most specific rule wins.
 */
#include <check.h>
#include <string.h>

#include "billing/flags.h"
#include "unit/unit.h"

START_TEST(bucket_is_stable)
{
	ck_assert_uint_eq(ob_flags_bucket("ops.revenue_csv", 1), 79);
	ck_assert_uint_eq(ob_flags_bucket("ops.revenue_csv", 2), 98);
	ck_assert_uint_eq(ob_flags_bucket("ops.revenue_csv", 3), 17);
	ck_assert_uint_eq(ob_flags_bucket("ops.revenue_csv", 42), 2);
	ck_assert_uint_eq(ob_flags_bucket("ops.revenue_csv", 1000), 45);
	/* Another flag puts the same org elsewhere. */
	ck_assert_uint_eq(ob_flags_bucket("console.banner", 42), 82);
	ck_assert_uint_eq(ob_flags_bucket("console.banner", 1000), 37);
}
END_TEST

START_TEST(bucket_spreads_orgs)
{
	int64_t org;
	int below = 0;

	for (org = 1; org <= 10000; org++)
		below += ob_flags_bucket("console.banner", org) < 30;
	/* 30 % of 10000, within two points. */
	ck_assert_int_ge(below, 2800);
	ck_assert_int_le(below, 3200);
}
END_TEST

static struct ob_flag_rule
rule(const char *flag, const char *scope, const char *target, int enabled, int percent)
{
	struct ob_flag_rule r;

	memset(&r, 0, sizeof(r));
	strcpy(r.flag, flag);
	strcpy(r.scope, scope);
	strcpy(r.target, target);
	r.enabled = enabled;
	r.percent = percent;
	return r;
}

START_TEST(decide_precedence)
{
	struct ob_flag_rule rs[5];

	rs[0] = rule("f", "global", "", 1, 100);
	rs[1] = rule("f", "plan", "pro", 0, 100);
	rs[2] = rule("f", "org", "7", 1, 100);
	rs[3] = rule("g", "org", "8", 1, 100);
	rs[4] = rule("h", "global", "", 1, 30);
	ck_assert_int_eq(ob_flags_decide(rs, 5, "f", 7, "pro"), 1);	/* org beats plan */
	ck_assert_int_eq(ob_flags_decide(rs, 5, "f", 8, "pro"), 0);	/* plan beats global */
	ck_assert_int_eq(ob_flags_decide(rs, 5, "f", 9, "team"), 1);	/* global */
	ck_assert_int_eq(ob_flags_decide(rs, 5, "f", 9, ""), 1);
	ck_assert_int_eq(ob_flags_decide(rs, 5, "f", 0, NULL), 1);
	ck_assert_int_eq(ob_flags_decide(rs, 5, "g", 8, "pro"), 1);
	ck_assert_int_eq(ob_flags_decide(rs, 5, "g", 9, "pro"), 0);	/* no rule: off */
	ck_assert_int_eq(ob_flags_decide(rs, 5, "nope", 7, "pro"), 0);
	/* 30 %: org 42's bucket for h decides; no org is never in a partial rollout. */
	ck_assert_int_eq(ob_flags_decide(rs, 5, "h", 42, NULL), ob_flags_bucket("h", 42) < 30);
	ck_assert_int_eq(ob_flags_decide(rs, 5, "h", 0, NULL), 0);
	rs[4].percent = 0;
	ck_assert_int_eq(ob_flags_decide(rs, 5, "h", 42, NULL), 0);
}
END_TEST

START_TEST(decide_partial_by_bucket)
{
	struct ob_flag_rule rs[1];

	/* ops.revenue_csv: org 42 is in bucket 2, org 3 in 17, org 1 in 79. */
	rs[0] = rule("ops.revenue_csv", "global", "", 1, 18);
	ck_assert_int_eq(ob_flags_decide(rs, 1, "ops.revenue_csv", 42, NULL), 1);
	ck_assert_int_eq(ob_flags_decide(rs, 1, "ops.revenue_csv", 3, NULL), 1);
	ck_assert_int_eq(ob_flags_decide(rs, 1, "ops.revenue_csv", 1, NULL), 0);
	rs[0].percent = 17;
	ck_assert_int_eq(ob_flags_decide(rs, 1, "ops.revenue_csv", 3, NULL), 0);
}
END_TEST

Suite *
ops_flags_suite(void)
{
	Suite *s = suite_create("ops_flags");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, bucket_is_stable);
	tcase_add_test(tc, bucket_spreads_orgs);
	tcase_add_test(tc, decide_precedence);
	tcase_add_test(tc, decide_partial_by_bucket);
	suite_add_tcase(s, tc);
	return s;
}
