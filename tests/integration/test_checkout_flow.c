/*
 * A new subscription through Stripe Checkout, from the console: the order
 * summary (hand-written totals), the session made for the org's one Stripe
 * customer and handed off by a same-origin page, nothing active until
 * checkout.session.completed arrives, then the subscription mirrored; the
 * return page shows pending, then active; another org sees nothing.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/harness.h"

Suite *checkout_flow_suite(void);

#define FORM "application/x-www-form-urlencoded"

static long
fake(const char *method, const char *path, const char *body, const char *type, struct t_resp *out)
{
	char ct[96];
	const char *h[2] = { ct, NULL };
	struct t_resp r;
	long st;

	snprintf(ct, sizeof(ct), "Content-Type: %s", type);
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), method, path, body,
	    body ? strlen(body) : 0, h, &r), 0);
	st = r.status;
	if (out != NULL)
		*out = r;
	else
		t_resp_free(&r);
	return st;
}

/* A billing member of a new org, signed in. */
static long
billing_session(const char *tag, struct t_session *s)
{
	long org = t_org_new(tag, NULL, "ap@checkout.test");
	long uid = t_member_new(org, "billing", NULL);
	char q[128];
	const char *email;
	char em[128];

	snprintf(q, sizeof(q), "SELECT email FROM users WHERE id = %ld", uid);
	email = t_sql_value(q);
	snprintf(em, sizeof(em), "%s", email);
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
	return org;
}

static long
post(const struct t_session *s, const char *path, const char *body, struct t_resp *r)
{
	ck_assert_int_eq(t_http_as(s->cookie, NULL, "POST", path, body, FORM, NULL, r), 0);
	return r->status;
}

static long
get(const struct t_session *s, const char *path, struct t_resp *r)
{
	ck_assert_int_eq(t_http_as(s->cookie, NULL, "GET", path, NULL, NULL, NULL, r), 0);
	return r->status;
}

/* The session id from "Location: /subscription/checkout?session=cs_…" into sid. */
static void
session_of(const struct t_resp *r, char *sid, size_t len)
{
	const char *loc = t_header(r, "Location"), *p;

	ck_assert_ptr_nonnull(loc);
	p = strstr(loc, "/subscription/checkout?session=");
	ck_assert_ptr_nonnull(p);
	snprintf(sid, len, "%s", p + strlen("/subscription/checkout?session="));
	ck_assert_int_eq(strncmp(sid, "cs_test_", 8), 0);
}

START_TEST(checkout_summary_shows_the_order_before_payment)
{
	struct t_session s;
	struct t_resp r;
	char body[256];

	billing_session("co-sum", &s);
	/* Business: $29.00 a seat a month; 4 seats: $116.00 due today, no tax line. */
	snprintf(body, sizeof(body), "csrf=%s&plan=business&cycle=month&seats=4", s.csrf);
	ck_assert_int_eq(post(&s, "/subscription/summary", body, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"seats\">4</td>"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"cycle\">Monthly</td>"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"unit\">$29.00 / month</td>"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"total\">$116.00</td>"));
	ck_assert_ptr_null(strstr(r.body.data, "data-k=\"tax\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "action=\"/subscription/checkout\""));
	t_resp_free(&r);
	/* Annual: $29 × 12 less 10 % = $313.20 a seat; 2 seats $626.40. */
	snprintf(body, sizeof(body), "csrf=%s&plan=business&cycle=year&seats=2", s.csrf);
	ck_assert_int_eq(post(&s, "/subscription/summary", body, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"unit\">$313.20 / year</td>"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"total\">$626.40</td>"));
	t_resp_free(&r);
	/* An unknown plan is refused; nothing reaches Stripe. */
	snprintf(body, sizeof(body), "csrf=%s&plan=nope&cycle=month&seats=1", s.csrf);
	ck_assert_int_eq(post(&s, "/subscription/summary", body, &r), 400);
	t_resp_free(&r);
}
END_TEST

START_TEST(checkout_subscription_active_only_after_the_webhook)
{
	struct t_session s, other;
	struct t_resp r;
	char body[256], sid[256], path[512], q[512];
	long org;

	ck_assert_int_eq(fake("POST", "/_fake/webhooks/deliver", "{}", "application/json", NULL), 200);
	org = billing_session("co-flow", &s);
	snprintf(body, sizeof(body), "csrf=%s&idem=co-flow-key-1&plan=business&cycle=month&seats=3",
	    s.csrf);
	ck_assert_int_eq(post(&s, "/subscription/checkout", body, &r), 303);
	session_of(&r, sid, sizeof(sid));
	t_resp_free(&r);
	/* The same form posted again (a double click) gives the same session. */
	ck_assert_int_eq(post(&s, "/subscription/checkout", body, &r), 303);
	{
		char sid2[256];

		session_of(&r, sid2, sizeof(sid2));
		ck_assert_str_eq(sid2, sid);
	}
	t_resp_free(&r);
	/* The hand-off page links to Stripe's page (a GET: form-action stays 'self'). */
	snprintf(path, sizeof(path), "/subscription/checkout?session=%s", sid);
	ck_assert_int_eq(get(&s, path, &r), 200);
	snprintf(q, sizeof(q), "/c/pay/%s", sid);
	ck_assert_ptr_nonnull(strstr(r.body.data, q));
	ck_assert_ptr_nonnull(strstr(r.body.data, "http-equiv=\"refresh\""));
	t_resp_free(&r);
	/* The session is for the org's customer, the one kept for billing details. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM org_billing_details WHERE org_id = %ld"
	    " AND stripe_customer_id LIKE 'cus_%%'", org);
	ck_assert_str_eq(t_sql_value(q), "1");
	/* Nothing active yet. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM subscriptions WHERE org_id = %ld", org);
	ck_assert_str_eq(t_sql_value(q), "0");
	/* A declined card: the page again (402), still nothing. */
	snprintf(path, sizeof(path), "/c/pay/%s", sid);
	ck_assert_int_eq(fake("POST", path, "cardNumber=4000000000000002", FORM, NULL), 402);
	/* The test card: Stripe redirects to our return page. */
	ck_assert_int_eq(fake("POST", path, "cardNumber=4242424242424242", FORM, &r), 303);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Location"), "/subscription/checkout/return?session_id="));
	t_resp_free(&r);
	snprintf(path, sizeof(path), "/subscription/checkout/return?session_id=%s", sid);
	ck_assert_int_eq(get(&s, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "data-status=\"pending\""));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_value(q), "0");
	/* The events arrive: mirrored from Stripe, active, 3 seats of business. */
	ck_assert_int_eq(fake("POST", "/_fake/webhooks/deliver", "{}", "application/json", NULL), 200);
	snprintf(q, sizeof(q), "SELECT plan_code || ' ' || cycle || ' ' || seats || ' ' || status"
	    " || ' ' || unit_amount FROM subscriptions WHERE org_id = %ld", org);
	ck_assert_str_eq(t_sql_value(q), "business month 3 active 2900");
	snprintf(q, sizeof(q), "SELECT status FROM checkout_sessions WHERE stripe_session_id = '%s'", sid);
	ck_assert_str_eq(t_sql_value(q), "complete");
	ck_assert_int_eq(get(&s, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "data-status=\"active\""));
	t_resp_free(&r);
	/* One confirmation with the receipt of the first payment (3 × $29.00). */
	snprintf(q, sizeof(q), "SELECT count(*) FROM outbox WHERE kind = 'subscription_confirmed'"
	    " AND to_addr = 'ap@checkout.test' AND dedupe_key LIKE 'subscription-confirmed:%s:%%'", sid);
	ck_assert_str_eq(t_sql_value(q), "1");
	snprintf(q, sizeof(q), "SELECT subject || '|' || (body LIKE '%%Seats: 3%%')::text || '|'"
	    " || (body LIKE '%%Paid today: 87.00 USD%%')::text || '|' || (body LIKE '%%/invoice/in_%%')::text"
	    " FROM outbox WHERE kind = 'subscription_confirmed' AND to_addr = 'ap@checkout.test'"
	    " AND dedupe_key LIKE 'subscription-confirmed:%s:%%'", sid);
	ck_assert_str_eq(t_sql_value(q), "Your business subscription is confirmed|true|true|true");
	/* One customer: the subscription's is the org's. */
	snprintf(q, sizeof(q), "SELECT count(DISTINCT c) FROM (SELECT stripe_customer_id AS c FROM"
	    " subscriptions WHERE org_id = %ld UNION ALL SELECT stripe_customer_id FROM"
	    " org_billing_details WHERE org_id = %ld) x", org, org);
	ck_assert_str_eq(t_sql_value(q), "1");
	/* A second purchase is a change, not a new subscription. */
	snprintf(body, sizeof(body), "csrf=%s&plan=pro&cycle=month&seats=1", s.csrf);
	ck_assert_int_eq(post(&s, "/subscription/summary", body, &r), 409);
	t_resp_free(&r);
	/* Another org's billing member does not see this order. */
	billing_session("co-other", &other);
	ck_assert_int_eq(get(&other, path, &r), 404);
	t_resp_free(&r);
	snprintf(path, sizeof(path), "/subscription/checkout?session=%s", sid);
	ck_assert_int_eq(get(&other, path, &r), 404);
	t_resp_free(&r);
}
END_TEST

Suite *
checkout_flow_suite(void)
{
	Suite *s = suite_create("checkout_flow");
	TCase *tc = tcase_create("checkout_flow");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, checkout_summary_shows_the_order_before_payment);
	tcase_add_test(tc, checkout_subscription_active_only_after_the_webhook);
	suite_add_tcase(s, tc);
	return s;
}
