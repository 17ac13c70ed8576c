#include "billing/proration.h"

int64_t
ob_proration_div_round(int64_t num, int64_t den)
{
	int64_t q, r;
	int neg = num < 0;
	uint64_t a = neg ? (uint64_t)0 - (uint64_t)num : (uint64_t)num;

	if (den <= 0)
		return 0;
	q = (int64_t)(a / (uint64_t)den);
	r = (int64_t)(a % (uint64_t)den);
	if (r >= den - r)	/* r/den >= 1/2: away from zero */
		q++;
	return neg ? -q : q;
}

static int
inputs_ok(int64_t unit_amount, int64_t quantity, int64_t remaining_s, int64_t period_s)
{
	if (period_s <= 0 || period_s > OB_PRORATION_PERIOD_MAX)
		return 0;
	if (remaining_s < 0 || remaining_s > period_s)
		return 0;
	if (unit_amount > OB_PRORATION_AMOUNT_MAX || unit_amount < -OB_PRORATION_AMOUNT_MAX)
		return 0;
	return quantity >= 0 && quantity <= OB_PRORATION_QTY_MAX;
}

/*
 * round(total × part / whole) for total >= 0, 0 <= part <= whole, exactly:
 * total = q × whole + r, so total × part / whole = q × part + r × part / whole,
 * and r × part < whole² stays far inside 64 bits.
 */
static int64_t
scale_round(int64_t total, int64_t part, int64_t whole)
{
	int64_t q = total / whole, r = total % whole;

	return q * part + ob_proration_div_round(r * part, whole);
}

static int64_t
scale_signed(int64_t unit_amount, int64_t quantity, int64_t part, int64_t whole)
{
	int64_t total = (unit_amount < 0 ? -unit_amount : unit_amount) * quantity;
	int64_t v = scale_round(total, part, whole);

	return unit_amount < 0 ? -v : v;
}

int
ob_proration_amount(int64_t unit_amount, int64_t quantity, int64_t remaining_s,
    int64_t period_s, int64_t *out)
{
	if (!inputs_ok(unit_amount, quantity, remaining_s, period_s))
		return -1;
	*out = scale_signed(unit_amount, quantity, remaining_s, period_s);
	return 0;
}

int
ob_proration_plain(int64_t unit_amount, int64_t quantity, int64_t remaining_s,
    int64_t period_s, int64_t *days_remaining, int64_t *days_in_period, int64_t *out)
{
	int64_t dr, dp;

	if (!inputs_ok(unit_amount, quantity, remaining_s, period_s))
		return -1;
	dp = ob_proration_div_round(period_s, 86400);
	if (dp < 1)
		dp = 1;
	dr = (remaining_s + 86399) / 86400;
	if (dr > dp)
		dr = dp;
	*days_remaining = dr;
	*days_in_period = dp;
	*out = scale_signed(unit_amount, quantity, dr, dp);
	return 0;
}

/* Howard Hinnant's civil-date algorithms, integer only. */
int64_t
ob_proration_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
ob_proration_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static unsigned
month_days(int64_t y, unsigned m)
{
	static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

#define MAX_TS 253402300799LL	/* 9999-12-31T23:59:59Z */

int64_t
ob_proration_period_end(int64_t start, enum ob_interval iv, int64_t anchor)
{
	int64_t y, ay, months, ty, tod;
	unsigned m, d, am, ad, tm, day;

	if (anchor == 0)
		anchor = start;
	if (start < 0 || start > MAX_TS || anchor < 0 || anchor > MAX_TS)
		return -1;
	ob_proration_civil_from_days(start / 86400, &y, &m, &d);
	ob_proration_civil_from_days(anchor / 86400, &ay, &am, &ad);
	tod = anchor % 86400;
	months = (int64_t)m - 1 + (iv == OB_INTERVAL_YEAR ? 12 : 1);
	ty = y + months / 12;
	tm = (unsigned)(months % 12) + 1;
	day = ad < month_days(ty, tm) ? ad : month_days(ty, tm);
	if (ty > 9999)
		return -1;
	return ob_proration_days_from_civil(ty, tm, day) * 86400 + tod;
}
