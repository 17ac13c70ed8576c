/*
 * Revenue arithmetic over the subscription history (revenue.h): pure
 * functions, no database (revenue_store.c reads and writes the history).
 */
#include "billing/revenue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "billing/proration.h"

int64_t
ob_revenue_mrr(const char *status, const char *cycle, int64_t seats, int64_t unit_amount)
{
	int64_t total;

	if (seats < 0 || unit_amount < 0 || status == NULL || cycle == NULL)
		return -1;
	if (strcmp(status, "active") != 0 && strcmp(status, "past_due") != 0)
		return 0;
	if (unit_amount != 0 && seats > INT64_MAX / unit_amount)
		return -1;
	total = seats * unit_amount;
	if (strcmp(cycle, "year") == 0)
		return total / 12 + (total % 12 >= 6 ? 1 : 0);
	return total;
}

int64_t
ob_revenue_bps(int64_t n, int64_t d)
{
	if (d <= 0 || n < 0 || n > INT64_MAX / 10000 - d)
		return -1;
	return (n * 10000 + d / 2) / d;
}

int64_t
ob_revenue_month_start(int64_t year, int64_t month)
{
	return ob_proration_days_from_civil(year, (unsigned)month, 1) * 86400;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_plan(const void *a, const void *b)
{
	return strcmp(((const struct ob_rev_plan *)a)->plan, ((const struct ob_rev_plan *)b)->plan);
}

/* The distinct org ids of rows, sorted, into ids (n slots); their count. */
static size_t
distinct_orgs(const struct ob_rev_row *rows, size_t n, int64_t *ids)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		ids[i] = rows[i].org_id;
	qsort(ids, n, sizeof(*ids), cmp_i64);
	for (i = 0; i < n; i++)
		if (k == 0 || ids[k - 1] != ids[i])
			ids[k++] = ids[i];
	return k;
}

/* Count one paying subscription of plan in m (the last slot takes the rest). */
static void
plan_count(struct ob_rev_month *m, const char *plan)
{
	size_t i;

	for (i = 0; i < m->nplans; i++)
		if (strcmp(m->plans[i].plan, plan) == 0) {
			m->plans[i].count++;
			return;
		}
	if (m->nplans == OB_REVENUE_MAX_PLANS) {
		strcpy(m->plans[OB_REVENUE_MAX_PLANS - 1].plan, "other");
		m->plans[OB_REVENUE_MAX_PLANS - 1].count++;
		return;
	}
	strncpy(m->plans[m->nplans].plan, plan, sizeof(m->plans[0].plan) - 1);
	m->plans[m->nplans].plan[sizeof(m->plans[0].plan) - 1] = '\0';
	m->plans[m->nplans++].count = 1;
}

/* The state of each org: its MRR and plan at a month's end. */
struct rev_state {
	int64_t *ids, *prev, *cur;
	const char **plan;
	size_t norgs, next;	/* next: the first row not applied yet */
};

/* Apply the rows before until to st. */
static void
apply_until(struct rev_state *st, const struct ob_rev_row *rows, size_t n, const char *currency,
    int64_t until)
{
	const struct ob_rev_row *r;
	int64_t *hit;
	size_t i;

	for (; st->next < n && rows[st->next].at < until; st->next++) {
		r = &rows[st->next];
		hit = bsearch(&r->org_id, st->ids, st->norgs, sizeof(*st->ids), cmp_i64);
		i = (size_t)(hit - st->ids);
		st->cur[i] = strcmp(r->currency, currency) == 0 ? r->mrr : 0;
		st->plan[i] = r->plan;
	}
}

/* One month's figures from st (prev: last month's end, cur: this one's). */
static void
month_figures(const struct rev_state *st, struct ob_rev_month *m)
{
	int64_t p, c;
	size_t i;

	for (i = 0; i < st->norgs; i++) {
		p = st->prev[i];
		c = st->cur[i];
		m->start_mrr += p;
		m->mrr += c;
		m->customers_start += p > 0;
		m->customers_end += c > 0;
		if (c > 0)
			plan_count(m, st->plan[i]);
		if (p == 0 && c > 0) {
			m->new_mrr += c;
			m->new_customers++;
		} else if (p > 0 && c == 0) {
			m->churned_mrr += p;
			m->churned_customers++;
		} else if (c > p) {
			m->expansion_mrr += c - p;
		} else {
			m->contraction_mrr += p - c;
		}
	}
	m->arr = m->mrr * 12;
	m->logo_churn_bps = ob_revenue_bps(m->churned_customers, m->customers_start);
	m->revenue_churn_bps = ob_revenue_bps(m->churned_mrr + m->contraction_mrr, m->start_mrr);
	m->nrr_bps = ob_revenue_bps(m->start_mrr + m->expansion_mrr - m->contraction_mrr -
	    m->churned_mrr, m->start_mrr);
	qsort(m->plans, m->nplans, sizeof(m->plans[0]), cmp_plan);
}

int
ob_revenue_months(const struct ob_rev_row *rows, size_t n, const char *currency,
    int64_t year, int64_t month, size_t months, struct ob_rev_month *out)
{
	struct rev_state st = { 0 };
	size_t k, slots = n > 0 ? n : 1;
	int64_t y = year, mo = month;
	int rc = -1;

	if (months < 1 || months > OB_REVENUE_MAX_MONTHS || month < 1 || month > 12 ||
	    year < 1970 || year > 9999 || currency == NULL)
		return -1;
	st.ids = calloc(slots, sizeof(*st.ids));
	st.prev = calloc(slots, sizeof(*st.prev));
	st.cur = calloc(slots, sizeof(*st.cur));
	st.plan = calloc(slots, sizeof(*st.plan));
	if (st.ids == NULL || st.prev == NULL || st.cur == NULL || st.plan == NULL)
		goto out;
	st.norgs = distinct_orgs(rows, n, st.ids);
	apply_until(&st, rows, n, currency, ob_revenue_month_start(y, mo));
	for (k = 0; k < months; k++) {
		memcpy(st.prev, st.cur, st.norgs * sizeof(*st.cur));
		memset(&out[k], 0, sizeof(out[k]));
		out[k].year = y;
		out[k].month = mo;
		if (++mo > 12) {
			mo = 1;
			y++;
		}
		apply_until(&st, rows, n, currency, ob_revenue_month_start(y, mo));
		month_figures(&st, &out[k]);
	}
	rc = 0;
out:
	free(st.ids);
	free(st.prev);
	free(st.cur);
	free(st.plan);
	return rc;
}
