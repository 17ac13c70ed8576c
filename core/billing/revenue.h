/*
 * Revenue from the subscription history (sql/migrations/034): monthly
 * recurring revenue and its movements per calendar month (UTC), in integer
 * minor units of one currency. The arithmetic is pure (no database) and
 * documented in docs/ADMIN.md, "Revenue"; ob_revenue_load reads the history.
 */
#ifndef OB_REVENUE_H
#define OB_REVENUE_H

#include <stddef.h>
#include <stdint.h>

#include "base/db.h"

#define OB_REVENUE_MAX_MONTHS 36
#define OB_REVENUE_MAX_PLANS 16

/** One history row: from at on, org_id's subscription stands for mrr. */
struct ob_rev_row {
	int64_t org_id, at, mrr;
	char plan[32], currency[4];
};

/** A plan's count of paying subscriptions at a month's end. */
struct ob_rev_plan {
	char plan[32];
	int64_t count;
};

/** One month's figures (basis points: 10000 = 100 %; -1 when undefined). */
struct ob_rev_month {
	int64_t year, month;
	int64_t start_mrr, mrr, arr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr;
	int64_t customers_start, customers_end, new_customers, churned_customers;
	int64_t logo_churn_bps, revenue_churn_bps, nrr_bps;
	struct ob_rev_plan plans[OB_REVENUE_MAX_PLANS];
	size_t nplans;
};

/**
 * The MRR a subscription state stands for: seats × unit_amount for a
 * monthly cycle, that over 12 rounded half up for a yearly one; 0 unless
 * status is active or past_due. -1 on overflow or a negative input.
 */
int64_t ob_revenue_mrr(const char *status, const char *cycle, int64_t seats, int64_t unit_amount);

/** n / d in basis points rounded half up; -1 when d is 0. */
int64_t ob_revenue_bps(int64_t n, int64_t d);

/**
 * The figures of `months` months from (year, month) on into out[], from
 * rows (n, sorted by at) in currency: an org's MRR at a month's end is its
 * last row before the next month begins (0 for a row in another currency).
 * Movements compare each month's end with the previous month's end. 0, or
 * -1 (months out of 1..OB_REVENUE_MAX_MONTHS, a bad month, no memory).
 */
int ob_revenue_months(const struct ob_rev_row *rows, size_t n, const char *currency,
    int64_t year, int64_t month, size_t months, struct ob_rev_month *out);

/** Unix seconds of the first instant (UTC) of (year, month). */
int64_t ob_revenue_month_start(int64_t year, int64_t month);

/**
 * Record org_id's subscription row in the history with mrr, unless the
 * latest history row already has its plan, cycle, seats, unit amount,
 * currency and status (a replayed event). Inside the caller's transaction.
 * 0 or -1.
 */
int ob_revenue_record(struct ob_db *db, int64_t org_id, int64_t mrr);

/**
 * The history rows before `until` (Unix seconds) in order of at, as a
 * malloc'd array in *rows (*n rows; free it). 0 or -1.
 */
int ob_revenue_load(struct ob_db *db, int64_t until, struct ob_rev_row **rows, size_t *n);

#endif
