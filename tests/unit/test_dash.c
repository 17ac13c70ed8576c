/*
 * The Overview's run-out forecast and limit shares (fcgi/dash.h) against
 * hand-worked figures.
 */
#include <check.h>
#include <stdint.h>

#include "fcgi/dash.h"
#include "unit/unit.h"

/* 30 days of usage, oldest first; the last `used_days` days use `per_day`. */
static void
days_of(int64_t *d, int used_days, int64_t per_day)
{
	int i;

	for (i = 0; i < 30; i++)
		d[i] = i >= 30 - used_days ? per_day : 0;
}

START_TEST(forecast_divides_balance_by_average_daily_use)
{
	struct ob_dash_forecast fc;
	int64_t d[30];

	/* 10 days at 100: 1,000 used; 5,000 / 100 a day = 50 days. */
	days_of(d, 10, 100);
	ob_dash_forecast(5000, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_OK);
	ck_assert_int_eq(fc.days, 10);
	ck_assert_int_eq(fc.used, 1000);
	ck_assert_int_eq(fc.avg_daily, 100);
	ck_assert_int_eq(fc.days_left, 50);

	/* 30 days at 7 (210 used): 1,001 × 30 / 210 = 143 (143.0). */
	days_of(d, 30, 7);
	ob_dash_forecast(1001, d, 30, &fc);
	ck_assert_int_eq(fc.days_left, 143);
	ck_assert_int_eq(fc.avg_daily, 7);

	/* 7 days of 1 and 2 alternating, 10 in all: average 1.43 (shown 1);
	 * 100 × 7 / 10 = 70 days, not 100 / 1 = 100. */
	days_of(d, 7, 1);
	d[24] = d[26] = d[28] = 2;
	ob_dash_forecast(100, d, 30, &fc);
	ck_assert_int_eq(fc.used, 10);
	ck_assert_int_eq(fc.avg_daily, 1);
	ck_assert_int_eq(fc.days_left, 70);

	/* The observed days start at the first day with usage, quiet days after
	 * it count: 300 on one day 10 days ago (today included: 10 days) → 30 a day. */
	days_of(d, 0, 0);
	d[20] = 300;
	ob_dash_forecast(600, d, 30, &fc);
	ck_assert_int_eq(fc.days, 10);
	ck_assert_int_eq(fc.days_left, 20);

	/* Less than a day left: 0 days. */
	days_of(d, 10, 1000);
	ob_dash_forecast(999, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_OK);
	ck_assert_int_eq(fc.days_left, 0);
}
END_TEST

START_TEST(forecast_edges)
{
	struct ob_dash_forecast fc;
	int64_t d[30];

	/* 6 days observed: not enough data; 7: a forecast. */
	days_of(d, 6, 100);
	ob_dash_forecast(5000, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_NOT_ENOUGH_DATA);
	ck_assert_int_eq(fc.days, 6);
	days_of(d, 7, 100);
	ob_dash_forecast(5000, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_OK);
	ck_assert_int_eq(fc.days_left, 50);

	/* Nothing used in 30 days: no run-out. */
	days_of(d, 0, 0);
	ob_dash_forecast(5000, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_NO_USAGE);
	/* Fewer than 7 days of history at all: not enough data either way. */
	ob_dash_forecast(5000, d, 5, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_NOT_ENOUGH_DATA);

	/* Nothing left (or a negative balance): empty, whatever the data. */
	days_of(d, 2, 100);
	ob_dash_forecast(0, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_EMPTY);
	ob_dash_forecast(-5, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_EMPTY);

	/* Negative days (reversals) count as nothing. */
	days_of(d, 10, 100);
	d[25] = -400;
	ob_dash_forecast(900, d, 30, &fc);
	ck_assert_int_eq(fc.used, 900);
	ck_assert_int_eq(fc.days_left, 10);

	/* Past ten years (3,650 days), or a product that would overflow: beyond.
	 * 10 days at 1 a day: the balance lasts as many days as it holds. */
	days_of(d, 10, 1);
	ob_dash_forecast(3650, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_OK);
	ck_assert_int_eq(fc.days_left, 3650);
	ob_dash_forecast(3651, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_BEYOND);
	ob_dash_forecast(INT64_MAX, d, 30, &fc);
	ck_assert_int_eq(fc.status, OB_DASH_FC_BEYOND);
	ck_assert_str_eq(ob_dash_forecast_name(OB_DASH_FC_BEYOND), "beyond");
	ck_assert_str_eq(ob_dash_forecast_name(OB_DASH_FC_NOT_ENOUGH_DATA), "not_enough_data");
}
END_TEST

START_TEST(percent_of_limit)
{
	ck_assert_int_eq(ob_dash_percent(9, 10), 90);
	ck_assert_int_eq(ob_dash_percent(8999, 10000), 89);	/* rounded down: not "near" */
	ck_assert_int_eq(ob_dash_percent(2, 1), 200);
	ck_assert_int_eq(ob_dash_percent(0, 10), 0);
	ck_assert_int_eq(ob_dash_percent(5, -1), -1);		/* unlimited */
	ck_assert_int_eq(ob_dash_percent(0, 0), 0);
	ck_assert_int_eq(ob_dash_percent(1, 0), 100);
	ck_assert_int_eq(ob_dash_percent(INT64_MAX, 1), 100000000);	/* capped, no overflow */
}
END_TEST

Suite *dash_suite(void)
{
	return t_suite("dash", 0, T_TESTS(forecast_divides_balance_by_average_daily_use,
	    forecast_edges, percent_of_limit));
}
