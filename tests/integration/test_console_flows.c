/*
 * Console flows a person follows by clicking: the flash after a new
 * subscription says what Stripe says (a declined first payment is
 * "Payment required", with a link to pay, never "Subscription started."),
 * and the payment-method button answers with a same-origin hand-off page
 * to Stripe's billing portal (a 303 to Stripe is what the CSP's
 * form-action 'self' blocked). Fresh orgs per test; expectations by hand.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "integration/harness.h"

/* A billing manager of a new org, signed in. */
static void
billing_of_new_org(const char *tag, struct t_session *s)
{
	long org = t_org_new(tag, NULL, NULL);
	long uid = t_member_new(org, "billing", NULL);
	char em[128];

	snprintf(em, sizeof(em), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
}

/* POST /subscription/create with card pm; the page the 303 leads to, into page. */
static void
create_with(const struct t_session *s, const char *pm, char *loc, size_t len, struct t_resp *page)
{
	struct t_resp r;
	char body[256];
	const char *l, *q;

	snprintf(body, sizeof(body), "csrf=%s&plan=business&cycle=month&seats=2&payment_method=%s"
	    "&email=pay@example.test", s->csrf, pm);
	ck_assert_int_eq(t_form_as(s->cookie, "/subscription/create", body, NULL, &r), 303);
	l = t_header(&r, "Location");
	ck_assert_ptr_nonnull(l);
	q = strstr(l, "/subscription?");
	ck_assert_msg(q != NULL, "Location %s", l);
	snprintf(loc, len, "%s", q);
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(s->cookie, NULL, loc, page), 200);
}

START_TEST(declined_first_payment_is_not_a_start)
{
	struct t_session s;
	struct t_resp page;
	char loc[256];
	const char *at;

	billing_of_new_org("flash-declined", &s);
	create_with(&s, "pm_card_chargeDeclined", loc, sizeof(loc), &page);
	ck_assert_str_eq(loc, "/subscription?done=payment_required");
	/* The link: the open invoice's page once it is mirrored, else the invoices page. */
	ck_assert_ptr_nonnull(at = strstr(page.body.data,
	    "Payment required — the first invoice is not paid yet. <a href=\""));
	at += strlen("Payment required — the first invoice is not paid yet. <a href=\"");
	ck_assert_msg(strncmp(at, "/invoices\">Complete it here</a>", 31) == 0 ||
	    (strncmp(at, "/billing/invoices/inv_", 22) == 0 &&
	    strncmp(at + 22 + 32, "\">Complete it here</a>", 22) == 0), "%.80s", at);
	ck_assert_ptr_null(strstr(page.body.data, "Subscription started."));
	ck_assert_ptr_nonnull(strstr(page.body.data, "incomplete"));
	t_resp_free(&page);

	billing_of_new_org("flash-paid", &s);
	create_with(&s, "pm_card_visa", loc, sizeof(loc), &page);
	ck_assert_str_eq(loc, "/subscription?done=created");
	ck_assert_ptr_nonnull(strstr(page.body.data, "Subscription started."));
	ck_assert_ptr_null(strstr(page.body.data, "Payment required"));
	t_resp_free(&page);
}
END_TEST

START_TEST(payment_method_hands_off_to_the_portal)
{
	struct t_session s;
	struct t_resp r;
	char body[128];
	const char *fake = t_env("OB_TEST_STRIPE_FAKE");
	char want[256];

	billing_of_new_org("portal-handoff", &s);
	snprintf(body, sizeof(body), "csrf=%s", s.csrf);
	/* A page of our own (not a redirect to Stripe), leading to the portal session. */
	ck_assert_int_eq(t_form_as(s.cookie, "/billing/payment-method", body, NULL, &r), 200);
	ck_assert_ptr_null(t_header(&r, "Location"));
	snprintf(want, sizeof(want), "<meta http-equiv=\"refresh\" content=\"0; url=%s/p/session/", fake);
	ck_assert_msg(strstr(r.body.data, want) != NULL, "no '%s' in %s", want, r.body.data);
	snprintf(want, sizeof(want), "<a id=\"handoff-link\" class=\"button\" href=\"%s/p/session/", fake);
	ck_assert_ptr_nonnull(strstr(r.body.data, want));
	t_resp_free(&r);
}
END_TEST

Suite *console_flows_suite(void)
{
	Suite *s = suite_create("console_flows");
	TCase *tc = tcase_create("console_flows");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, declined_first_payment_is_not_a_start);
	tcase_add_test(tc, payment_method_hands_off_to_the_portal);
	suite_add_tcase(s, tc);
	return s;
}
