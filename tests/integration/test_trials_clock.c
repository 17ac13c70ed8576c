/*
 * Trials: the plan's trial_days on an org's first subscription only, never
 * chosen by the client. A test plan of its own ("trialx": $10.00 a seat a
 * month, 50 credits a seat, 14 days of trial; the test stack's catalogue
 * has its trials off so the other suites buy paid subscriptions):
 * subscribing gives a trialing subscription with nothing charged and no
 * credits; the fake's clock passes three days before the trial's end (the
 * billing contacts get an e-mail with the date and the amount), then the
 * end: the card pays $20.00 for 2 seats, the subscription is active and
 * its 100 credits are granted once. A card that fails at the end leaves the
 * subscription past_due with no credits. An org that had a subscription
 * gets no trial again. The console's order summary shows the trial.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

Suite *trials_suite(void);

#define DAY 86400LL
#define CARD "cardNumber=4242424242424242"

/* The trial plan, made once (idempotent). */
static void
trial_plan(void)
{
	t_sql("INSERT INTO plans (code, name, tier, pricing, price_month, price_year,"
	    " max_agents, credits_per_seat, trial_days, self_serve) VALUES ('trialx', 'Trial X', 7,"
	    " 'per_seat', 1000, 10800, 100, 50, 14, true) ON CONFLICT (code) DO UPDATE SET"
	    " trial_days = 14, price_month = 1000, credits_per_seat = 50");
}

/* A column of the org's subscription row. */
static const char *
row(const struct inv_org *o, const char *col)
{
	return t_sql_valuef("SELECT COALESCE(%s::text, '') FROM subscriptions WHERE org_id = %ld",
	    col, o->id);
}

/* The org's plan credit grants: "count:sum". */
static const char *
plan_grants(const struct inv_org *o)
{
	return t_sql_valuef("SELECT count(*) || ':' || COALESCE(sum(amount), 0) FROM credit_grants"
	    " WHERE org_id = %ld AND source = 'plan'", o->id);
}

/* Create through the API: the answer (want: the status code). */
static cJSON *
create(const struct inv_org *o, const char *pm, const char *extra, long want)
{
	char body[256], path[128];

	t_reset_rate_limits();
	snprintf(body, sizeof(body), "{\"plan\":\"trialx\",\"seats\":2,\"cycle\":\"month\","
	    "\"payment_method\":\"%s\"%s}", pm, extra);
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	return inv_api(o->key, "POST", path, body, want);
}

/* The fake's invoices of the customer: "status:amount_paid:billing_reason,…". */
static void
fake_invoices(const struct inv_org *o, char *out, size_t len)
{
	char path[200];
	cJSON *l, *it;
	size_t n = 0;

	snprintf(path, sizeof(path), "/v1/invoices?customer=%s&limit=100", o->cus);
	l = inv_fake("GET", path, NULL, 200);
	out[0] = '\0';
	/* Newest first at Stripe: listed oldest first here. */
	for (it = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "data"),
	    cJSON_GetArraySize(cJSON_GetObjectItem(l, "data")) - 1); it != NULL; it = it->prev) {
		n += (size_t)snprintf(out + n, len - n, "%s%s:%lld:%s", n ? "," : "", t_jstr(it, "status"),
		    (long long)t_jnum(it, "amount_paid"), t_jstr(it, "billing_reason"));
		if (it == cJSON_GetArrayItem(cJSON_GetObjectItem(l, "data"), 0))
			break;
	}
	cJSON_Delete(l);
}

START_TEST(trial_client_cannot_choose_it)
{
	struct inv_org o;
	cJSON *j;

	trial_plan();
	inv_org_new(&o, "trial-choose", NULL);
	j = create(&o, "pm_card_visa", ",\"trial_days\":30", 400);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItem(j, "error"), "code"), "parameter_unknown");
	cJSON_Delete(j);
	j = create(&o, "pm_card_visa", ",\"trial_days\":200", 400);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItem(j, "error"), "code"), "parameter_unknown");
	cJSON_Delete(j);
	j = create(&o, "pm_card_visa", ",\"trial_days\":0", 400);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItem(j, "error"), "code"), "parameter_unknown");
	cJSON_Delete(j);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM subscriptions WHERE org_id = %ld", o.id),
	    "0");
}
END_TEST

START_TEST(trial_converts_to_paid_or_past_due_on_the_clock)
{
	struct inv_org pay, fail;
	char invs[512], want[128], cmd[320], queued[24];
	cJSON *j;
	long long end;

	trial_plan();
	inv_smtp_env();
	inv_org_new(&pay, "trial-pay", NULL);
	inv_org_new(&fail, "trial-fail", NULL);
	j = create(&pay, "pm_card_visa", "", 201);
	ck_assert_str_eq(t_jstr(j, "status"), "trialing");
	cJSON_Delete(j);
	j = create(&fail, "pm_card_chargeDeclined", "", 201);
	ck_assert_str_eq(t_jstr(j, "status"), "trialing");
	cJSON_Delete(j);
	inv_deliver();
	/* Trialing: nothing charged, no credits. */
	ck_assert_str_eq(row(&pay, "status"), "trialing");
	end = strtoll(row(&pay, "extract(epoch FROM trial_end)::bigint"), NULL, 10);
	ck_assert_int_gt(end, 13 * DAY + (long long)time(NULL) - 3600);
	fake_invoices(&pay, invs, sizeof(invs));
	ck_assert_str_eq(invs, "paid:0:subscription_create");
	ck_assert_str_eq(plan_grants(&pay), "0:0");
	ck_assert_str_eq(plan_grants(&fail), "0:0");

	/* Three days before the end: the billing contacts are told, once. */
	inv_advance_to(end - 3 * DAY + 60);
	inv_deliver();
	ck_assert_str_eq(row(&pay, "status"), "trialing");
	ck_assert_int_eq(t_jobs_once(), 0);
	ck_assert_str_eq(t_sql_valuef("SELECT count(DISTINCT dedupe_key) > 0 AND count(*) ="
	    " count(DISTINCT to_addr) FROM outbox WHERE org_id = %ld AND kind = 'trial_will_end'",
	    pay.id), "t");
	ck_assert_msg(inv_mail_has("free trial of your trialx subscription", "20.00 USD"),
	    "no trial_will_end mail with the amount in the SMTP sink");
	snprintf(want, sizeof(want), "Your free trial ends on %s",
	    t_sql_valuef("SELECT to_char(to_timestamp(%lld) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", end));
	ck_assert_msg(inv_mail_has(want, "2 seats"), "no mail saying '%s'", want);
	/* The event replayed: nothing more queued (once per event). */
	snprintf(cmd, sizeof(cmd), "webhooks replay %s", t_sql_valuef("SELECT id FROM webhook_events"
	    " WHERE type = 'customer.subscription.trial_will_end' AND org_id = %ld", pay.id));
	snprintf(queued, sizeof(queued), "%s", t_sql_valuef("SELECT count(*) FROM outbox"
	    " WHERE org_id = %ld AND kind = 'trial_will_end'", pay.id));
	ck_assert_str_ne(queued, "0");
	ck_assert_int_eq(t_cli(cmd, NULL, NULL, 0), 0);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM outbox WHERE org_id = %ld"
	    " AND kind = 'trial_will_end'", pay.id), queued);

	/* Past the end: the working card pays 2 × $10.00; the failing one does not. */
	inv_advance_to(end + 3600);
	inv_deliver();
	inv_deliver();
	ck_assert_str_eq(row(&pay, "status"), "active");
	fake_invoices(&pay, invs, sizeof(invs));
	ck_assert_str_eq(invs, "paid:0:subscription_create,paid:2000:subscription_cycle");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invoices WHERE org_id = %ld"
	    " AND status = 'paid' AND amount_paid = 2000", pay.id), "1");
	ck_assert_str_eq(plan_grants(&pay), "1:100");
	inv_deliver();
	ck_assert_str_eq(plan_grants(&pay), "1:100");

	ck_assert_str_eq(row(&fail, "status"), "past_due");
	fake_invoices(&fail, invs, sizeof(invs));
	ck_assert_str_eq(invs, "paid:0:subscription_create,open:0:subscription_cycle");
	ck_assert_str_eq(plan_grants(&fail), "0:0");
}
END_TEST

START_TEST(trial_only_on_the_first_subscription)
{
	struct inv_org o;
	char path[128];
	cJSON *j, *sub;

	trial_plan();
	inv_org_new(&o, "trial-again", NULL);
	j = create(&o, "pm_card_visa", "", 201);
	ck_assert_str_eq(t_jstr(j, "status"), "trialing");
	cJSON_Delete(j);
	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld/cancel", o.id);
	j = inv_api(o.key, "POST", path, "{\"reason\":\"Trying again\",\"at_period_end\":false}", 200);
	cJSON_Delete(j);
	inv_deliver();
	ck_assert_str_eq(row(&o, "status"), "canceled");
	/* Again: no trial, the first period is charged now. */
	j = create(&o, "pm_card_visa", "", 201);
	ck_assert_str_eq(t_jstr(j, "status"), "active");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/v1/subscriptions/%s", row(&o, "stripe_subscription_id"));
	sub = inv_fake("GET", path, NULL, 200);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(sub, "trial_end")));
	cJSON_Delete(sub);
	ck_assert_str_eq(row(&o, "COALESCE(trial_end::text, 'none')"), "none");
}
END_TEST

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

START_TEST(trial_in_the_summary_and_checkout)
{
	struct inv_org o, had;
	struct t_session s, sh;
	struct t_resp r;
	char body[256], want[320], sid[256], path[320];
	const char *loc;
	cJSON *j;

	trial_plan();
	inv_org_new(&o, "trial-console", NULL);
	billing_session(o.id, &s);
	/* 3 seats × $10.00 after 14 days; nothing due today. */
	snprintf(body, sizeof(body), "csrf=%s&plan=trialx&cycle=month&seats=3", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/summary", body, NULL, &r), 200);
	/* The day as a <time> read as "Dec 13, 2026", its title in UTC. */
	snprintf(want, sizeof(want), "<td data-k=\"trial\">14-day free trial, first charge on %s</td>",
	    t_sql_value("SELECT format('<time datetime=\"%s\" title=\"%s (UTC)\">%s</time>', "
	    "to_char(d, 'YYYY-MM-DD'), to_char(d, 'Mon FMDD, YYYY'), to_char(d, 'Mon FMDD, YYYY')) "
	    "FROM (SELECT (now() + interval '14 days') AT TIME ZONE 'UTC' AS d) x"));
	ck_assert_msg(strstr(r.body.data, want) != NULL, "no '%s' in the summary", want);
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"total\">$0.00</td>"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"subtotal\">$30.00</td>"));
	t_resp_free(&r);
	/* Checkout: the session asks Stripe for the trial; the card is taken, nothing charged. */
	snprintf(body, sizeof(body), "csrf=%s&idem=trial-console-1&plan=trialx&cycle=month&seats=3",
	    s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/checkout", body, NULL, &r), 303);
	loc = strstr(t_header(&r, "Location"), "session=");
	ck_assert_ptr_nonnull(loc);
	snprintf(sid, sizeof(sid), "%s", loc + strlen("session="));
	t_resp_free(&r);
	snprintf(path, sizeof(path), "/c/pay/%s", sid);
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), "POST", path, CARD, strlen(CARD),
	    (const char *[]){ "Content-Type: application/x-www-form-urlencoded", NULL }, &r), 0);
	ck_assert_int_eq(r.status, 303);
	t_resp_free(&r);
	inv_deliver();
	ck_assert_str_eq(row(&o, "status"), "trialing");
	snprintf(path, sizeof(path), "/v1/checkout/sessions/%s", sid);
	j = inv_fake("GET", path, NULL, 200);
	ck_assert_str_eq(t_jstr(j, "payment_status"), "no_payment_required");
	cJSON_Delete(j);

	/* An org that had a subscription: no trial in its summary. */
	inv_org_new(&had, "trial-had", NULL);
	t_sqlf("INSERT INTO subscriptions (org_id, plan_code, cycle, seats, unit_amount, status,"
	    " stripe_customer_id, stripe_subscription_id, stripe_item_id, stripe_price_id,"
	    " current_period_start, current_period_end, canceled_at) VALUES (%ld, 'trialx', 'month',"
	    " 1, 1000, 'canceled', '%s', 'sub_trial_had_%ld', 'si_had', 'price_had',"
	    " now() - interval '40 days', now() - interval '10 days', now() - interval '10 days')",
	    had.id, had.cus, had.id);
	billing_session(had.id, &sh);
	snprintf(body, sizeof(body), "csrf=%s&plan=trialx&cycle=month&seats=3", sh.csrf);
	ck_assert_int_eq(t_form_as(sh.cookie, "/subscription/summary", body, NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body.data, "data-k=\"trial\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td data-k=\"total\">$30.00</td>"));
	t_resp_free(&r);
}
END_TEST

/* The clock moved two weeks: put it back for the suites after this one. */
static void
trials_fake_reset(void)
{
	char cmd[512];
	const char *base = getenv("OB_TEST_STRIPE_FAKE");

	if (base == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -X POST '%s/_fake/clock/reset'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "trials: could not reset the Stripe fake's clock\n");
}

Suite *
trials_suite(void)
{
	Suite *s = suite_create("trials");
	TCase *tc = t_tcase("trials", 240, T_TESTS(trial_client_cannot_choose_it,
	    trial_only_on_the_first_subscription, trial_in_the_summary_and_checkout,
	    trial_converts_to_paid_or_past_due_on_the_clock));

	tcase_add_unchecked_fixture(tc, NULL, trials_fake_reset);
	suite_add_tcase(s, tc);
	return s;
}
