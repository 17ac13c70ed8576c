/*
 * Proration and billing periods (core/proration.c): Stripe's to-the-second
 * rule, the plain per-day formula, and period ends at the calendar's edges.
 */
#include <check.h>

#include "billing/proration.h"
#include "unit/unit.h"

/* 2028-01-31T10:00:00Z etc., from the civil-date helper itself. */
static int64_t
ts(int64_t y, unsigned m, unsigned d, int64_t hh, int64_t mm, int64_t ss)
{
	return ob_proration_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

/* ob_proration_amount(unit, qty, remaining, period) succeeds with want. */
static void
amount_is(int64_t unit, int64_t qty, int64_t remaining, int64_t period, int64_t want)
{
	int64_t v;

	ck_assert_int_eq(ob_proration_amount(unit, qty, remaining, period, &v), 0);
	ck_assert_msg(v == want, "amount(%lld, %lld, %lld, %lld) = %lld, want %lld", (long long)unit,
	    (long long)qty, (long long)remaining, (long long)period, (long long)v, (long long)want);
}

START_TEST(div_round_half_away)
{
	ck_assert_int_eq(ob_proration_div_round(5, 2), 3);
	ck_assert_int_eq(ob_proration_div_round(-5, 2), -3);
	ck_assert_int_eq(ob_proration_div_round(4, 3), 1);
	ck_assert_int_eq(ob_proration_div_round(-4, 3), -1);
	ck_assert_int_eq(ob_proration_div_round(149, 100), 1);
	ck_assert_int_eq(ob_proration_div_round(150, 100), 2);
	ck_assert_int_eq(ob_proration_div_round(-150, 100), -2);
	ck_assert_int_eq(ob_proration_div_round(0, 7), 0);
}
END_TEST

START_TEST(stripe_example_half_period)
{
	/* $10 → $20 at half the period: −$5.00 and +$10.00. */
	amount_is(-1000, 1, 50, 100, -500);
	amount_is(2000, 1, 50, 100, 1000);
}
END_TEST

START_TEST(first_and_last_second)
{
	int64_t start = ts(2027, 3, 1, 0, 0, 0);
	int64_t end = ob_proration_period_end(start, OB_INTERVAL_MONTH, 0);
	int64_t period = end - start;

	ck_assert_int_eq(period, 31 * 86400);
	/* The first second: the whole period remains. */
	amount_is(4900, 3, period, period, 14700);
	/* One second in. 14700 × 2678399 / 2678400 = 14699.9945 → 14700. */
	amount_is(4900, 3, period - 1, period, 14700);
	/* The last second: 14700 / 2678400 → 0. */
	amount_is(4900, 3, 1, period, 0);
	/* At the end: nothing. */
	amount_is(4900, 3, 0, period, 0);
	/* Credits are symmetric (half away from zero). */
	amount_is(-4900, 3, period / 2, period, -7350);
}
END_TEST

START_TEST(rounds_once_half_away)
{
	/* 2900 × 1 × 1 / 2 = 1450 exactly; 2900 × 1 × 1 / 8 = 362.5 → 363. */
	amount_is(2900, 1, 1, 8, 363);
	amount_is(-2900, 1, 1, 8, -363);
	/* Rounded once on the line, not per seat: 3 × 362.5 = 1087.5 → 1088 (not 3 × 363). */
	amount_is(2900, 3, 1, 8, 1088);
}
END_TEST

START_TEST(bounds_refused)
{
	int64_t v;

	ck_assert_int_eq(ob_proration_amount(100, 1, 5, 0, &v), -1);
	ck_assert_int_eq(ob_proration_amount(100, 1, 6, 5, &v), -1);
	ck_assert_int_eq(ob_proration_amount(100, 1, -1, 5, &v), -1);
	ck_assert_int_eq(ob_proration_amount(100, -1, 1, 5, &v), -1);
	ck_assert_int_eq(ob_proration_amount(OB_PRORATION_AMOUNT_MAX + 1, 1, 1, 5, &v), -1);
	/* The largest inputs stay exact (no overflow). */
	ck_assert_int_eq(ob_proration_amount(OB_PRORATION_AMOUNT_MAX, OB_PRORATION_QTY_MAX,
	    OB_PRORATION_PERIOD_MAX - 1, OB_PRORATION_PERIOD_MAX, &v), 0);
	ck_assert(v > 0);
}
END_TEST

START_TEST(month_ends_clamp)
{
	int64_t jan31 = ts(2027, 1, 31, 10, 0, 0), e1, e2;

	/* Jan 31 → Feb 28 (2027) → Mar 31: the anchor's day comes back. */
	e1 = ob_proration_period_end(jan31, OB_INTERVAL_MONTH, jan31);
	ck_assert_int_eq(e1, ts(2027, 2, 28, 10, 0, 0));
	e2 = ob_proration_period_end(e1, OB_INTERVAL_MONTH, jan31);
	ck_assert_int_eq(e2, ts(2027, 3, 31, 10, 0, 0));
	/* Dec 31 → Jan 31 of the next year. */
	ck_assert_int_eq(ob_proration_period_end(ts(2027, 12, 31, 0, 0, 0), OB_INTERVAL_MONTH, 0),
	    ts(2028, 1, 31, 0, 0, 0));
	/* Apr 30 anchored on the 31st → May 31. */
	ck_assert_int_eq(ob_proration_period_end(ts(2027, 4, 30, 0, 0, 0), OB_INTERVAL_MONTH,
	    jan31), ts(2027, 5, 31, 10, 0, 0));
}
END_TEST

START_TEST(leap_years)
{
	int64_t jan31 = ts(2028, 1, 31, 0, 0, 0), feb29 = ts(2028, 2, 29, 0, 0, 0);

	ck_assert_int_eq(ob_proration_period_end(jan31, OB_INTERVAL_MONTH, 0), feb29);
	/* February 2028 has 29 days: half of it is 14.5 days. */
	ck_assert_int_eq(ob_proration_period_end(feb29 - 29 * 86400, OB_INTERVAL_MONTH, 0), feb29);
	amount_is(2900, 1, 29 * 86400 / 2, 29 * 86400, 1450);
	/* Annual from Feb 29 → Feb 28 of 2029; from Feb 28 2027 → Feb 28 2028 (365 days). */
	ck_assert_int_eq(ob_proration_period_end(feb29, OB_INTERVAL_YEAR, 0), ts(2029, 2, 28, 0, 0, 0));
	ck_assert_int_eq(ob_proration_period_end(ts(2027, 3, 1, 0, 0, 0), OB_INTERVAL_YEAR, 0) -
	    ts(2027, 3, 1, 0, 0, 0), 366 * 86400);
	/* 2100 is not a leap year, 2000 was. */
	ck_assert_int_eq(ob_proration_period_end(ts(2100, 1, 31, 0, 0, 0), OB_INTERVAL_MONTH, 0),
	    ts(2100, 2, 28, 0, 0, 0));
	ck_assert_int_eq(ob_proration_period_end(ts(2000, 1, 31, 0, 0, 0), OB_INTERVAL_MONTH, 0),
	    ts(2000, 2, 29, 0, 0, 0));
}
END_TEST

START_TEST(annual_period_proration)
{
	int64_t start = ts(2027, 6, 15, 12, 0, 0);
	int64_t end = ob_proration_period_end(start, OB_INTERVAL_YEAR, 0);
	int64_t period = end - start, v, dr, dp;

	ck_assert_int_eq(period, 366 * 86400);	/* spans Feb 29 2028 */
	/* 52920 per seat-year, 2 seats, 100 days left: 105840 × 100 / 366 = 28918.03 → 28918. */
	amount_is(52920, 2, 100 * 86400, period, 28918);
	ck_assert_int_eq(ob_proration_plain(52920, 2, 100 * 86400, period, &dr, &dp, &v), 0);
	ck_assert_int_eq(dr, 100);
	ck_assert_int_eq(dp, 366);
	ck_assert_int_eq(v, 28918);
}
END_TEST

START_TEST(plain_formula_days)
{
	int64_t v, dr, dp;

	/* 10 days and one second remain of 30: 11 whole days are shown. */
	ck_assert_int_eq(ob_proration_plain(4900, 1, 10 * 86400 + 1, 30 * 86400, &dr, &dp, &v), 0);
	ck_assert_int_eq(dr, 11);
	ck_assert_int_eq(dp, 30);
	ck_assert_int_eq(v, 1797);	/* 4900 × 11 / 30 = 1796.67 */
	/* Stripe's rule for the same moment: 4900 × 864001 / 2592000 = 1633.33 → 1633. */
	amount_is(4900, 1, 10 * 86400 + 1, 30 * 86400, 1633);
}
END_TEST

START_TEST(civil_round_trip)
{
	int64_t z, y;
	unsigned m, d;

	for (z = -800000; z <= 2932896; z += 997) {
		ob_proration_civil_from_days(z, &y, &m, &d);
		ck_assert_int_eq(ob_proration_days_from_civil(y, m, d), z);
	}
	ck_assert_int_eq(ob_proration_days_from_civil(1970, 1, 1), 0);
}
END_TEST

Suite *proration_suite(void)
{
	return t_suite("proration", 0, T_TESTS(div_round_half_away,
	    stripe_example_half_period, first_and_last_second, rounds_once_half_away,
	    bounds_refused, month_ends_clamp, leap_years, annual_period_proration,
	    plain_formula_days, civil_round_trip));
}
