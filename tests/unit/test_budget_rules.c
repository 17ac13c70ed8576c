/*
 * Budget arithmetic (docs/BUDGETS.md): money converts to credits rounding
 * down, the smaller of two amounts counts; threshold lists are normalized.
 * Expected values by hand.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "credits/budgets.h"

START_TEST(money_converts_rounding_down)
{
	/* 100 minor units per 1000 credits: 1 minor unit = 10 credits, exact. */
	ck_assert_int_eq(ob_budget_limit(0, 0, 1, 1234, 100), 12340);
	/* 300 per 1000: 1 → 3.33 → 3; 2 → 6.67 → 6; 3 → 10. */
	ck_assert_int_eq(ob_budget_limit(0, 0, 1, 1, 300), 3);
	ck_assert_int_eq(ob_budget_limit(0, 0, 1, 2, 300), 6);
	ck_assert_int_eq(ob_budget_limit(0, 0, 1, 3, 300), 10);
	/* 10^12 minor units at 1 per 1000: 10^15 credits, no overflow. */
	ck_assert_int_eq(ob_budget_limit(0, 0, 1, 1000000000000LL, 1), 1000000000000000LL);
	/* Both: the smaller. */
	ck_assert_int_eq(ob_budget_limit(1, 9999, 1, 1234, 100), 9999);
	ck_assert_int_eq(ob_budget_limit(1, 20000, 1, 1234, 100), 12340);
	ck_assert_int_eq(ob_budget_limit(1, 7, 0, 0, 0), 7);
	/* Neither, a bad price, out of range. */
	ck_assert_int_eq(ob_budget_limit(0, 0, 0, 0, 100), -1);
	ck_assert_int_eq(ob_budget_limit(0, 0, 1, 5, 0), -1);
	ck_assert_int_eq(ob_budget_limit(0, 0, 1, 1000000000001LL, 100), -1);
}
END_TEST

START_TEST(thresholds_normalized)
{
	char out[32];

	ck_assert_int_eq(ob_budget_thresholds("90, 75,100", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "75,90,100");
	ck_assert_int_eq(ob_budget_thresholds("50,50", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "50");
	ck_assert_int_eq(ob_budget_thresholds("1,2,3,4,5", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1,2,3,4,5");
	ck_assert_int_eq(ob_budget_thresholds("1,2,3,4,5,6", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_budget_thresholds("0,50", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_budget_thresholds("101", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_budget_thresholds("50,", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_budget_thresholds(",50", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_budget_thresholds("", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_budget_thresholds("5 0", out, sizeof(out)), -1);
	ck_assert_int_eq(ob_budget_thresholds("0000000000075", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "75");
}
END_TEST

Suite *
budget_rules_suite(void)
{
	Suite *s = suite_create("budget_rules");
	TCase *tc = tcase_create("arithmetic");

	tcase_add_test(tc, money_converts_rounding_down);
	tcase_add_test(tc, thresholds_normalized);
	suite_add_tcase(s, tc);
	return s;
}
