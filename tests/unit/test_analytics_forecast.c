/*
 * Usage forecasts (core/credits/forecast.c): hand-computed run-outs on
 * exact series, the rounding rule, "not enough data", and a backtest on
 * generated histories (steady, growing, weekly-seasonal, spiky; seeded,
 * so the figures are the same on every run) whose MAPE is printed and
 * held under bounds chosen by hand (docs/ANALYTICS.md records them).
 */
#include <check.h>
#include <stdio.h>

#include "credits/forecast.h"
#include "unit/unit.h"

#define DAYS 70	/* 8 weeks fitted, 2 weeks forecast */
#define FIT 56
#define HORIZON 14

/* A small deterministic generator (xorshift32). */
static uint32_t
next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Noise in -pct..+pct percent of v. */
static int64_t
noisy(uint32_t *s, int64_t v, int pct)
{
	int64_t span = v * pct / 100;

	if (span == 0)
		return v;
	return v - span + (int64_t)(next(s) % (uint32_t)(2 * span + 1));
}

enum shape { STEADY, GROWING, WEEKLY, SPIKY };

static void
history(enum shape k, int64_t *x)
{
	/* Mon..Sun factors in percent: busy weekdays, quiet weekends. */
	static const int week[7] = { 120, 125, 120, 115, 110, 55, 55 };
	uint32_t s = 12345u + (uint32_t)k;
	int t;

	for (t = 0; t < DAYS; t++) {
		switch (k) {
		case STEADY:
			x[t] = noisy(&s, 1000, 10);
			break;
		case GROWING:	/* +1.5 % a day, compounding */
			x[t] = noisy(&s, (int64_t)(1000.0 * (1.0 + 0.015 * t) + 0.5), 8);
			break;
		case WEEKLY:
			x[t] = noisy(&s, 10 * week[t % 7], 10);
			break;
		case SPIKY:	/* a base with a big spike one day in ten */
			x[t] = noisy(&s, 500, 20);
			if (next(&s) % 10 == 0)
				x[t] += 3000;
			break;
		}
	}
}

START_TEST(backtest_mape)
{
	static const char *const names[] = { "steady", "growing", "weekly", "spiky" };
	/*
	 * Upper bounds in percent, chosen by hand above the measured figures.
	 * A spiky series' daily MAPE is large by nature (the forecast is near
	 * the mean, the actual days are the base or a spike); its 14-day total,
	 * what a run-out depends on, is held tighter.
	 */
	static const double bound[] = { 8.0, 8.0, 8.0, 110.0 };
	static const double total_bound[] = { 3.0, 5.0, 3.0, 30.0 };
	int64_t x[DAYS];
	double mape, total;
	int k;

	for (k = STEADY; k <= SPIKY; k++) {
		history((enum shape)k, x);
		ck_assert_int_eq(ob_forecast_backtest(x, DAYS, FIT, HORIZON, &mape, &total), 0);
		printf("forecast backtest: %-8s fit %d days, next %d: MAPE %.1f %%,"
		    " total error %.1f %%\n", names[k], FIT, HORIZON, mape, total);
		fflush(stdout);
		ck_assert_msg(mape <= bound[k], "%s: MAPE %.1f above %.1f", names[k], mape, bound[k]);
		ck_assert_msg(total <= total_bound[k], "%s: total error %.1f above %.1f", names[k],
		    total, total_bound[k]);
	}
}
END_TEST

START_TEST(steady_runout)
{
	int64_t x[28];
	struct ob_forecast fc;
	struct ob_forecast_runout r;
	int t;

	for (t = 0; t < 28; t++)
		x[t] = 100;
	ck_assert_int_eq(ob_forecast_fit(x, 28, &fc), 0);
	/* 100 a day exactly: no error, so the interval is the point. */
	ck_assert_int_eq(ob_forecast_credits(ob_forecast_day(&fc, 1)), 100);
	ck_assert_int_eq(ob_forecast_credits(ob_forecast_day(&fc, 30)), 100);
	ob_forecast_runout(&fc, 1000, 400, &r);
	ck_assert_int_eq(r.days, 10);
	ck_assert_int_eq(r.earliest, 10);
	ck_assert_int_eq(r.latest, 10);
	ob_forecast_runout(&fc, 1001, 400, &r);
	ck_assert_int_eq(r.days, 11);
	/* Already out: today. Beyond the horizon: 0. */
	ob_forecast_runout(&fc, 0, 400, &r);
	ck_assert_int_eq(r.days, 1);
	ob_forecast_runout(&fc, 100000, 30, &r);
	ck_assert_int_eq(r.days, 0);
	ck_assert_int_eq(ob_forecast_sum(&fc, 12, NULL, NULL), 1200);
	ck_assert_int_eq(ob_forecast_sum(&fc, 0, NULL, NULL), 0);
}
END_TEST

START_TEST(weekly_runout)
{
	int64_t x[14];
	struct ob_forecast fc;
	struct ob_forecast_runout r;
	int t;

	/* Day 0 a Monday: 100 on weekdays, nothing at weekends, two weeks. */
	for (t = 0; t < 14; t++)
		x[t] = t % 7 < 5 ? 100 : 0;
	ck_assert_int_eq(ob_forecast_fit(x, 14, &fc), 0);
	/* Day 1 after the series is a Monday again. */
	ck_assert_int_eq(ob_forecast_credits(ob_forecast_day(&fc, 1)), 100);
	ck_assert_int_eq(ob_forecast_credits(ob_forecast_day(&fc, 6)), 0);
	ck_assert_int_eq(ob_forecast_credits(ob_forecast_day(&fc, 7)), 0);
	/* 1000 credits: 500 in the first week, 500 more by the next Friday. */
	ob_forecast_runout(&fc, 1000, 400, &r);
	ck_assert_int_eq(r.days, 12);
	ob_forecast_runout(&fc, 500, 400, &r);
	ck_assert_int_eq(r.days, 5);
	ck_assert_int_eq(ob_forecast_sum(&fc, 7, NULL, NULL), 500);
}
END_TEST

START_TEST(not_enough_data)
{
	int64_t x[14] = { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 };
	struct ob_forecast fc;

	ck_assert_int_eq(ob_forecast_fit(x, 13, &fc), -1);
	ck_assert_int_eq(ob_forecast_fit(x, 0, &fc), -1);
	ck_assert_int_eq(ob_forecast_fit(NULL, 14, &fc), -1);
	ck_assert_int_eq(ob_forecast_fit(x, 14, &fc), 0);
	x[3] = -1;	/* a net reversal day is refused, not fitted */
	ck_assert_int_eq(ob_forecast_fit(x, 14, &fc), -1);
}
END_TEST

START_TEST(rounding_rule)
{
	ck_assert_int_eq(ob_forecast_credits(2.5), 3);
	ck_assert_int_eq(ob_forecast_credits(2.4999), 2);
	ck_assert_int_eq(ob_forecast_credits(0.5), 1);
	ck_assert_int_eq(ob_forecast_credits(0.49), 0);
	ck_assert_int_eq(ob_forecast_credits(-3.0), 0);
	ck_assert_int_eq(ob_forecast_credits(0.0 / 0.0 * 0.0), 0);
	ck_assert_int_eq(ob_forecast_credits(1e18), 1000000000000000LL);
}
END_TEST

START_TEST(interval_widens)
{
	int64_t x[DAYS];
	struct ob_forecast fc;
	double lo1, hi1, lo14, hi14, y;
	struct ob_forecast_runout r;

	history(STEADY, x);
	ck_assert_int_eq(ob_forecast_fit(x, DAYS, &fc), 0);
	ck_assert(fc.sigma > 0.0);
	ob_forecast_band(&fc, 1, &lo1, &hi1);
	ob_forecast_band(&fc, 14, &lo14, &hi14);
	y = ob_forecast_day(&fc, 1);
	ck_assert(lo1 <= y && y <= hi1);
	ck_assert(hi14 - lo14 >= hi1 - lo1);
	/* About 1000 a day: 10000 credits last about 10 days, sooner at the top. */
	ob_forecast_runout(&fc, 10000, 400, &r);
	ck_assert_int_ge(r.days, 9);
	ck_assert_int_le(r.days, 11);
	ck_assert_int_le(r.earliest, r.days);
	ck_assert_int_ge(r.latest, r.days);
}
END_TEST

Suite *analytics_forecast_suite(void);

Suite *
analytics_forecast_suite(void)
{
	return t_suite("analytics_forecast", 0,
	    T_TESTS(backtest_mape, steady_runout, weekly_runout, not_enough_data, rounding_rule,
		interval_widens));
}
