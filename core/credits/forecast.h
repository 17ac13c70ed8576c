/*
 * ob_forecast: forecasts of daily credit usage (docs/ANALYTICS.md).
 *
 * The method is additive Holt-Winters (level, trend and a weekly season of
 * period 7) fitted to a series of whole days, oldest first. The smoothing
 * parameters are picked from a small fixed grid by the least sum of squared
 * one-step-ahead errors, so the fit is deterministic. The interval is the
 * point forecast plus or minus 1.96 standard deviations of those one-step
 * errors, widened with the horizon as for simple exponential smoothing.
 *
 * A forecast is a statistic, not an amount of money or credits: it is
 * computed in double arithmetic, and every figure this module hands out as
 * credits (ob_forecast_credits) is a whole number rounded by one rule, half
 * up (x + 0.5, then floor), never below 0. Balances come in as int64_t.
 *
 * Pure computation: no database, no clock.
 */
#ifndef OB_FORECAST_H
#define OB_FORECAST_H

#include <stdint.h>

#define OB_FORECAST_PERIOD	7	/* the season: a week of days */
#define OB_FORECAST_MIN_DAYS	14	/* less history: "not enough data" */
#define OB_FORECAST_MAX_DAYS	400	/* at most this much history is read */
#define OB_FORECAST_HORIZON_MAX	400	/* run-out is looked for this far ahead */
#define OB_FORECAST_METHOD	"holt_winters_additive_7"

/* A fitted model. */
struct ob_forecast {
	double level, trend;
	double season[OB_FORECAST_PERIOD];	/* indexed by day number mod 7 */
	double alpha, beta, gamma;		/* the chosen smoothing parameters */
	double phi;				/* the trend's damping */
	double sigma;				/* std. dev. of the one-step errors */
	int n;					/* days fitted */
};

/* A run-out: in how many days the balance is used up (1: today). */
struct ob_forecast_runout {
	int days;	/* by the point forecast; 0: not within the horizon */
	int earliest;	/* by the interval's upper bound (faster use); 0: not within */
	int latest;	/* by the interval's lower bound (slower use); 0: not within */
};

/**
 * Fit fc to daily[0..n-1] (credits per day, oldest first; the last entry
 * is the last whole day before the first forecast day). Returns 0, or -1
 * when n < OB_FORECAST_MIN_DAYS or n > OB_FORECAST_MAX_DAYS ("not enough
 * data", or a caller's error) or an entry is negative.
 */
int ob_forecast_fit(const int64_t *daily, int n, struct ob_forecast *fc);

/**
 * The point forecast for day h after the series (h >= 1), never below 0.
 */
double ob_forecast_day(const struct ob_forecast *fc, int h);

/**
 * The interval for day h (h >= 1): *lo and *hi, lo never below 0.
 */
void ob_forecast_band(const struct ob_forecast *fc, int h, double *lo, double *hi);

/**
 * The sum of the point forecasts for days 1..days, in whole credits
 * (ob_forecast_credits); *lo and *hi (either may be NULL) the sums of the
 * interval's bounds, rounded the same way. days <= 0 gives 0.
 */
int64_t ob_forecast_sum(const struct ob_forecast *fc, int days, int64_t *lo, int64_t *hi);

/**
 * When balance credits run out: walk the forecast day by day from day 1 and
 * give the first day on which the cumulative use reaches balance, for the
 * point forecast and for both bounds of the interval, looking at most
 * horizon days ahead (1..OB_FORECAST_HORIZON_MAX). balance <= 0: day 1.
 */
void ob_forecast_runout(const struct ob_forecast *fc, int64_t balance, int horizon,
    struct ob_forecast_runout *out);

/**
 * The one rounding rule for a forecast shown as credits: half up to a
 * whole number, negatives and NaN as 0, capped at 10^15.
 */
int64_t ob_forecast_credits(double x);

/**
 * Backtest: fit on series[0..fit-1], forecast the next horizon days and
 * compare with series[fit..fit+horizon-1]. *mape: the mean absolute
 * percentage error over the days whose actual use is not 0, in percent;
 * *total (may be NULL): the absolute error of the horizon's total use, in
 * percent of the actual total (what a run-out date depends on). Returns 0,
 * or -1 when the fit fails, fit + horizon > n or every actual day is 0.
 */
int ob_forecast_backtest(const int64_t *series, int n, int fit, int horizon, double *mape,
    double *total);

#endif
