/*
 * The Overview dashboard's view model (docs/CONSOLE.md, "Overview") through
 * its JSON twin, GET /api/v1/org-billing/dashboard/{org_id}, and the page:
 * the run-out forecast, amount due and the next invoice's estimate, usage
 * against limits ("Unlimited", never -1), alerts, and the next actions each
 * role may take. Every expected figure is worked out by hand below.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* A new org with a key of every scope; its id. */
static long
org_with_key(const char *tag, char *key, size_t len)
{
	long org = t_org_new(tag, NULL, NULL);

	t_apikey_new(org, "read,write,meter,admin", key, len);
	return org;
}

/* Grant amount credits to org (the CLI, as an operator). */
static void
grant(long org, long amount)
{
	char args[160], out[128];

	snprintf(args, sizeof(args), "credits grant --org %ld --amount %ld --reason 'dash test'",
	    org, amount);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
}

/* amount credits of usage on the UTC day `ago` days before today. */
static void
usage_on(long org, int ago, long amount)
{
	t_sqlf("INSERT INTO credit_rollup_day (pool_id, day, service, amount, n)"
	    " SELECT id, (now() AT TIME ZONE 'UTC')::date - %d, 'dash.test', %ld, 1"
	    " FROM credit_pools WHERE org_id = %ld", ago, amount, org);
}

/* The dashboard of org as key (or session cookie): status, body parsed into *o. */
static long
dashboard(long org, const char *cookie, const char *key, cJSON **o)
{
	char path[96];
	struct t_resp r;
	long st;

	snprintf(path, sizeof(path), API "/dashboard/%ld", org);
	st = t_get_as(cookie, key, path, &r);
	*o = st == 200 ? t_json(&r) : NULL;
	t_resp_free(&r);
	return st;
}

static const cJSON *
item(const cJSON *o, const char *path1, const char *path2)
{
	const cJSON *x = cJSON_GetObjectItem(o, path1);

	return path2 != NULL ? cJSON_GetObjectItem(x, path2) : x;
}

/* The alert of kind in o, or NULL. */
static const cJSON *
alert_of(const cJSON *o, const char *kind)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(o, "alerts"))
		if (strcmp(t_jstr(a, "kind"), kind) == 0)
			return a;
	return NULL;
}

/* The usage row of resource in o (must exist). */
static const cJSON *
usage_of(const cJSON *o, const char *res)
{
	const cJSON *u;

	cJSON_ArrayForEach(u, cJSON_GetObjectItem(o, "usage"))
		if (strcmp(t_jstr(u, "resource"), res) == 0)
			return u;
	ck_abort_msg("no usage row %s", res);
	return NULL;
}

/* The hrefs of o's actions, joined with spaces ("" when none). */
static const char *
actions_of(const cJSON *o)
{
	static char out[512];
	const cJSON *a;

	out[0] = '\0';
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(o, "actions")) {
		strncat(out, out[0] ? " " : "", sizeof(out) - strlen(out) - 1);
		strncat(out, t_jstr(a, "label"), sizeof(out) - strlen(out) - 1);
	}
	return out;
}

/*
 * 5,000 credits; 100 a day on each of the last 10 days (today included):
 * 10 days observed, 1,000 used, 100 a day, 5,000 × 10 / 1,000 = 50 days.
 */
START_TEST(forecast_balance_over_average_daily_use)
{
	char key[128], want[16];
	long org = org_with_key("dash-fc", key, sizeof(key));
	const cJSON *f;
	cJSON *o;
	int i;

	grant(org, 5000);
	for (i = 0; i < 10; i++)
		usage_on(org, i, 100);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert_str_eq(t_jstr(o, "object"), "dashboard");
	ck_assert_str_eq(t_jstr(item(o, "credits", NULL), "available_text"), "5,000");
	f = item(o, "credits", "forecast");
	ck_assert_str_eq(t_jstr(f, "status"), "ok");
	ck_assert_int_eq(t_jnum(f, "days_observed"), 10);
	ck_assert_int_eq(t_jnum(f, "used"), 1000);
	ck_assert_int_eq(t_jnum(f, "avg_daily"), 100);
	ck_assert_int_eq(t_jnum(f, "days_left"), 50);
	snprintf(want, sizeof(want), "%s",
	    t_sql_value("SELECT ((now() AT TIME ZONE 'UTC')::date + 50)::text"));
	ck_assert_str_eq(t_jstr(f, "runs_out_on"), want);
	ck_assert_str_eq(t_jstr(f, "text"),
	    "At 100 credits a day (the last 10 days' average), the balance lasts 50 more days.");
	ck_assert_ptr_null(alert_of(o, "credits_low"));
	cJSON_Delete(o);

	/* 4,000 more used today: 5,000 × 10 / 5,000 = 10 days; 1 more day of
	 * use at that pace and under a week: the "credits low" alert. */
	t_sqlf("UPDATE credit_rollup_day SET amount = 4100 WHERE service = 'dash.test' AND day ="
	    " (now() AT TIME ZONE 'UTC')::date AND pool_id = (SELECT id FROM credit_pools"
	    " WHERE org_id = %ld)", org);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert_int_eq(t_jnum(item(o, "credits", "forecast"), "days_left"), 10);
	cJSON_Delete(o);
	t_sqlf("UPDATE credit_rollup_day SET amount = 50000 WHERE service = 'dash.test' AND day ="
	    " (now() AT TIME ZONE 'UTC')::date AND pool_id = (SELECT id FROM credit_pools"
	    " WHERE org_id = %ld)", org);
	/* 50,900 used in 10 days: 5,000 × 10 / 50,900 = 0 whole days. */
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert_int_eq(t_jnum(item(o, "credits", "forecast"), "days_left"), 0);
	ck_assert_str_eq(t_jstr(alert_of(o, "credits_low"), "level"), "warning");
	cJSON_Delete(o);
}
END_TEST

/* Under 7 days of usage: not enough data; none at all: no run-out; none left: empty. */
START_TEST(forecast_needs_seven_days)
{
	char key[128];
	long org = org_with_key("dash-fc6", key, sizeof(key));
	const cJSON *f;
	cJSON *o;
	int i;

	grant(org, 5000);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert_str_eq(t_jstr(item(o, "credits", "forecast"), "status"), "no_usage");
	ck_assert(cJSON_IsNull(item(item(o, "credits", "forecast"), "days_left", NULL)));
	cJSON_Delete(o);

	for (i = 0; i < 6; i++)
		usage_on(org, i, 100);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	f = item(o, "credits", "forecast");
	ck_assert_str_eq(t_jstr(f, "status"), "not_enough_data");
	ck_assert_int_eq(t_jnum(f, "days_observed"), 6);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(f, "days_left")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(f, "runs_out_on")));
	ck_assert_str_eq(t_jstr(f, "text"),
	    "Not enough data for a forecast yet (under 7 days of usage).");
	cJSON_Delete(o);

	/* A seventh day (a week ago, nothing since the first): 7 observed. */
	usage_on(org, 6, 100);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	f = item(o, "credits", "forecast");
	ck_assert_str_eq(t_jstr(f, "status"), "ok");
	/* 5,000 × 7 / 700 = 50. */
	ck_assert_int_eq(t_jnum(f, "days_left"), 50);
	cJSON_Delete(o);

	/* An org with no credits: empty, and an error alert. */
	org = org_with_key("dash-empty", key, sizeof(key));
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert_str_eq(t_jstr(item(o, "credits", "forecast"), "status"), "empty");
	ck_assert_str_eq(t_jstr(alert_of(o, "credits_empty"), "level"), "error");
	cJSON_Delete(o);
}
END_TEST

/*
 * Without a subscription the Free plan's limits apply (sql/migrations
 * 005: 10 agents, 10,000 executions, 1 gateway): 9 agents is 90 % (near),
 * 8,999 executions 89 % (not near), 2 gateways over.
 */
START_TEST(usage_against_limits_and_alerts)
{
	char key[128], path[96], idem[64];
	long org = org_with_key("dash-lim", key, sizeof(key));
	const cJSON *u, *a;
	struct t_resp r;
	cJSON *o;

	snprintf(path, sizeof(path), API "/usage/%ld", org);
	snprintf(idem, sizeof(idem), "Idempotency-Key: dash-usage-%ld", org);
	ck_assert_int_eq(t_json_as(key, "POST", path,
	    "{\"agents\":9,\"gateways\":2,\"executions\":8999}", (const char *[]){ idem, NULL },
	    &r), 200);
	t_resp_free(&r);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	u = usage_of(o, "agents");
	ck_assert_int_eq(t_jnum(u, "current"), 9);
	ck_assert_int_eq(t_jnum(u, "limit"), 10);
	ck_assert_str_eq(t_jstr(u, "limit_text"), "10");
	ck_assert_int_eq(t_jnum(u, "percent"), 90);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(u, "near")));
	u = usage_of(o, "executions");
	ck_assert_int_eq(t_jnum(u, "percent"), 89);
	ck_assert_str_eq(t_jstr(u, "current_text"), "8,999");
	ck_assert_str_eq(t_jstr(u, "limit_text"), "10,000");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(u, "near")));
	u = usage_of(o, "gateways");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(u, "over")));
	ck_assert_int_eq(t_jnum(u, "percent"), 200);
	a = alert_of(o, "near_limit");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(t_jstr(a, "message"), "Agents: 9 of 10 used (90 %), near the plan's limit.");
	a = alert_of(o, "over_limit");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(t_jstr(a, "message"), "Gateways: 2 used, over the plan's limit of 1.");
	cJSON_Delete(o);
}
END_TEST

/*
 * Enterprise without an override has no limits: "Unlimited", a null limit,
 * never -1. Its next invoice: 2 seats × $100.00 = $200.00 at the period's
 * end; two open invoices ($49.00 + $1.00 left) make $50.00 due, a paid
 * one does not count; a past-due org is told so.
 */
START_TEST(unlimited_next_invoice_amount_due_past_due)
{
	char key[128], end[40];
	long org = org_with_key("dash-ent", key, sizeof(key));
	const cJSON *u, *n, *b;
	cJSON *o;
	int pid = (int)getpid();

	t_sqlf("INSERT INTO subscriptions (org_id, plan_code, cycle, seats, unit_amount, status,"
	    " stripe_customer_id, stripe_subscription_id, stripe_item_id, stripe_price_id,"
	    " current_period_start, current_period_end) VALUES (%ld, 'enterprise', 'month', 2,"
	    " 10000, 'active', 'cus_dash_%ld', 'sub_dash_%ld', 'si_dash', 'price_dash',"
	    " date_trunc('second', now()) - interval '20 days',"
	    " date_trunc('second', now()) + interval '10 days')", org, org, org);
	t_sqlf("INSERT INTO invoices (org_id, stripe_invoice_id, stripe_customer_id, number, status,"
	    " currency, subtotal, total, amount_due, amount_remaining, stripe_created) VALUES"
	    " (%ld, 'in_dash_a_%d', 'cus_dash_%ld', 'DASH-A-%d', 'open', 'usd', 4900, 4900, 4900,"
	    " 4900, now()), (%ld, 'in_dash_b_%d', 'cus_dash_%ld', 'DASH-B-%d', 'open', 'usd', 300,"
	    " 300, 300, 100, now())", org, pid, org, pid, org, pid, org, pid);
	t_sqlf("INSERT INTO invoices (org_id, stripe_invoice_id, stripe_customer_id, number, status,"
	    " currency, subtotal, total, amount_paid, stripe_created) VALUES (%ld, 'in_dash_c_%d',"
	    " 'cus_dash_%ld', 'DASH-C-%d', 'paid', 'usd', 7000, 7000, 7000, now())",
	    org, pid, org, pid);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	u = usage_of(o, "agents");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(u, "limit")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(u, "percent")));
	ck_assert_str_eq(t_jstr(u, "limit_text"), "Unlimited");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(u, "unlimited")));
	ck_assert_str_eq(t_jstr(item(o, "plan", NULL), "name"), "Enterprise");
	ck_assert_str_eq(t_jstr(item(o, "plan", NULL), "seats_purchased_text"), "2");
	b = item(o, "billing", NULL);
	ck_assert_int_eq(t_jnum(b, "amount_due"), 5000);
	ck_assert_str_eq(t_jstr(b, "amount_due_text"), "$50.00");
	ck_assert_int_eq(t_jnum(b, "open_invoices"), 2);
	n = cJSON_GetObjectItem(b, "next_invoice");
	ck_assert_int_eq(t_jnum(n, "estimate"), 20000);
	ck_assert_str_eq(t_jstr(n, "estimate_text"), "$200.00");
	ck_assert_int_eq(t_jnum(n, "extra_tasks_amount"), 0);
	snprintf(end, sizeof(end), "%s", t_sql_valuef("SELECT to_char(current_period_end AT TIME ZONE"
	    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM subscriptions WHERE org_id = %ld", org));
	ck_assert_str_eq(t_jstr(n, "date"), end);
	ck_assert_ptr_null(alert_of(o, "past_due"));
	cJSON_Delete(o);

	t_sqlf("UPDATE organizations SET billing_state = 'past_due' WHERE id = %ld", org);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert_str_eq(t_jstr(alert_of(o, "past_due"), "level"), "error");
	cJSON_Delete(o);

	/* Canceling at the period's end: nothing renews. */
	t_sqlf("UPDATE subscriptions SET cancel_at_period_end = true WHERE org_id = %ld", org);
	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert(cJSON_IsNull(item(o, "billing", "next_invoice")));
	cJSON_Delete(o);
}
END_TEST

/*
 * What each role is shown: billing figures to billers only, invitations to
 * managers only, actions per the policy; members of an org that hides
 * billing get no figures; another tenant's dashboard does not exist.
 */
START_TEST(sections_and_actions_follow_the_policy)
{
	char key[128], other_key[128], cookie[160], body[256], path[96];
	long org = org_with_key("dash-roles", key, sizeof(key)), other;
	long member = t_member_new(org, "member", NULL), billing = t_member_new(org, "billing", NULL);
	struct t_session owner;
	struct t_resp r;
	cJSON *o;

	(void)billing;
	/* A pending invitation (by the admin key). */
	snprintf(path, sizeof(path), API "/%ld/members", org);
	snprintf(body, sizeof(body), "{\"email\":\"dash-invitee-%ld@example.test\",\"role\":\"member\"}",
	    org);
	ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, &r), 201);
	t_resp_free(&r);

	ck_assert_int_eq(dashboard(org, NULL, key, &o), 200);
	ck_assert_int_eq(t_jnum(o, "pending_invitations"), 1);
	ck_assert_str_eq(t_jstr(alert_of(o, "pending_invitations"), "message"),
	    "1 invitation waiting to be accepted.");
	ck_assert_str_eq(actions_of(o), "");	/* keys never use the console */
	cJSON_Delete(o);

	/* The member: credits and plan, no billing figures, no invitations. */
	snprintf(body, sizeof(body), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    member));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(body, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(dashboard(org, cookie, NULL, &o), 200);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(o, "credits"));
	ck_assert_ptr_null(cJSON_GetObjectItem(o, "billing"));
	ck_assert_ptr_null(cJSON_GetObjectItem(o, "pending_invitations"));
	ck_assert_ptr_null(alert_of(o, "pending_invitations"));
	ck_assert_str_eq(actions_of(o), "See your credit allowance View the member list");
	cJSON_Delete(o);
	/* Its page shows no amount due. */
	ck_assert_int_eq(t_get_as(cookie, NULL, "/", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"dash-credits\""));
	ck_assert_ptr_null(strstr(r.body.data, "id=\"dash-billing\""));
	t_resp_free(&r);

	/* The org hides billing from members: no figures at all, and the JSON twin refuses. */
	t_sqlf("UPDATE organizations SET members_see_billing = false WHERE id = %ld", org);
	ck_assert_int_eq(dashboard(org, cookie, NULL, &o), 403);
	ck_assert_int_eq(t_get_as(cookie, NULL, "/", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"dash-hidden\""));
	ck_assert_ptr_null(strstr(r.body.data, "id=\"dash-credits\""));
	t_resp_free(&r);
	t_sqlf("UPDATE organizations SET members_see_billing = true WHERE id = %ld", org);

	/* The billing manager: figures and the billing actions; no invitations, no keys. */
	snprintf(body, sizeof(body), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    billing));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(body, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(dashboard(org, cookie, NULL, &o), 200);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(o, "billing"));
	ck_assert_ptr_null(cJSON_GetObjectItem(o, "pending_invitations"));
	ck_assert_str_eq(actions_of(o),
	    "Top up the credit pool Change the plan or seat count Assign licenses Set member allowances "
	    "View the member list");
	cJSON_Delete(o);

	/* Another tenant: its key and its owner find nothing here. */
	other = org_with_key("dash-other", other_key, sizeof(other_key));
	ck_assert_int_eq(dashboard(org, NULL, other_key, &o), 404);
	ck_assert_int_eq(dashboard(other, NULL, key, &o), 404);
	t_reset_rate_limits();
	t_session_new("owner@globex.test", &owner);
	ck_assert_int_eq(dashboard(org, owner.cookie, NULL, &o), 404);
}
END_TEST

/* The demo's Acme owner: every manager's action, the invitations count. */
START_TEST(owner_actions)
{
	struct t_session s;
	cJSON *o;

	t_reset_rate_limits();
	t_session_new("owner@acme.test", &s);
	ck_assert_int_eq(dashboard(t_org_id("acme"), s.cookie, NULL, &o), 200);
	ck_assert_ptr_nonnull(strstr(actions_of(o), "Change the plan or seat count Assign licenses "
	    "Set member allowances Invite a member Create an API key"));
	ck_assert_ptr_null(strstr(actions_of(o), "View the member list"));
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(o, "pending_invitations"));
	cJSON_Delete(o);
}
END_TEST

Suite *
dash_suite(void)
{
	return t_suite("dash", 120, T_TESTS(forecast_balance_over_average_daily_use,
	    forecast_needs_seven_days, usage_against_limits_and_alerts,
	    unlimited_next_invoice_amount_due_past_due, sections_and_actions_follow_the_policy,
	    owner_actions));
}
