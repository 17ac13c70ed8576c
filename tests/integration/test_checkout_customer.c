/*
 * One Stripe customer per org: a credit purchase, a subscription bought
 * through the API and a Checkout Session all use the customer made once
 * for the org (ob_invoices_customer, Idempotency-Key per org), in
 * sequence and when the first purchases of a new org race.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"

Suite *checkout_customer_suite(void);

#define API "/api/v1/org-billing"

/* How many customers the fake holds with this e-mail address. */
static int
customers_with_email(const char *email)
{
	char auth[160], path[256];
	const char *h[2] = { auth, NULL };
	struct t_resp r;
	cJSON *j;
	int n;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t_env("STRIPE_SECRET_KEY"));
	snprintf(path, sizeof(path), "/v1/customers?limit=100&email=%s", email);
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), "GET", path, NULL, 0, h, &r), 0);
	ck_assert_int_eq(r.status, 200);
	j = cJSON_Parse(r.body.data);
	ck_assert_ptr_nonnull(j);
	n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "data"));
	cJSON_Delete(j);
	t_resp_free(&r);
	return n;
}

struct call {
	const struct t_session *who;
	char path[160];
	const char *body;
	long status;
};

static void *
call_thread(void *arg)
{
	struct call *c = arg;
	char hc[128];
	const char *extra[2] = { hc, NULL };
	struct t_resp r;

	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", c->who->csrf);
	c->status = t_http_as(c->who->cookie, NULL, "POST", c->path, c->body, "application/json",
	    extra, &r) == 0 ? r.status : -1;
	t_resp_free(&r);
	return NULL;
}

/* A new org (billing e-mail email, may be NULL) and a billing member of it, signed in. */
static long
org_with_biller(const char *tag, const char *email, struct t_session *s)
{
	long org = t_org_new(tag, NULL, email);
	long uid = t_member_new(org, "billing", NULL);
	char q[128], em[128];

	snprintf(q, sizeof(q), "SELECT email FROM users WHERE id = %ld", uid);
	snprintf(em, sizeof(em), "%s", t_sql_value(q));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
	return org;
}

/* One customer id for the org everywhere orgbill keeps one. */
static void
assert_one_customer(long org)
{
	char q[512];

	snprintf(q, sizeof(q), "SELECT count(DISTINCT c) || ' ' || count(c) FROM (SELECT"
	    " stripe_customer_id AS c FROM subscriptions WHERE org_id = %ld UNION ALL SELECT"
	    " stripe_customer_id FROM org_billing_details WHERE org_id = %ld) x", org, org);
	ck_assert_str_eq(t_sql_value(q), "1 2");
}

START_TEST(customer_purchase_then_subscription_share_one)
{
	struct call buy = { 0 }, sub = { 0 };
	struct t_session s;
	char email[96];
	long org;

	snprintf(email, sizeof(email), "ap-seq-%ld@customer.test", (long)getpid());
	org = org_with_biller("cust-seq", email, &s);
	/* A credit purchase first (it makes the org's customer), then a subscription. */
	buy.who = &s;
	snprintf(buy.path, sizeof(buy.path), API "/credit-purchases/%ld", org);
	buy.body = "{\"credits\":1000}";
	call_thread(&buy);
	ck_assert_int_ge(buy.status, 200);
	sub.who = &s;
	snprintf(sub.path, sizeof(sub.path), API "/subscriptions/%ld", org);
	sub.body = "{\"plan\":\"business\",\"seats\":2,\"cycle\":\"month\",\"payment_method\":\"pm_card_visa\"}";
	call_thread(&sub);
	ck_assert_int_eq(sub.status, 201);
	assert_one_customer(org);
	ck_assert_int_eq(customers_with_email(email), 1);
	/* The card given with the subscription is the customer's default now. */
	{
		char q[256];

		snprintf(q, sizeof(q), "SELECT status FROM subscriptions WHERE org_id = %ld", org);
		ck_assert_str_eq(t_sql_value(q), "active");
	}
}
END_TEST

START_TEST(customer_concurrent_first_purchases_make_one)
{
	struct call c[4];
	pthread_t th[4];
	struct t_session s;
	char email[96];
	long org;
	int i;

	snprintf(email, sizeof(email), "ap-conc-%ld@customer.test", (long)getpid());
	org = org_with_biller("cust-conc", email, &s);
	memset(c, 0, sizeof(c));
	for (i = 0; i < 4; i++) {
		c[i].who = &s;
		if (i % 2 == 0) {
			snprintf(c[i].path, sizeof(c[i].path), API "/subscriptions/%ld", org);
			c[i].body = "{\"plan\":\"business\",\"seats\":1,\"cycle\":\"month\","
			    "\"payment_method\":\"pm_card_visa\"}";
		} else {
			snprintf(c[i].path, sizeof(c[i].path), API "/credit-purchases/%ld", org);
			c[i].body = "{\"credits\":1000}";
		}
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, call_thread, &c[i]), 0);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 4; i++)
		ck_assert_int_gt(c[i].status, 0);
	/* One of the two subscription requests made it. */
	ck_assert_msg(c[0].status == 201 || c[2].status == 201, "no subscription: %ld %ld",
	    c[0].status, c[2].status);
	assert_one_customer(org);
	ck_assert_int_eq(customers_with_email(email), 1);
}
END_TEST

/* POST the portal with Idempotency-Key ikey as org's key; the session's url into url. */
static long
portal(const struct t_session *who, const char *ikey, char *url, size_t len)
{
	char hc[128], idem[128];
	const char *h[3] = { hc, idem, NULL };
	struct t_resp r;
	cJSON *j;
	long st;

	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", who->csrf);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", ikey);
	ck_assert_int_eq(t_http_as(who->cookie, NULL, "POST", API "/billing/portal", "{}",
	    "application/json", h, &r), 0);
	st = r.status;
	url[0] = '\0';
	if ((j = cJSON_Parse(r.body.data)) != NULL &&
	    cJSON_IsString(cJSON_GetObjectItem(j, "url")))
		snprintf(url, len, "%s", cJSON_GetObjectItem(j, "url")->valuestring);
	cJSON_Delete(j);
	t_resp_free(&r);
	return st;
}

START_TEST(portal_key_is_per_org)
{
	struct call sub = { 0 };
	struct t_session sa, sb;
	char ua[512], ub[512], ua2[512], ikey[64];
	long a, b;

	a = org_with_biller("portal-a", NULL, &sa);
	b = org_with_biller("portal-b", NULL, &sb);
	sub.body = "{\"plan\":\"pro\",\"seats\":1,\"cycle\":\"month\",\"payment_method\":\"pm_card_visa\"}";
	sub.who = &sa;
	snprintf(sub.path, sizeof(sub.path), API "/subscriptions/%ld", a);
	call_thread(&sub);
	ck_assert_int_eq(sub.status, 201);
	sub.who = &sb;
	snprintf(sub.path, sizeof(sub.path), API "/subscriptions/%ld", b);
	call_thread(&sub);
	ck_assert_int_eq(sub.status, 201);
	/* Both orgs' clients happen to send the same key: each gets its own session. */
	snprintf(ikey, sizeof(ikey), "portal-shared-%ld", (long)getpid());
	ck_assert_int_eq(portal(&sa, ikey, ua, sizeof(ua)), 200);
	ck_assert_int_eq(portal(&sb, ikey, ub, sizeof(ub)), 200);
	ck_assert_ptr_nonnull(strstr(ua, "/p/session/bps_"));
	ck_assert_ptr_nonnull(strstr(ub, "/p/session/bps_"));
	ck_assert_str_ne(ua, ub);
	/* The same org with the same key replays its own session. */
	ck_assert_int_eq(portal(&sa, ikey, ua2, sizeof(ua2)), 200);
	ck_assert_str_eq(ua2, ua);
}
END_TEST

Suite *
checkout_customer_suite(void)
{
	Suite *s = suite_create("checkout_customer");
	TCase *tc = tcase_create("checkout_customer");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, customer_purchase_then_subscription_share_one);
	tcase_add_test(tc, customer_concurrent_first_purchases_make_one);
	tcase_add_test(tc, portal_key_is_per_org);
	suite_add_tcase(s, tc);
	return s;
}
