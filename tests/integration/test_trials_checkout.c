/*
 * One checkout at a time: a second Checkout Session started for an org
 * expires the first at Stripe; and when both are paid anyway (the expiry
 * made to fail at the fake), the second subscription is canceled at once
 * with its first payment refunded: one live subscription at Stripe, one
 * refund of 2 × $29.00, the mirror keeps the first. Business, 2 seats
 * (the test stack's catalogue has no trials).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

Suite *trials_checkout_suite(void);

#define CARD "cardNumber=4242424242424242"

/* A billing member of org, signed in. */
static void
billing_session(long org, struct t_session *s)
{
	long uid = t_member_new(org, "billing", NULL);
	char em[128];

	snprintf(em, sizeof(em), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
}

/* Start a Checkout Session from the console (idem: the form's key): its id into sid. */
static void
start(const struct t_session *s, const char *idem, char *sid, size_t n)
{
	struct t_resp r;
	char body[256];
	const char *loc;

	snprintf(body, sizeof(body), "csrf=%s&idem=%s&plan=business&cycle=month&seats=2", s->csrf,
	    idem);
	ck_assert_int_eq(t_form_as(s->cookie, "/subscription/checkout", body, NULL, &r), 303);
	loc = strstr(t_header(&r, "Location"), "session=");
	ck_assert_ptr_nonnull(loc);
	snprintf(sid, n, "%s", loc + strlen("session="));
	ck_assert_int_eq(strncmp(sid, "cs_test_", 8), 0);
	t_resp_free(&r);
}

/* A session at the fake: field name of it. */
static const char *
fake_session(const char *sid, const char *name)
{
	static char out[256];
	char path[320];
	cJSON *j;

	snprintf(path, sizeof(path), "/v1/checkout/sessions/%s", sid);
	j = inv_fake("GET", path, NULL, 200);
	snprintf(out, sizeof(out), "%s", t_jstr(j, name) ? t_jstr(j, name) : "");
	cJSON_Delete(j);
	return out;
}

/* Pay a session on the fake's page with the test card: the HTTP status. */
static long
pay(const char *sid)
{
	const char *h[2] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	char path[320];
	struct t_resp r;
	long st;

	snprintf(path, sizeof(path), "/c/pay/%s", sid);
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), "POST", path, CARD, strlen(CARD), h,
	    &r), 0);
	st = r.status;
	t_resp_free(&r);
	return st;
}

START_TEST(checkout_second_session_expires_the_first)
{
	struct inv_org o;
	struct t_session s;
	char sid1[256], sid2[256];

	inv_org_new(&o, "co-two-tabs", NULL);
	billing_session(o.id, &s);
	start(&s, "two-tabs-1", sid1, sizeof(sid1));
	ck_assert_str_eq(fake_session(sid1, "status"), "open");
	start(&s, "two-tabs-2", sid2, sizeof(sid2));
	ck_assert_str_ne(sid1, sid2);
	/* The first is expired at Stripe and here; its page can no longer be paid. */
	ck_assert_str_eq(fake_session(sid1, "status"), "expired");
	ck_assert_str_eq(fake_session(sid2, "status"), "open");
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM checkout_sessions WHERE"
	    " stripe_session_id = '%s'", sid1), "expired");
	ck_assert_int_eq(pay(sid1), 409);
	ck_assert_int_eq(pay(sid2), 303);
	inv_deliver();
	ck_assert_str_eq(t_sql_valuef("SELECT status || ' ' || stripe_subscription_id FROM"
	    " subscriptions WHERE org_id = %ld", o.id),
	    t_sql_valuef("SELECT 'active ' || stripe_subscription_id FROM checkout_sessions"
	    " WHERE stripe_session_id = '%s'", sid2));
}
END_TEST

START_TEST(checkout_double_completion_cancels_and_refunds_the_second)
{
	struct inv_org o;
	struct t_session s;
	char sid1[256], sid2[256], sub1[96], sub2[96], path[200];
	cJSON *l, *it;
	int live = 0, canceled = 0, refunded = 0;
	long long refund = 0;

	inv_org_new(&o, "co-double", NULL);
	billing_session(o.id, &s);
	start(&s, "double-1", sid1, sizeof(sid1));
	/* The expiry of the first fails at Stripe: both sessions stay open. */
	inv_fake_ctl("/_fake/faults", "{\"status\":500,\"should_retry\":false,\"count\":1,"
	    "\"method\":\"POST\",\"path_prefix\":\"/v1/checkout/sessions/\"}");
	start(&s, "double-2", sid2, sizeof(sid2));
	ck_assert_str_eq(fake_session(sid1, "status"), "open");
	ck_assert_str_eq(fake_session(sid2, "status"), "open");
	/* Both tabs pay. */
	ck_assert_int_eq(pay(sid1), 303);
	ck_assert_int_eq(pay(sid2), 303);
	snprintf(sub1, sizeof(sub1), "%s", fake_session(sid1, "subscription"));
	snprintf(sub2, sizeof(sub2), "%s", fake_session(sid2, "subscription"));
	ck_assert_str_ne(sub1, sub2);
	inv_deliver();
	inv_deliver();

	/* At Stripe: one live subscription (the first), the second canceled. */
	snprintf(path, sizeof(path), "/v1/subscriptions?customer=%s&status=all&limit=10", o.cus);
	l = inv_fake("GET", path, NULL, 200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "data")) {
		if (strcmp(t_jstr(it, "status"), "active") == 0) {
			live++;
			ck_assert_str_eq(t_jstr(it, "id"), sub1);
		} else if (strcmp(t_jstr(it, "status"), "canceled") == 0) {
			canceled++;
			ck_assert_str_eq(t_jstr(it, "id"), sub2);
		}
	}
	cJSON_Delete(l);
	ck_assert_int_eq(live, 1);
	ck_assert_int_eq(canceled, 1);
	/* One refund: the second's first payment, 2 × $29.00. */
	snprintf(path, sizeof(path), "/v1/charges?customer=%s&limit=10", o.cus);
	l = inv_fake("GET", path, NULL, 200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "data")) {
		if (t_jnum(it, "amount_refunded") > 0) {
			refunded++;
			refund += t_jnum(it, "amount_refunded");
		}
	}
	cJSON_Delete(l);
	ck_assert_int_eq(refunded, 1);
	ck_assert_int_eq(refund, 5800);
	/* Here: the first is the mirrored one; the second order is a duplicate, audited once. */
	ck_assert_str_eq(t_sql_valuef("SELECT status || ' ' || stripe_subscription_id FROM"
	    " subscriptions WHERE org_id = %ld", o.id), t_sql_valuef("SELECT 'active %s'", sub1));
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM checkout_sessions WHERE"
	    " stripe_session_id = '%s'", sid2), "duplicate");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld AND action ="
	    " 'subscription.checkout_duplicate_canceled' AND target_id = '%s'", o.id, sub2), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld AND action ="
	    " 'subscription.checkout_duplicate_found' AND target_id = '%s'", o.id, sub2), "1");
	/* Its events were all applied (none left failing). */
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM webhook_events WHERE status = 'failed'"
	    " AND object_id IN ('%s', '%s')", sid2, sub2), "0");
	/* One confirmation e-mail: the first order's. */
	ck_assert_str_eq(t_sql_valuef("SELECT count(DISTINCT dedupe_key LIKE 'subscription-confirmed:%s:%%')"
	    " || ':' || bool_and(dedupe_key NOT LIKE 'subscription-confirmed:%s:%%') FROM outbox"
	    " WHERE org_id = %ld AND kind = 'subscription_confirmed'", sid1, sid2, o.id), "1:true");
}
END_TEST

static void
checkout_faults_clear(void)
{
	char cmd[512];
	const char *base = getenv("OB_TEST_STRIPE_FAKE");

	if (base == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -X DELETE '%s/_fake/faults'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "trials_checkout: could not clear the Stripe fake's faults\n");
}

Suite *
trials_checkout_suite(void)
{
	Suite *s = suite_create("trials_checkout");
	TCase *tc = t_tcase("trials_checkout", 180, T_TESTS(checkout_second_session_expires_the_first,
	    checkout_double_completion_cancels_and_refunds_the_second));

	tcase_add_unchecked_fixture(tc, NULL, checkout_faults_clear);
	suite_add_tcase(s, tc);
	return s;
}
