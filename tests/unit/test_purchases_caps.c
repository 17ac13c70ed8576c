/*
 * Money arithmetic at the limits: credit prices (purchases and extra-task
 * items) are credits × per_1000 with checked multiplication and a cap;
 * nothing wraps. The expected figures are worked out by hand.
 */
#include <check.h>
#include <stdint.h>

#include "base/num.h"
#include "invoices/invoices.h"

START_TEST(caps_num_mul_limits)
{
	int64_t v = 42;

	ck_assert_int_eq(ob_num_mul(INT64_MAX, 1, &v), 0);
	ck_assert(v == INT64_MAX);
	ck_assert_int_eq(ob_num_mul(3037000499LL, 3037000499LL, &v), 0);
	ck_assert(v == 9223372030926249001LL);
	v = 42;
	/* 3037000500² = 9223372037000250000 > 2^63 - 1 */
	ck_assert_int_eq(ob_num_mul(3037000500LL, 3037000500LL, &v), -1);
	ck_assert(v == 42);
	ck_assert_int_eq(ob_num_mul(INT64_MIN, -1, &v), -1);
	ck_assert_int_eq(ob_num_mul(INT64_MAX, 2, &v), -1);
	ck_assert(v == 42);
}
END_TEST

START_TEST(caps_credit_amount_limits)
{
	int64_t a = 42;

	/* The largest purchase at the default price: 10^8 × 100 / 1000. */
	ck_assert_int_eq(ob_invoices_credit_amount(100000000, 100, OB_INVOICES_AMOUNT_MAX, &a), 0);
	ck_assert(a == 10000000);
	/* Exactly Stripe's cap, and half a cent over it (rounds up past it). */
	ck_assert_int_eq(ob_invoices_credit_amount(999999990, 100, 99999999, &a), 0);
	ck_assert(a == 99999999);
	a = 42;
	ck_assert_int_eq(ob_invoices_credit_amount(999999995, 100, 99999999, &a), -1);
	ck_assert(a == 42);
	/* 10^8 credits at the highest price setting: 10^16 / 1000 = 10^13, over the cap. */
	ck_assert_int_eq(ob_invoices_credit_amount(100000000, 100000000, OB_INVOICES_AMOUNT_MAX,
	    &a), -1);
	ck_assert(a == 42);
	/* The product overflows: refused, never wrapped. */
	ck_assert_int_eq(ob_invoices_credit_amount(INT64_MAX, 2, INT64_MAX, &a), -1);
	ck_assert_int_eq(ob_invoices_credit_amount(-1, INT64_MIN, INT64_MAX, &a), -1);
	ck_assert(a == 42);
	/* The product fits exactly: 9223372036854775807 / 1000 = …775.807 → …776. */
	ck_assert_int_eq(ob_invoices_credit_amount(INT64_MAX, 1, INT64_MAX, &a), 0);
	ck_assert(a == 9223372036854776LL);
	/* -9223372036854775808 / 1000 = -…775.808 → -…776 (away from zero). */
	ck_assert_int_eq(ob_invoices_credit_amount(INT64_MIN, 1, INT64_MAX, &a), 0);
	ck_assert(a == -9223372036854776LL);
}
END_TEST

START_TEST(caps_credit_price_overflow)
{
	ck_assert(ob_invoices_credit_price(INT64_MAX, 2) == -1);
	ck_assert(ob_invoices_credit_price(4611686018427387904LL, 4) == -1);	/* 2^62 × 4 */
	ck_assert(ob_invoices_credit_price(12345, 100) == 1235);
}
END_TEST

Suite *purchases_caps_suite(void)
{
	Suite *s = suite_create("purchases_caps");
	TCase *tc = tcase_create("limits");

	tcase_add_test(tc, caps_num_mul_limits);
	tcase_add_test(tc, caps_credit_amount_limits);
	tcase_add_test(tc, caps_credit_price_overflow);
	suite_add_tcase(s, tc);
	return s;
}
