/*
 * Changes at the period's end are Stripe Subscription Schedules: Stripe
 * itself renews at the new price, with no command run here. A downgrade
 * from Business to Pro (docs/BILLING.md: Business $29, Pro $49 per seat
 * per month; Business 500 agents, Pro 100) is scheduled, nothing changes
 * until the fake's clock passes the period's end, then the renewal
 * invoice bills Pro × seats and the org's plan and limits change once.
 * Canceling the change on another org keeps Business renewing.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

/* An org with an admin key and a Business subscription of 3 monthly seats. */
static void
sched_org(struct inv_org *o, const char *tag)
{
	char body[256], path[128];
	cJSON *j;

	inv_org_new(o, tag, NULL);
	snprintf(body, sizeof(body), "{\"plan\":\"business\",\"seats\":3,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_card_visa\"}");
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	j = inv_api(o->key, "POST", path, body, 201);
	ck_assert_str_eq(t_jstr(j, "plan_id"), "business");
	cJSON_Delete(j);
}

/* The downgrade to Pro at the period's end: the answer. */
static cJSON *
downgrade(const struct inv_org *o)
{
	char path[128];

	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	return inv_api(o->key, "PATCH", path, "{\"plan\":\"pro\"}", 200);
}

/* How many audit rows of action the org has. */
static const char *
audits(const struct inv_org *o, const char *action)
{
	return t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld AND action = '%s'",
	    o->id, action);
}

/* A downgrade scheduled: the answer, the row, the fake's two-phase schedule. */
static void
check_scheduled(const struct inv_org *o, char *sched, size_t n)
{
	cJSON *up = downgrade(o), *sc, *sub, *phases, *ph1, *item;
	char path[160], want[96];
	const char *end;

	ck_assert_str_eq(t_jstr(up, "plan_id"), "business");
	sc = cJSON_GetObjectItem(up, "scheduled_change");
	ck_assert_str_eq(t_jstr(sc, "plan"), "pro");
	end = t_jstr(up, "current_period_end");
	snprintf(want, sizeof(want), "Changes to Pro (monthly) on %.10s", end);
	ck_assert_str_eq(t_jstr(sc, "summary"), want);
	snprintf(sched, n, "%s", t_jstr(sc, "stripe_schedule"));
	ck_assert_int_eq(strncmp(sched, "sub_sched_", 10), 0);
	cJSON_Delete(up);
	/* Nothing changed yet: the row, the limits, the fake's subscription. */
	ck_assert_str_eq(inv_sub_row(o, "plan_code"), "business");
	ck_assert_str_eq(inv_sub_row(o, "stripe_schedule_id"), sched);
	ck_assert_int_eq(inv_agents_limit(o), 500);
	sub = inv_fake_sub(o);
	ck_assert_str_eq(t_jstr(sub, "schedule"), sched);
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(inv_sub_item(sub), "price"), "unit_amount"), 2900);
	cJSON_Delete(sub);
	snprintf(path, sizeof(path), "/v1/subscription_schedules/%s", sched);
	sc = inv_fake("GET", path, NULL, 200);
	ck_assert_str_eq(t_jstr(sc, "end_behavior"), "release");
	phases = cJSON_GetObjectItem(sc, "phases");
	ck_assert_int_eq(cJSON_GetArraySize(phases), 2);
	ph1 = cJSON_GetArrayItem(phases, 1);
	item = cJSON_GetArrayItem(cJSON_GetObjectItem(ph1, "items"), 0);
	ck_assert_int_eq(t_jnum(item, "quantity"), 3);
	cJSON_Delete(sc);
}

START_TEST(sched_downgrade_applied_by_stripe_at_renewal)
{
	struct inv_org down, keep;
	char sched[96], keep_sched[96], path[160];
	cJSON *j, *sub;
	long long end;

	sched_org(&down, "sched-down");
	sched_org(&keep, "sched-keep");
	inv_deliver();
	check_scheduled(&down, sched, sizeof(sched));
	check_scheduled(&keep, keep_sched, sizeof(keep_sched));
	ck_assert_str_eq(audits(&down, "subscription.change_scheduled"), "1");

	/* Cancel the change on the other org: its schedule is released. */
	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld/scheduled-change/cancel", keep.id);
	j = inv_api(keep.key, "POST", path, NULL, 200);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "scheduled_change")));
	ck_assert_str_eq(t_jstr(j, "plan_id"), "business");
	cJSON_Delete(j);
	ck_assert_str_eq(inv_sub_row(&keep, "scheduled_plan_code"), "");
	ck_assert_str_eq(inv_sub_row(&keep, "stripe_schedule_id"), "");
	snprintf(path, sizeof(path), "/v1/subscription_schedules/%s", keep_sched);
	j = inv_fake("GET", path, NULL, 200);
	ck_assert_str_eq(t_jstr(j, "status"), "released");
	cJSON_Delete(j);
	/* A second cancel has nothing to cancel. */
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld/scheduled-change/cancel", keep.id);
	j = inv_api(keep.key, "POST", path, NULL, 409);
	cJSON_Delete(j);
	inv_deliver();
	ck_assert_str_eq(inv_sub_row(&down, "plan_code"), "business");
	ck_assert_str_eq(inv_sub_row(&down, "scheduled_plan_code"), "pro");

	/* Past the period's end: Stripe moves the subscription to Pro itself. */
	sub = inv_fake_sub(&down);
	end = t_jnum(inv_sub_item(sub), "current_period_end");
	cJSON_Delete(sub);
	sub = inv_fake_sub(&keep);
	if (t_jnum(inv_sub_item(sub), "current_period_end") > end)
		end = t_jnum(inv_sub_item(sub), "current_period_end");
	cJSON_Delete(sub);
	inv_advance_to(end + 3600);
	inv_deliver();
	inv_deliver();

	/* The renewal bills Pro: 3 seats × $49 = $147.00. */
	ck_assert_int_eq(inv_renewal_total(&down), 14700);
	sub = inv_fake_sub(&down);
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(inv_sub_item(sub), "price"), "unit_amount"), 4900);
	cJSON_Delete(sub);
	ck_assert_str_eq(inv_sub_row(&down, "plan_code"), "pro");
	ck_assert_str_eq(inv_sub_row(&down, "unit_amount"), "4900");
	ck_assert_str_eq(inv_sub_row(&down, "scheduled_plan_code"), "");
	ck_assert_int_eq(inv_agents_limit(&down), 100);
	/* Once: one applied change, one plan change in the audit log. */
	ck_assert_str_eq(audits(&down, "subscription.scheduled_applied"), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND before->>'plan' = 'business' AND after->>'plan' = 'pro'", down.id), "1");

	/* The other org renews at Business: 3 × $29 = $87.00, plan and limits kept. */
	ck_assert_int_eq(inv_renewal_total(&keep), 8700);
	ck_assert_str_eq(inv_sub_row(&keep, "plan_code"), "business");
	ck_assert_int_eq(inv_agents_limit(&keep), 500);
	ck_assert_str_eq(audits(&keep, "subscription.scheduled_applied"), "0");
}
END_TEST

/*
 * The console shows the scheduled change ("Changes to Pro (monthly) on
 * DATE") with a button that cancels it: the schedule is released at the
 * fake, the change forgotten, once.
 */
START_TEST(sched_console_shows_and_cancels_the_change)
{
	struct inv_org o;
	struct t_session s;
	struct t_resp r;
	char q[160], em[128], body[200], want[96], sched[96];
	cJSON *up;
	long uid;

	sched_org(&o, "sched-page");
	uid = t_member_new(o.id, "billing", NULL);
	snprintf(q, sizeof(q), "SELECT email FROM users WHERE id = %ld", uid);
	snprintf(em, sizeof(em), "%s", t_sql_value(q));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s.cookie, sizeof(s.cookie)), 303);
	t_csrf(s.cookie, s.csrf);
	up = downgrade(&o);
	snprintf(want, sizeof(want), "Changes to Pro (monthly) on <time datetime=\"%s\"",
	    t_jstr(up, "current_period_end"));
	snprintf(sched, sizeof(sched), "%s",
	    t_jstr(cJSON_GetObjectItem(up, "scheduled_change"), "stripe_schedule"));
	cJSON_Delete(up);

	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, want));
	ck_assert_ptr_nonnull(strstr(r.body.data, "action=\"/subscription/scheduled-change/cancel\""));
	t_resp_free(&r);

	snprintf(body, sizeof(body), "csrf=%s&idem=sched-page-cancel", s.csrf);
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/scheduled-change/cancel", body, NULL, &r),
	    303);
	ck_assert_str_eq(t_header(&r, "Location"), "/subscription?done=unscheduled");
	t_resp_free(&r);
	ck_assert_str_eq(inv_sub_row(&o, "scheduled_plan_code"), "");
	ck_assert_str_eq(audits(&o, "subscription.change_canceled"), "1");
	snprintf(q, sizeof(q), "/v1/subscription_schedules/%s", sched);
	up = inv_fake("GET", q, NULL, 200);
	ck_assert_str_eq(t_jstr(up, "status"), "released");
	cJSON_Delete(up);
	/* The same form again (same Idempotency key): replayed, nothing more. */
	ck_assert_int_eq(t_form_as(s.cookie, "/subscription/scheduled-change/cancel", body, NULL, &r),
	    303);
	t_resp_free(&r);
	ck_assert_str_eq(audits(&o, "subscription.change_canceled"), "1");
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription", &r), 200);
	ck_assert_ptr_null(strstr(r.body.data, "Changes to Pro"));
	ck_assert_ptr_null(strstr(r.body.data, "scheduled-change/cancel"));
	t_resp_free(&r);
}
END_TEST

/*
 * A downgrade made now after one was scheduled: the schedule is released
 * first (Stripe would otherwise apply it at renewal too), the change made
 * once, nothing left scheduled.
 */
START_TEST(sched_change_now_releases_the_schedule)
{
	struct inv_org o;
	char sched[96], path[160];
	cJSON *j, *sub;

	sched_org(&o, "sched-now");
	check_scheduled(&o, sched, sizeof(sched));
	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o.id);
	j = inv_api(o.key, "PATCH", path, "{\"plan\":\"pro\",\"immediate\":true}", 200);
	ck_assert_str_eq(t_jstr(j, "plan_id"), "pro");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "scheduled_change")));
	cJSON_Delete(j);
	ck_assert_str_eq(inv_sub_row(&o, "stripe_schedule_id"), "");
	snprintf(path, sizeof(path), "/v1/subscription_schedules/%s", sched);
	j = inv_fake("GET", path, NULL, 200);
	ck_assert_str_eq(t_jstr(j, "status"), "released");
	cJSON_Delete(j);
	sub = inv_fake_sub(&o);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(sub, "schedule")));
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(inv_sub_item(sub), "price"), "unit_amount"), 4900);
	cJSON_Delete(sub);
	ck_assert_int_eq(inv_agents_limit(&o), 100);
}
END_TEST

/* The clock moved a month: put it back for the suites after this one. */
static void
sched_fake_reset(void)
{
	char cmd[512];
	const char *base = getenv("OB_TEST_STRIPE_FAKE");

	if (base == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -X POST '%s/_fake/clock/reset'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "sched: could not reset the Stripe fake's clock\n");
}

Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = t_tcase("sched", 240, T_TESTS(sched_console_shows_and_cancels_the_change,
	    sched_change_now_releases_the_schedule,
	    sched_downgrade_applied_by_stripe_at_renewal));

	tcase_add_unchecked_fixture(tc, NULL, sched_fake_reset);
	suite_add_tcase(s, tc);
	return s;
}
