/*
 * Revenue arithmetic (core/billing/revenue.c) on a hand-made history: every
 * expected figure below was worked out by hand from docs/ADMIN.md's rules.
 */
#include <check.h>
#include <string.h>

#include "billing/proration.h"
#include "billing/revenue.h"
#include "unit/unit.h"

static int64_t
ts(int64_t y, unsigned m, unsigned d, int64_t hh, int64_t mm, int64_t ss)
{
	return ob_proration_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

static struct ob_rev_row
row(int64_t org, int64_t at, const char *plan, const char *cur, int64_t mrr)
{
	struct ob_rev_row r;

	memset(&r, 0, sizeof(r));
	r.org_id = org;
	r.at = at;
	r.mrr = mrr;
	strcpy(r.plan, plan);
	strcpy(r.currency, cur);
	return r;
}

START_TEST(mrr_of_a_state)
{
	ck_assert_int_eq(ob_revenue_mrr("active", "month", 5, 2000), 10000);
	ck_assert_int_eq(ob_revenue_mrr("past_due", "month", 3, 1000), 3000);
	/* 7 × 10001 = 70007 a year: 5833.92 a month → 5834. */
	ck_assert_int_eq(ob_revenue_mrr("active", "year", 7, 10001), 5834);
	/* 18 / 12 = 1.5 → 2 (half up); 17 / 12 = 1.42 → 1; 12000 / 12 exactly 1000. */
	ck_assert_int_eq(ob_revenue_mrr("active", "year", 1, 18), 2);
	ck_assert_int_eq(ob_revenue_mrr("active", "year", 1, 17), 1);
	ck_assert_int_eq(ob_revenue_mrr("active", "year", 10, 1200), 1000);
	ck_assert_int_eq(ob_revenue_mrr("trialing", "month", 5, 2000), 0);
	ck_assert_int_eq(ob_revenue_mrr("canceled", "year", 5, 2000), 0);
	ck_assert_int_eq(ob_revenue_mrr("incomplete", "month", 5, 2000), 0);
	ck_assert_int_eq(ob_revenue_mrr("active", "month", -1, 2000), -1);
	ck_assert_int_eq(ob_revenue_mrr("active", "month", INT64_MAX / 2, 3), -1);
}
END_TEST

START_TEST(bps_rounding)
{
	ck_assert_int_eq(ob_revenue_bps(1, 3), 3333);
	ck_assert_int_eq(ob_revenue_bps(2, 3), 6667);
	ck_assert_int_eq(ob_revenue_bps(1, 20000), 1);	/* 0.5 → 1 */
	ck_assert_int_eq(ob_revenue_bps(0, 5), 0);
	ck_assert_int_eq(ob_revenue_bps(5, 0), -1);
}
END_TEST

/*
 * The history: org 1 (pro, 10000) and org 2 (team, 5000) before January;
 * in January org 3 arrives (pro, 12000), org 1 grows to 15000, org 2
 * shrinks to 4000 a second before February; org 4 pays in euros from
 * February; org 2 cancels in February and org 3 moves to business at the
 * same price; org 2 comes back in March at 3000 while org 1 drops to 0 and
 * returns to 15000 within March; April has no change.
 */
static size_t
history(struct ob_rev_row *h)
{
	size_t n = 0;

	h[n++] = row(1, ts(2025, 12, 10, 9, 0, 0), "pro", "usd", 10000);
	h[n++] = row(2, ts(2025, 12, 20, 9, 0, 0), "team", "usd", 5000);
	h[n++] = row(3, ts(2026, 1, 5, 12, 0, 0), "pro", "usd", 12000);
	h[n++] = row(1, ts(2026, 1, 15, 12, 0, 0), "pro", "usd", 15000);
	h[n++] = row(2, ts(2026, 1, 31, 23, 59, 59), "team", "usd", 4000);
	h[n++] = row(4, ts(2026, 2, 1, 0, 0, 0), "team", "eur", 9999);
	h[n++] = row(2, ts(2026, 2, 10, 8, 0, 0), "team", "usd", 0);
	h[n++] = row(3, ts(2026, 2, 20, 8, 0, 0), "business", "usd", 12000);
	h[n++] = row(2, ts(2026, 3, 3, 8, 0, 0), "team", "usd", 3000);
	h[n++] = row(1, ts(2026, 3, 10, 8, 0, 0), "pro", "usd", 0);
	h[n++] = row(1, ts(2026, 3, 20, 8, 0, 0), "pro", "usd", 15000);
	return n;
}

static void
plan_is(const struct ob_rev_month *m, size_t i, const char *plan, int64_t count)
{
	ck_assert_uint_gt(m->nplans, i);
	ck_assert_str_eq(m->plans[i].plan, plan);
	ck_assert_int_eq(m->plans[i].count, count);
}

START_TEST(months_of_a_history)
{
	struct ob_rev_row h[16];
	struct ob_rev_month m[4];
	size_t n = history(h);

	ck_assert_int_eq(ob_revenue_months(h, n, "usd", 2026, 1, 4, m), 0);
	/* January: from 15000 (2 customers) to 31000 (3). */
	ck_assert_int_eq(m[0].year, 2026);
	ck_assert_int_eq(m[0].month, 1);
	ck_assert_int_eq(m[0].start_mrr, 15000);
	ck_assert_int_eq(m[0].mrr, 31000);
	ck_assert_int_eq(m[0].arr, 372000);
	ck_assert_int_eq(m[0].new_mrr, 12000);
	ck_assert_int_eq(m[0].expansion_mrr, 5000);
	ck_assert_int_eq(m[0].contraction_mrr, 1000);
	ck_assert_int_eq(m[0].churned_mrr, 0);
	ck_assert_int_eq(m[0].customers_start, 2);
	ck_assert_int_eq(m[0].customers_end, 3);
	ck_assert_int_eq(m[0].new_customers, 1);
	ck_assert_int_eq(m[0].churned_customers, 0);
	ck_assert_int_eq(m[0].logo_churn_bps, 0);
	ck_assert_int_eq(m[0].revenue_churn_bps, 667);	/* 1000 / 15000 */
	ck_assert_int_eq(m[0].nrr_bps, 12667);		/* 19000 / 15000 */
	ck_assert_uint_eq(m[0].nplans, 2);
	plan_is(&m[0], 0, "pro", 2);
	plan_is(&m[0], 1, "team", 1);
	/* February: org 2 churns 4000; the euro org does not count in usd. */
	ck_assert_int_eq(m[1].start_mrr, 31000);
	ck_assert_int_eq(m[1].mrr, 27000);
	ck_assert_int_eq(m[1].arr, 324000);
	ck_assert_int_eq(m[1].new_mrr, 0);
	ck_assert_int_eq(m[1].expansion_mrr, 0);
	ck_assert_int_eq(m[1].contraction_mrr, 0);
	ck_assert_int_eq(m[1].churned_mrr, 4000);
	ck_assert_int_eq(m[1].churned_customers, 1);
	ck_assert_int_eq(m[1].customers_end, 2);
	ck_assert_int_eq(m[1].logo_churn_bps, 3333);	/* 1 / 3 */
	ck_assert_int_eq(m[1].revenue_churn_bps, 1290);	/* 4000 / 31000 */
	ck_assert_int_eq(m[1].nrr_bps, 8710);		/* 27000 / 31000 */
	ck_assert_uint_eq(m[1].nplans, 2);
	plan_is(&m[1], 0, "business", 1);
	plan_is(&m[1], 1, "pro", 1);
	/* March: org 2 back as new 3000; org 1's dip inside the month is no movement. */
	ck_assert_int_eq(m[2].start_mrr, 27000);
	ck_assert_int_eq(m[2].mrr, 30000);
	ck_assert_int_eq(m[2].arr, 360000);
	ck_assert_int_eq(m[2].new_mrr, 3000);
	ck_assert_int_eq(m[2].new_customers, 1);
	ck_assert_int_eq(m[2].churned_mrr, 0);
	ck_assert_int_eq(m[2].expansion_mrr, 0);
	ck_assert_int_eq(m[2].contraction_mrr, 0);
	ck_assert_int_eq(m[2].logo_churn_bps, 0);
	ck_assert_int_eq(m[2].revenue_churn_bps, 0);
	ck_assert_int_eq(m[2].nrr_bps, 10000);
	ck_assert_uint_eq(m[2].nplans, 3);
	plan_is(&m[2], 2, "team", 1);
	/* April: nothing moves. */
	ck_assert_int_eq(m[3].month, 4);
	ck_assert_int_eq(m[3].start_mrr, 30000);
	ck_assert_int_eq(m[3].mrr, 30000);
	ck_assert_int_eq(m[3].new_mrr + m[3].expansion_mrr + m[3].contraction_mrr +
	    m[3].churned_mrr, 0);
	ck_assert_int_eq(m[3].nrr_bps, 10000);
}
END_TEST

START_TEST(months_other_currency_and_edges)
{
	struct ob_rev_row h[16];
	struct ob_rev_month m[2];
	size_t n = history(h);

	ck_assert_int_eq(ob_revenue_months(h, n, "eur", 2026, 1, 2, m), 0);
	ck_assert_int_eq(m[0].mrr, 0);
	ck_assert_int_eq(m[0].nrr_bps, -1);	/* nothing to retain */
	ck_assert_int_eq(m[1].mrr, 9999);
	ck_assert_int_eq(m[1].new_mrr, 9999);
	ck_assert_int_eq(m[1].logo_churn_bps, -1);
	/* December 2025 → January 2026 rolls the year. */
	ck_assert_int_eq(ob_revenue_months(h, n, "usd", 2025, 12, 2, m), 0);
	ck_assert_int_eq(m[0].mrr, 15000);
	ck_assert_int_eq(m[0].new_mrr, 15000);
	ck_assert_int_eq(m[1].year, 2026);
	ck_assert_int_eq(m[1].mrr, 31000);
	ck_assert_int_eq(ob_revenue_months(NULL, 0, "usd", 2026, 1, 1, m), 0);
	ck_assert_int_eq(m[0].mrr, 0);
	ck_assert_int_eq(ob_revenue_months(h, n, "usd", 2026, 13, 1, m), -1);
	ck_assert_int_eq(ob_revenue_months(h, n, "usd", 2026, 1, 0, m), -1);
	ck_assert_int_eq(ob_revenue_months(h, n, "usd", 2026, 1, OB_REVENUE_MAX_MONTHS + 1, m), -1);
}
END_TEST

Suite *
ops_revenue_suite(void)
{
	Suite *s = suite_create("ops_revenue");
	TCase *tc = tcase_create("arithmetic");

	tcase_add_test(tc, mrr_of_a_state);
	tcase_add_test(tc, bps_rounding);
	tcase_add_test(tc, months_of_a_history);
	tcase_add_test(tc, months_other_currency_and_edges);
	suite_add_tcase(s, tc);
	return s;
}
