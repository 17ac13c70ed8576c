/*
 * ob_proration: billing periods and proration, pure integer arithmetic
 * (no floating point, no database, no clock). Two rules live here:
 *
 *   - Stripe's to-the-second rule, the one that is charged:
 *       amount = round(unit_amount × quantity × remaining_s / period_s)
 *     computed exactly and rounded once, half away from zero;
 *   - the plain formula of the product brief, shown next to it so a person
 *     can check it by hand:
 *       amount = round(days_remaining × unit_amount × quantity / days_in_period)
 *     with days_remaining = remaining seconds rounded UP to whole days.
 *
 * Periods follow Stripe's calendar: a monthly period ends on the anchor's
 * day of month, clamped to the month's last day (Jan 31 → Feb 28/29 →
 * Mar 31), at the anchor's time of day, in UTC. See docs/BILLING.md.
 */
#ifndef OB_PRORATION_H
#define OB_PRORATION_H

#include <stdint.h>

/* Bounds every input is checked against (they keep the products exact). */
#define OB_PRORATION_AMOUNT_MAX		100000000000LL	/* minor units per seat */
#define OB_PRORATION_QTY_MAX		1000000LL
#define OB_PRORATION_PERIOD_MAX		(400LL * 86400)	/* seconds */

enum ob_interval {
	OB_INTERVAL_MONTH,
	OB_INTERVAL_YEAR,
};

/**
 * num / den rounded half away from zero (den > 0). The one rounding rule:
 * callers round once, at the end.
 */
int64_t ob_proration_div_round(int64_t num, int64_t den);

/**
 * Stripe's proration of one line: unit_amount × quantity for remaining_s of
 * period_s seconds, into *out (the sign follows unit_amount). Returns 0, or
 * -1 when an input is out of bounds (period_s <= 0 or over
 * OB_PRORATION_PERIOD_MAX, remaining_s outside [0, period_s], |unit_amount|
 * over OB_PRORATION_AMOUNT_MAX, quantity outside [0, OB_PRORATION_QTY_MAX]).
 */
int ob_proration_amount(int64_t unit_amount, int64_t quantity, int64_t remaining_s,
    int64_t period_s, int64_t *out);

/**
 * The plain formula for display: *days_remaining (remaining_s rounded up to
 * whole days), *days_in_period (period_s rounded to the nearest day, at
 * least 1) and *out = round(days_remaining × unit_amount × quantity /
 * days_in_period). Same bounds and return as ob_proration_amount.
 */
int ob_proration_plain(int64_t unit_amount, int64_t quantity, int64_t remaining_s,
    int64_t period_s, int64_t *days_remaining, int64_t *days_in_period, int64_t *out);

/**
 * The end of the period that starts at start (Unix seconds, UTC): one month
 * or one year later on the anchor's day of month (clamped to the month's
 * length) at the anchor's time of day, as Stripe computes it. anchor 0 means
 * start. Returns the end, or -1 for a time before 1970 or after 9999.
 */
int64_t ob_proration_period_end(int64_t start, enum ob_interval iv, int64_t anchor);

/** Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t ob_proration_days_from_civil(int64_t y, unsigned m, unsigned d);

/** The civil date of a day number (inverse of ob_proration_days_from_civil). */
void ob_proration_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
