/*
 * The budgets API (docs/BUDGETS.md, docs/openapi.yaml): create with money
 * converted at the credit price (100 minor units per 1000 credits in the
 * test stack: 1 minor unit = 10 credits), members read only the budgets
 * above them, a budget lowered below its spend is allowed and shown and
 * then refuses, archiving lifts it, one active budget per target and
 * period, teams only of the member's department and org, another
 * tenant's ids answer 404, every change audited. Expected numbers by hand.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"

#define API "/api/v1/org-billing"

/* An org with an owner, an admin key and a meter key (128 bytes each) and credits. */
static long
api_org(const char *tag, char *admin, char *meter)
{
	char t[64];
	long org;

	snprintf(t, sizeof(t), "bapi-%s", tag);
	org = t_org_new(t, NULL, NULL);
	t_member_new(org, "owner", NULL);
	t_apikey_new(org, "admin", admin, 128);
	t_apikey_new(org, "meter", meter, 128);
	t_sqlf("SELECT * FROM add_credits_to_pool(%ld, NULL, 1000000, 'manual', NULL, NULL, 'test',"
	    " 'test', NULL)", org);
	return org;
}

/* method on …/budgets/{org}suffix with body as key; the status, the answer into r (may be NULL). */
static long
bcall(const char *key, const char *method, long org, const char *suffix, const char *body,
    struct t_resp *r)
{
	char path[256];

	snprintf(path, sizeof(path), API "/budgets/%ld%s", org, suffix);
	return t_json_as(key, method, path, body, NULL, r);
}

/* Create a budget from body: its id (the answer must be 201). */
static long
bcreate(const char *key, long org, const char *body)
{
	struct t_resp r = { 0 };
	cJSON *o;
	long id;

	ck_assert_int_eq(bcall(key, "POST", org, "", body, &r), 201);
	o = t_json(&r);
	id = atol(t_jstr(o, "id"));
	cJSON_Delete(o);
	t_resp_free(&r);
	return id;
}

static long
deduct(const char *key, long org, const char *idem, long user, long amount)
{
	char path[128], body[256], ih[320];
	const char *extra[2] = { ih, NULL };

	snprintf(path, sizeof(path), API "/credits/%ld/deduct", org);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":%ld,\"service\":\"chat\"}",
	    user, amount);
	snprintf(ih, sizeof(ih), "Idempotency-Key: %s", idem);
	return t_json_as(key, "POST", path, body, extra, NULL);
}

START_TEST(create_converts_money_rounding_down_and_audits)
{
	char admin[128], meter[128], body[256];
	long org = api_org("money", admin, meter);
	struct t_resp r = { 0 };
	cJSON *o, *th;

	/* 1234 minor units at 100 per 1000 credits: 12 340 credits; with 9 999 credits
	 * also given, the smaller counts. */
	ck_assert_int_eq(bcall(admin, "POST", org, "", "{\"scope\":\"department\","
	    "\"department\":\"Eng\",\"period\":\"quarterly\",\"amount_minor\":1234,"
	    "\"amount_credits\":9999,\"thresholds\":\"90, 50,90\",\"name\":\"Eng Q\"}", &r), 201);
	o = t_json(&r);
	ck_assert_str_eq(t_jstr(o, "object"), "budget");
	ck_assert_str_eq(t_jstr(o, "scope"), "department");
	ck_assert_str_eq(t_jstr(o, "mode"), "hard");
	ck_assert_int_eq(t_jnum(o, "limit_credits"), 9999);
	ck_assert_int_eq(t_jnum(o, "amount_minor"), 1234);
	ck_assert_int_eq(t_jnum(o, "spent"), 0);
	th = cJSON_GetObjectItem(o, "thresholds");
	ck_assert_int_eq(cJSON_GetArraySize(th), 2);
	ck_assert_int_eq(cJSON_GetArrayItem(th, 0)->valueint, 50);
	ck_assert_int_eq(cJSON_GetArrayItem(th, 1)->valueint, 90);
	cJSON_Delete(o);
	t_resp_free(&r);
	/* Money alone: 1234 → 12 340. */
	ck_assert_int_eq(bcall(admin, "POST", org, "", "{\"scope\":\"org\",\"period\":\"annual\","
	    "\"mode\":\"soft\",\"amount_minor\":1234}", &r), 201);
	o = t_json(&r);
	ck_assert_int_eq(t_jnum(o, "limit_credits"), 12340);
	ck_assert_str_eq(t_jstr(o, "period_start"), t_sql_value("SELECT date_trunc('year',"
	    " now() AT TIME ZONE 'UTC')::date::text"));
	cJSON_Delete(o);
	t_resp_free(&r);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'budget.create'", org), 2);
	/* One active budget per target and period. */
	ck_assert_int_eq(bcall(admin, "POST", org, "", "{\"scope\":\"org\",\"period\":\"annual\","
	    "\"amount_credits\":5}", NULL), 409);
	/* Bad input: no amount, bad thresholds, a department budget without its department. */
	ck_assert_int_eq(bcall(admin, "POST", org, "", "{\"scope\":\"org\",\"period\":\"monthly\"}",
	    NULL), 400);
	ck_assert_int_eq(bcall(admin, "POST", org, "", "{\"scope\":\"org\",\"period\":\"monthly\","
	    "\"amount_credits\":5,\"thresholds\":\"0,50\"}", NULL), 400);
	ck_assert_int_eq(bcall(admin, "POST", org, "", "{\"scope\":\"department\","
	    "\"period\":\"monthly\",\"amount_credits\":5}", NULL), 400);
	snprintf(body, sizeof(body), "{\"scope\":\"member\",\"period\":\"monthly\","
	    "\"amount_credits\":5,\"user_id\":\"%ld\"}", t_user_id("member@acme.test"));
	ck_assert_int_eq(bcall(admin, "POST", org, "", body, NULL), 404);
}
END_TEST

START_TEST(lowering_below_spend_is_shown_then_refuses)
{
	char admin[128], meter[128], body[256], suffix[64];
	long org = api_org("lower", admin, meter), user = t_member_new(org, "member", NULL), id;
	struct t_resp r = { 0 };
	cJSON *o;

	snprintf(body, sizeof(body), "{\"scope\":\"member\",\"user_id\":%ld,\"period\":\"monthly\","
	    "\"amount_credits\":1000}", user);
	id = bcreate(admin, org, body);
	ck_assert_int_eq(deduct(meter, org, "l1", user, 300), 200);
	snprintf(suffix, sizeof(suffix), "/%ld", id);
	ck_assert_int_eq(bcall(admin, "PATCH", org, suffix, "{\"amount_credits\":200}", &r), 200);
	o = t_json(&r);
	ck_assert_int_eq(t_jnum(o, "limit_credits"), 200);
	ck_assert_int_eq(t_jnum(o, "spent"), 300);
	ck_assert_int_eq(t_jnum(o, "remaining"), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "over_limit")));
	cJSON_Delete(o);
	t_resp_free(&r);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'budget.update' AND before->>'limit_credits' = '1000'"
	    " AND after->>'limit_credits' = '200'", org), 1);
	ck_assert_int_eq(deduct(meter, org, "l2", user, 1), 402);
	/* Soft: alerts only. */
	ck_assert_int_eq(bcall(admin, "PATCH", org, suffix, "{\"mode\":\"soft\"}", NULL), 200);
	ck_assert_int_eq(deduct(meter, org, "l3", user, 1), 200);
	ck_assert_int_eq(bcall(admin, "PATCH", org, suffix, "{\"mode\":\"hard\"}", NULL), 200);
	ck_assert_int_eq(deduct(meter, org, "l4", user, 1), 402);
	/* Archived: no longer counts. */
	ck_assert_int_eq(bcall(admin, "PATCH", org, suffix, "{\"status\":\"archived\"}", NULL), 200);
	ck_assert_int_eq(deduct(meter, org, "l5", user, 1), 200);
	ck_assert_int_eq(bcall(admin, "GET", org, "", NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body.data, "\"budget\""));
	t_resp_free(&r);
	ck_assert_int_eq(bcall(admin, "GET", org, "?status=archived", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"archived\""));
	t_resp_free(&r);
}
END_TEST

START_TEST(members_read_only_the_budgets_above_them)
{
	char admin[128], meter[128], body[256], cookie[128], path[128], email[321];
	long org = api_org("mine", admin, meter);
	long a = t_member_new(org, "member", "Eng"), b = t_member_new(org, "member", "Ops");
	struct t_resp r = { 0 };

	bcreate(admin, org, "{\"scope\":\"org\",\"period\":\"monthly\",\"amount_credits\":900}");
	bcreate(admin, org, "{\"scope\":\"department\",\"department\":\"Eng\",\"period\":\"monthly\","
	    "\"amount_credits\":800}");
	bcreate(admin, org, "{\"scope\":\"department\",\"department\":\"Ops\",\"period\":\"monthly\","
	    "\"amount_credits\":700}");
	snprintf(body, sizeof(body), "{\"scope\":\"member\",\"user_id\":%ld,\"period\":\"monthly\","
	    "\"amount_credits\":111}", a);
	bcreate(admin, org, body);
	snprintf(body, sizeof(body), "{\"scope\":\"member\",\"user_id\":%ld,\"period\":\"monthly\","
	    "\"amount_credits\":222}", b);
	bcreate(admin, org, body);

	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", a));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	snprintf(path, sizeof(path), API "/budgets/%ld", org);
	ck_assert_int_eq(t_get_as(cookie, NULL, path, &r), 200);
	/* a (Eng): the org's 900, Eng's 800 and their own 111 — not Ops' 700 nor b's 222. */
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"limit_credits\":900"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"limit_credits\":800"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"limit_credits\":111"));
	ck_assert_ptr_null(strstr(r.body.data, "\"limit_credits\":700"));
	ck_assert_ptr_null(strstr(r.body.data, "\"limit_credits\":222"));
	t_resp_free(&r);
	/* Members do not manage budgets. */
	ck_assert_int_eq(t_call(cookie, NULL, "POST", path, "{\"scope\":\"org\","
	    "\"period\":\"annual\",\"amount_credits\":5}", "application/json", NULL, NULL), 403);
}
END_TEST

START_TEST(teams_and_other_tenants)
{
	char admin[128], meter[128], admin2[128], meter2[128], body[256], suffix[96];
	long org = api_org("teams", admin, meter), org2 = api_org("teams2", admin2, meter2);
	long eng = t_member_new(org, "member", "Eng"), ops = t_member_new(org, "member", "Ops");
	long team, team2, bid;
	struct t_resp r = { 0 };
	cJSON *o;

	ck_assert_int_eq(bcall(admin, "POST", org, "/teams", "{\"name\":\"Core\","
	    "\"department\":\"Eng\"}", &r), 201);
	o = t_json(&r);
	team = atol(t_jstr(o, "id"));
	cJSON_Delete(o);
	t_resp_free(&r);
	ck_assert_int_eq(bcall(admin, "POST", org, "/teams", "{\"name\":\"Core\"}", NULL), 409);
	ck_assert_int_eq(bcall(admin2, "POST", org2, "/teams", "{\"name\":\"Core\","
	    "\"department\":\"Eng\"}", &r), 201);
	o = t_json(&r);
	team2 = atol(t_jstr(o, "id"));
	cJSON_Delete(o);
	t_resp_free(&r);

	snprintf(body, sizeof(body), "{\"team_id\":%ld}", team);
	snprintf(suffix, sizeof(suffix), "/members/%ld/team", eng);
	ck_assert_int_eq(bcall(admin, "PUT", org, suffix, body, NULL), 200);
	ck_assert_int_eq(t_sql_long("SELECT team_id FROM memberships WHERE org_id = %ld AND user_id = %ld",
	    org, eng), team);
	/* Ops is not in Eng's team's department. */
	snprintf(suffix, sizeof(suffix), "/members/%ld/team", ops);
	ck_assert_int_eq(bcall(admin, "PUT", org, suffix, body, NULL), 404);
	/* Another org's team, budget and member: 404. */
	snprintf(body, sizeof(body), "{\"team_id\":%ld}", team2);
	snprintf(suffix, sizeof(suffix), "/members/%ld/team", eng);
	ck_assert_int_eq(bcall(admin, "PUT", org, suffix, body, NULL), 404);
	snprintf(body, sizeof(body), "{\"scope\":\"team\",\"team_id\":%ld,\"period\":\"monthly\","
	    "\"amount_credits\":5}", team2);
	ck_assert_int_eq(bcall(admin, "POST", org, "", body, NULL), 404);
	snprintf(body, sizeof(body), "{\"scope\":\"team\",\"team_id\":%ld,\"period\":\"monthly\","
	    "\"amount_credits\":50}", team);
	bid = bcreate(admin, org, body);
	snprintf(suffix, sizeof(suffix), "/%ld", bid);
	ck_assert_int_eq(bcall(admin2, "PATCH", org2, suffix, "{\"amount_credits\":1}", NULL), 404);
	ck_assert_int_eq(t_sql_long("SELECT limit_credits FROM budgets WHERE id = %ld", bid), 50);
	/* The team budget binds the team's member. */
	ck_assert_int_eq(deduct(meter, org, "t1", eng, 50), 200);
	ck_assert_int_eq(deduct(meter, org, "t2", eng, 1), 402);
	ck_assert_int_eq(deduct(meter, org, "t3", ops, 1), 200);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action IN ('team.create', 'team.assign')", org), 2);
}
END_TEST

Suite *
budget_api_suite(void)
{
	Suite *s = suite_create("budget_api");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, create_converts_money_rounding_down_and_audits);
	tcase_add_test(tc, lowering_below_spend_is_shown_then_refuses);
	tcase_add_test(tc, members_read_only_the_budgets_above_them);
	tcase_add_test(tc, teams_and_other_tenants);
	suite_add_tcase(s, tc);
	return s;
}
