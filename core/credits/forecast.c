/*
 * Daily usage forecasts: additive Holt-Winters with a damped trend and a
 * weekly season (forecast.h, docs/ANALYTICS.md). Doubles throughout: a
 * forecast is a statistic; credits leave through ob_forecast_credits only.
 */
#include "credits/forecast.h"

#include <stddef.h>

#define P OB_FORECAST_PERIOD
#define Z95 1.96	/* two-sided 95 % of a normal distribution */

/* The grid the smoothing parameters are chosen from. */
static const double alphas[] = { 0.1, 0.2, 0.3, 0.5, 0.7 };
static const double betas[] = { 0.01, 0.05, 0.1, 0.2 };
static const double gammas[] = { 0.05, 0.1, 0.2, 0.4 };
static const double phis[] = { 0.9, 0.98 };

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Square root by Newton's method (no libm); x >= 0. */
static double
root(double x)
{
	double r = x > 1.0 ? x : 1.0;
	int i;

	if (!(x > 0.0))
		return 0.0;
	for (i = 0; i < 200; i++) {
		double next = 0.5 * (r + x / r);

		if (next >= r)
			break;
		r = next;
	}
	return r;
}

/* The damped trend's weight for day h: phi + phi^2 + ... + phi^h. */
static double
damp_sum(double phi, int h)
{
	double s = 0.0, p = 1.0;
	int i;

	for (i = 0; i < h; i++) {
		p *= phi;
		s += p;
	}
	return s;
}

/* The starting state from the first two weeks. */
static void
init_state(const int64_t *x, struct ob_forecast *fc)
{
	double m1 = 0.0, m2 = 0.0, mean = 0.0;
	int i;

	for (i = 0; i < P; i++) {
		m1 += (double)x[i] / P;
		m2 += (double)x[i + P] / P;
	}
	fc->trend = (m2 - m1) / P;
	/* The state before day 0: the first week's mean sits at its middle. */
	fc->level = m1 - (P / 2 + 1) * fc->trend;
	for (i = 0; i < P; i++) {
		fc->season[i] = ((double)x[i] - m1 + (double)x[i + P] - m2) / 2.0;
		mean += fc->season[i] / P;
	}
	for (i = 0; i < P; i++)
		fc->season[i] -= mean;
}

/*
 * Run the recursions over x with the parameters in fc (state initialised);
 * the sum of squared one-step errors after the first week, their count in
 * *count.
 */
static double
run(const int64_t *x, int n, struct ob_forecast *fc, double phi, int *count)
{
	double sse = 0.0;
	int t;

	*count = 0;
	for (t = 0; t < n; t++) {
		double s = fc->season[t % P], y = (double)x[t];
		double e = y - (fc->level + phi * fc->trend + s);
		double l = fc->alpha * (y - s) + (1.0 - fc->alpha) * (fc->level + phi * fc->trend);

		if (t >= P) {
			sse += e * e;
			(*count)++;
		}
		fc->trend = fc->beta * (l - fc->level) + (1.0 - fc->beta) * phi * fc->trend;
		fc->level = l;
		fc->season[t % P] = fc->gamma * (y - l) + (1.0 - fc->gamma) * s;
	}
	return sse;
}

int
ob_forecast_fit(const int64_t *daily, int n, struct ob_forecast *fc)
{
	struct ob_forecast best = { 0 }, c = { 0 };
	double best_sse = -1.0;
	int i, count = 0, best_count = 0;
	size_t a, b, g, p;

	if (daily == NULL || n < OB_FORECAST_MIN_DAYS || n > OB_FORECAST_MAX_DAYS)
		return -1;
	for (i = 0; i < n; i++)
		if (daily[i] < 0)
			return -1;
	for (a = 0; a < N(alphas); a++)
		for (b = 0; b < N(betas); b++)
			for (g = 0; g < N(gammas); g++)
				for (p = 0; p < N(phis); p++) {
					double sse;

					init_state(daily, &c);
					c.alpha = alphas[a];
					c.beta = betas[b];
					c.gamma = gammas[g];
					c.phi = phis[p];
					sse = run(daily, n, &c, c.phi, &count);
					/* Strictly less: the first of equals wins. */
					if (best_sse < 0.0 || sse < best_sse) {
						best_sse = sse;
						best = c;
						best_count = count;
					}
				}
	*fc = best;
	fc->n = n;
	fc->sigma = best_count > 0 ? root(best_sse / best_count) : 0.0;
	return 0;
}

double
ob_forecast_day(const struct ob_forecast *fc, int h)
{
	double y;

	if (h < 1)
		h = 1;
	y = fc->level + damp_sum(fc->phi, h) * fc->trend + fc->season[(fc->n + h - 1) % P];
	return y > 0.0 ? y : 0.0;
}

void
ob_forecast_band(const struct ob_forecast *fc, int h, double *lo, double *hi)
{
	double y = ob_forecast_day(fc, h), w;

	if (h < 1)
		h = 1;
	/* Simple exponential smoothing's h-step variance: sigma^2 (1 + (h-1) alpha^2). */
	w = Z95 * fc->sigma * root(1.0 + (double)(h - 1) * fc->alpha * fc->alpha);
	*lo = y - w > 0.0 ? y - w : 0.0;
	*hi = y + w;
}

int64_t
ob_forecast_credits(double x)
{
	double r;

	if (!(x > 0.0))
		return 0;
	if (x >= 1e15)
		return 1000000000000000LL;
	r = (double)(int64_t)(x + 0.5);	/* x + 0.5 > 0: truncation is floor */
	return (int64_t)r;
}

int64_t
ob_forecast_sum(const struct ob_forecast *fc, int days, int64_t *lo, int64_t *hi)
{
	double s = 0.0, sl = 0.0, sh = 0.0;
	int h;

	for (h = 1; h <= days; h++) {
		double l, u;

		s += ob_forecast_day(fc, h);
		ob_forecast_band(fc, h, &l, &u);
		sl += l;
		sh += u;
	}
	if (lo != NULL)
		*lo = ob_forecast_credits(sl);
	if (hi != NULL)
		*hi = ob_forecast_credits(sh);
	return ob_forecast_credits(s);
}

void
ob_forecast_runout(const struct ob_forecast *fc, int64_t balance, int horizon,
    struct ob_forecast_runout *out)
{
	/* A millionth of a credit's slack: sums of doubles need not land exactly. */
	double s = 0.0, sl = 0.0, sh = 0.0, b = (double)balance - 1e-6;
	int h;

	out->days = out->earliest = out->latest = 0;
	if (balance <= 0) {
		out->days = out->earliest = out->latest = 1;
		return;
	}
	if (horizon > OB_FORECAST_HORIZON_MAX)
		horizon = OB_FORECAST_HORIZON_MAX;
	for (h = 1; h <= horizon; h++) {
		double l, u;

		s += ob_forecast_day(fc, h);
		ob_forecast_band(fc, h, &l, &u);
		sl += l;
		sh += u;
		if (out->days == 0 && s >= b)
			out->days = h;
		if (out->earliest == 0 && sh >= b)
			out->earliest = h;
		if (out->latest == 0 && sl >= b)
			out->latest = h;
		if (out->latest != 0)
			break;
	}
}

int
ob_forecast_backtest(const int64_t *series, int n, int fit, int horizon, double *mape,
    double *total)
{
	struct ob_forecast fc;
	double sum = 0.0, actual = 0.0, forecast = 0.0;
	int h, k = 0;

	if (fit + horizon > n || horizon < 1 || ob_forecast_fit(series, fit, &fc) != 0)
		return -1;
	for (h = 1; h <= horizon; h++) {
		double a = (double)series[fit + h - 1], d;

		actual += a;
		forecast += ob_forecast_day(&fc, h);
		if (a == 0.0)
			continue;
		d = ob_forecast_day(&fc, h) - a;
		sum += (d < 0.0 ? -d : d) / a;
		k++;
	}
	if (k == 0)
		return -1;
	*mape = 100.0 * sum / k;
	if (total != NULL)
		*total = 100.0 * (forecast > actual ? forecast - actual : actual - forecast) / actual;
	return 0;
}
