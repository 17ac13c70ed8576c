/*
 * Credits follow the subscription (docs/CREDITS.md, "Periods" and "Seats
 * added mid-period"): seats added mid-period get the plan's per-seat
 * credits prorated to the rest of the period, rounded down, tested at the
 * period's first and last second; removed seats take nothing back and a
 * seat count already paid for is not paid again; member allocations reset
 * at the subscription's period, calendar months without one. Every
 * expected number is worked out by hand from the Business plan's 2000
 * credits per seat and a 30-day period (2 592 000 seconds).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/db.h"
#include "billing/seats.h"
#include "billing/subscription.h"
#include "integration/harness.h"

#define API "/api/v1/org-billing"
#define PERIOD	2592000LL	/* 30 days */

static long
sqlv(const char *sql)
{
	const char *v = t_sql_value(sql);

	ck_assert_msg(v != NULL, "no row: %s", sql);
	return atol(v);
}

/* A Business subscription of org for [start, start + PERIOD) with seats. */
static void
sub_fill(struct ob_sub *s, long org, int64_t start, int64_t seats)
{
	memset(s, 0, sizeof(*s));
	s->org_id = org;
	snprintf(s->plan, sizeof(s->plan), "business");
	snprintf(s->cycle, sizeof(s->cycle), "month");
	snprintf(s->status, sizeof(s->status), "active");
	snprintf(s->subscription, sizeof(s->subscription), "sub_seats_%ld", org);
	s->seats = seats;
	s->period_start = start;
	s->period_end = start + PERIOD;
	s->credits_period = start;
}

/* Apply a seat change from -> to at start + offset; the credits granted. */
static int64_t
change(struct ob_db *db, long org, int64_t start, int64_t from, int64_t to, int64_t offset)
{
	struct ob_actx ax = { .db = db };
	struct ob_sub before, after;
	struct ob_fail f = { 0 };
	int64_t granted = -1;

	sub_fill(&before, org, start, from);
	sub_fill(&after, org, start, to);
	ck_assert_int_eq(ob_db_begin(db), 0);
	ck_assert_msg(ob_seats_grant_added(&ax, &before, &after, start + offset, &granted, &f) == 0,
	    "%s", f.message);
	ck_assert_int_eq(ob_db_commit(db), 0);
	return granted;
}

static long
pool_granted(long org)
{
	char q[160];

	snprintf(q, sizeof(q), "SELECT COALESCE(sum(granted), 0) FROM credit_pools WHERE org_id = %ld", org);
	return sqlv(q);
}

START_TEST(seats_added_first_second_gets_the_whole_period)
{
	struct ob_db db;
	long org = t_org_new("seat-first", NULL, NULL);
	int64_t start = (int64_t)time(NULL) - 5 * 86400;
	char q[256];

	t_db_open(&db);
	/* 3 -> 5 at the period's first second: 2 seats x 2000, all of it. */
	ck_assert_int_eq(change(&db, org, start, 3, 5, 0), 4000);
	ck_assert_int_eq(pool_granted(org), 4000);
	snprintf(q, sizeof(q), "SELECT source || ':' || seats_to || ':' ||"
	    " (extract(epoch FROM expires_at)::bigint - %lld) FROM credit_grants g"
	    " JOIN credit_pools p ON p.id = g.pool_id WHERE p.org_id = %ld", (long long)start, org);
	ck_assert_str_eq(t_sql_value(q), "seats:5:2592000");	/* expires with the period */
	snprintf(q, sizeof(q), "SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.seat_grant'", org);
	ck_assert_int_eq(sqlv(q), 1);
	/* The same change again (a replayed event) grants nothing more. */
	ck_assert_int_eq(change(&db, org, start, 3, 5, 60), 0);
	ck_assert_int_eq(pool_granted(org), 4000);
	ob_db_close(&db);
}
END_TEST

START_TEST(seats_added_last_second_round_down)
{
	struct ob_db db;
	long org = t_org_new("seat-last", NULL, NULL);
	int64_t start = (int64_t)time(NULL) - 5 * 86400;

	t_db_open(&db);
	/* At the last second: 4000 x 1 / 2592000 = 0.0015 -> 0, no grant. */
	ck_assert_int_eq(change(&db, org, start, 3, 5, PERIOD - 1), 0);
	ck_assert_int_eq(pool_granted(org), 0);
	/* 1296 seats at the last second: 2000 x 1296 x 1 / 2592000 = 1 exactly. */
	ck_assert_int_eq(change(&db, org, start, 3, 1299, PERIOD - 1), 1);
	ck_assert_int_eq(pool_granted(org), 1);
	ob_db_close(&db);
}
END_TEST

START_TEST(seats_added_mid_period_prorated_no_clawback)
{
	struct ob_db db;
	long org = t_org_new("seat-mid", NULL, NULL);
	int64_t start = (int64_t)time(NULL) - 5 * 86400;
	char q[256];

	t_db_open(&db);
	/* 3 -> 5 after 10 of 30 days: 4000 x 20/30 = 2666.67 -> 2666 (down, not 2667). */
	ck_assert_int_eq(change(&db, org, start, 3, 5, 10 * 86400), 2666);
	/* Remove a seat: nothing is taken back. */
	ck_assert_int_eq(change(&db, org, start, 5, 4, 12 * 86400), 0);
	ck_assert_int_eq(pool_granted(org), 2666);
	snprintf(q, sizeof(q), "SELECT sum(remaining) FROM credit_grants WHERE org_id = %ld", org);
	ck_assert_int_eq(sqlv(q), 2666);
	/* 4 -> 6 after 15 days: only the 6th seat is new (5 were paid for):
	 * 2000 x 15/30 = 1000. */
	ck_assert_int_eq(change(&db, org, start, 4, 6, 15 * 86400), 1000);
	ck_assert_int_eq(pool_granted(org), 3666);
	ob_db_close(&db);
}
END_TEST

START_TEST(seats_plan_grant_counts_as_paid)
{
	struct ob_db db;
	long org = t_org_new("seat-plan", NULL, NULL);
	int64_t start = (int64_t)time(NULL) - 5 * 86400;
	char q[256];

	t_db_open(&db);
	/* The period's plan grant paid for 3 seats (6000). */
	snprintf(q, sizeof(q), "SELECT * FROM grant_plan_credits(%ld, to_timestamp(%lld),"
	    " to_timestamp(%lld), 6000)", org, (long long)start, (long long)(start + PERIOD));
	t_sql(q);
	/* 2 -> 4 after 20 days: the 4th seat only, 2000 x 10/30 = 666.67 -> 666. */
	ck_assert_int_eq(change(&db, org, start, 2, 4, 20 * 86400), 666);
	ck_assert_int_eq(pool_granted(org), 6666);
	ob_db_close(&db);
}
END_TEST

/* ---- allocation periods ---- */

struct alloc_org {
	long org, user;
	char key[128];
};

static void
alloc_org_new(const char *tag, struct alloc_org *a)
{
	char q[512];

	a->org = t_org_new(tag, NULL, NULL);
	(void)t_member_new(a->org, "owner", NULL);
	a->user = t_member_new(a->org, "member", NULL);
	t_apikey_new(a->org, "meter", a->key, sizeof(a->key));
	snprintf(q, sizeof(q), "SELECT * FROM add_credits_to_pool(%ld, NULL, 10000, 'manual',"
	    " NULL, NULL, 'test', 'test', NULL)", a->org);
	t_sql(q);
	snprintf(q, sizeof(q), "SELECT * FROM allocate_credits_to_user(%ld, %ld, 100, 'test')",
	    a->org, a->user);
	t_sql(q);
}

/* The member has used 80 of 100 in the period starting on the date (SQL). */
static void
alloc_used_since(const struct alloc_org *a, const char *date_sql)
{
	char q[512];

	snprintf(q, sizeof(q), "UPDATE credit_allocations SET used = 80, period_start = (%s)"
	    " WHERE org_id = %ld AND user_id = %ld", date_sql, a->org, a->user);
	t_sql(q);
}

/* A live Business subscription whose current period is [start, end) (SQL). */
static void
subscription_period(const struct alloc_org *a, const char *start_sql, const char *end_sql)
{
	char q[1024];

	snprintf(q, sizeof(q), "INSERT INTO subscriptions (org_id, plan_code, cycle, seats,"
	    " unit_amount, status, stripe_customer_id, stripe_subscription_id, stripe_item_id,"
	    " stripe_price_id, current_period_start, current_period_end) VALUES (%ld, 'business',"
	    " 'month', 3, 2900, 'active', 'cus_alloc', 'sub_alloc_%ld', 'si_alloc', 'price_alloc',"
	    " %s, %s)", a->org, a->org, start_sql, end_sql);
	t_sql(q);
}

static long
deduct(const struct alloc_org *a, long amount, struct t_resp *r)
{
	static int n;
	char path[128], body[256], idem[128];
	const char *extra[2] = { idem, NULL };

	snprintf(path, sizeof(path), API "/credits/%ld/deduct", a->org);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":%ld,\"service\":\"chat\"}",
	    a->user, amount);
	snprintf(idem, sizeof(idem), "Idempotency-Key: alloc-%d-%ld-%d", (int)getpid(),
	    (long)time(NULL), ++n);
	ck_assert_int_eq(t_http_as(NULL, a->key, "POST", path, body, "application/json", extra, r), 0);
	return r->status;
}

#define UTC_DAY(expr) "((" expr ") AT TIME ZONE 'UTC')::date"

/* A new subscription period that began two days ago resets the allocation,
 * even inside the same calendar month. */
START_TEST(allocation_resets_at_subscription_period)
{
	struct alloc_org a;
	struct t_resp r;
	char q[256];

	alloc_org_new("alloc-sub", &a);
	subscription_period(&a, "now() - interval '2 days'", "now() + interval '28 days'");
	alloc_used_since(&a, UTC_DAY("now() - interval '3 days'"));
	ck_assert_int_eq(deduct(&a, 50, &r), 200);	/* 0 + 50 <= 100 */
	t_resp_free(&r);
	snprintf(q, sizeof(q), "SELECT used || ':' || (period_start = " UTC_DAY("now() - interval '2 days'")
	    ") FROM credit_allocations WHERE org_id = %ld AND user_id = %ld", a.org, a.user);
	ck_assert_str_eq(t_sql_value(q), "50:true");
}
END_TEST

/*
 * verify-ledger counts an allocation's use from the first day of its own
 * period (the subscription's), not by the calendar month the usage rows
 * carry: with a period that began mid-month the books balance.
 */
START_TEST(verify_ledger_allocation_in_subscription_period)
{
	struct alloc_org a;
	struct t_resp r;

	alloc_org_new("alloc-verify", &a);
	/* Two days ago, or three when two days ago was the 1st. */
	subscription_period(&a, "now() - CASE WHEN extract(day FROM now() - interval '2 days') = 1"
	    " THEN interval '3 days' ELSE interval '2 days' END", "now() + interval '28 days'");
	ck_assert_int_eq(deduct(&a, 30, &r), 200);
	t_resp_free(&r);
	ck_assert_int_eq(deduct(&a, 20, &r), 200);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT used FROM credit_allocations WHERE org_id = %ld"
	    " AND user_id = %ld", a.org, a.user), "50");
	/* Other tests of this suite put allocations out of step on purpose:
	 * only this member's rows are asked about. */
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM verify_credit_ledger() v"
	    " JOIN credit_allocations x ON v.id = x.pool_id || ':' || x.user_id"
	    " WHERE v.what = 'allocation.used' AND x.org_id = %ld AND x.user_id = %ld",
	    a.org, a.user), "0");
}
END_TEST

/* A subscription period that began 20 days ago has not ended: no reset,
 * whatever the calendar month did meanwhile. */
START_TEST(allocation_keeps_within_subscription_period)
{
	struct alloc_org a;
	struct t_resp r;

	alloc_org_new("alloc-keep", &a);
	subscription_period(&a, "now() - interval '20 days'", "now() + interval '10 days'");
	alloc_used_since(&a, UTC_DAY("now() - interval '20 days'"));
	ck_assert_int_eq(deduct(&a, 50, &r), 402);	/* 80 + 50 > 100 */
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"allocation\""));
	t_resp_free(&r);
	ck_assert_int_eq(deduct(&a, 20, &r), 200);	/* 80 + 20 = 100 */
	t_resp_free(&r);
}
END_TEST

/* Without a subscription: calendar months. */
START_TEST(allocation_calendar_month_without_subscription)
{
	struct alloc_org a;
	struct t_resp r;

	alloc_org_new("alloc-cal", &a);
	alloc_used_since(&a, "date_trunc('month', now() AT TIME ZONE 'UTC')::date");
	ck_assert_int_eq(deduct(&a, 50, &r), 402);	/* this month: 80 + 50 > 100 */
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"allocation\""));
	t_resp_free(&r);
	alloc_used_since(&a, "(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 day')::date");
	ck_assert_int_eq(deduct(&a, 50, &r), 200);	/* last month's: reset */
	t_resp_free(&r);
}
END_TEST

Suite *suspend_credits_suite(void)
{
	Suite *s = suite_create("suspend_credits");
	TCase *tc = tcase_create("suspend_credits");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, seats_added_first_second_gets_the_whole_period);
	tcase_add_test(tc, seats_added_last_second_round_down);
	tcase_add_test(tc, seats_added_mid_period_prorated_no_clawback);
	tcase_add_test(tc, seats_plan_grant_counts_as_paid);
	tcase_add_test(tc, allocation_resets_at_subscription_period);
	tcase_add_test(tc, allocation_keeps_within_subscription_period);
	tcase_add_test(tc, verify_ledger_allocation_in_subscription_period);
	tcase_add_test(tc, allocation_calendar_month_without_subscription);
	suite_add_tcase(s, tc);
	return s;
}
