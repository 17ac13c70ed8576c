/*
 * Budget exception requests and approval chains (docs/BUDGETS.md,
 * "Approvals"), with the default chain (seed 002: department manager up to
 * $1,000, billing up to $5,000, owner above) and the test stack's credit
 * price (100 minor units per 1000 credits: 1,000,000 credits = $1,000).
 * An approved one-off lets spend past the budget once, up to its amount;
 * multi-step chains decide in order; nobody approves their own request;
 * rejection needs a comment; the requester cancels; a decided request
 * takes no second decision; auto-approval below the org's amount.
 * Expected numbers by hand.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"

#define API "/api/v1/org-billing"

/* A person of the org, signed in. */
struct who {
	long id;
	struct t_session s;
};

static void
person(long org, const char *role, const char *dept, const char *manages, struct who *w)
{
	char email[321];

	w->id = t_member_new(org, role, dept);
	if (manages != NULL)
		t_sqlf("UPDATE memberships SET manages = '%s' WHERE org_id = %ld AND user_id = %ld",
		    manages, org, w->id);
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    w->id));
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, w->s.cookie, sizeof(w->s.cookie)), 303);
	t_csrf(w->s.cookie, w->s.csrf);
}

/* method API "/approvals/{org}suffix" as w with a JSON body; the status, the answer into r. */
static long
acall(const struct who *w, const char *method, long org, const char *suffix, const char *body,
    struct t_resp *r)
{
	char path[256], hdr[128];
	const char *extra[2] = { hdr, NULL };

	snprintf(path, sizeof(path), API "/approvals/%ld%s", org, suffix);
	snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", w->s.csrf);
	return t_call(w->s.cookie, NULL, method, path, body, body ? "application/json" : NULL, extra,
	    r);
}

/* method on path (under API) as w with a JSON body; the status. */
static long
pcall(const struct who *w, const char *method, const char *path, const char *body)
{
	char full[256], hdr[128];
	const char *extra[2] = { hdr, NULL };

	snprintf(full, sizeof(full), API "%s", path);
	snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", w->s.csrf);
	return t_call(w->s.cookie, NULL, method, full, body, "application/json", extra, NULL);
}

/* Ask: the request's id and status (into st, 16 bytes); the answer must be 201. */
static long
ask(const struct who *w, long org, long budget, const char *kind, long amount, char *st)
{
	char body[256];
	struct t_resp r = { 0 };
	cJSON *o;
	long id;

	snprintf(body, sizeof(body), "{\"budget_id\":%ld,\"kind\":\"%s\",\"amount_credits\":%ld,"
	    "\"reason\":\"a customer workshop\"}", budget, kind, amount);
	ck_assert_int_eq(acall(w, "POST", org, "", body, &r), 201);
	o = t_json(&r);
	id = atol(t_jstr(o, "id"));
	snprintf(st, 16, "%s", t_jstr(o, "status"));
	cJSON_Delete(o);
	t_resp_free(&r);
	return id;
}

/* Decide request id as w; the status. */
static long
decide(const struct who *w, long org, long id, const char *decision, const char *body)
{
	char suffix[64];

	snprintf(suffix, sizeof(suffix), "/%ld/%s", id, decision);
	return acall(w, "POST", org, suffix, body, NULL);
}

static long
org_new(const char *tag, char *meter)
{
	char t[64];
	long org;

	snprintf(t, sizeof(t), "bappr-%s", tag);
	org = t_org_new(t, NULL, NULL);
	t_apikey_new(org, "meter", meter, 128);
	t_sqlf("SELECT * FROM add_credits_to_pool(%ld, NULL, 100000000, 'manual', NULL, NULL,"
	    " 'test', 'test', NULL)", org);
	return org;
}

static long
budget(long org, const char *scope_sql, long limit)
{
	long id = t_sql_long("INSERT INTO budgets (org_id, scope, %s period, mode, amount_credits,"
	    " limit_credits) VALUES (%ld, %s, 'monthly', 'hard', %ld, %ld) RETURNING id",
	    strchr(scope_sql, ',') ? (strstr(scope_sql, "department") ? "department," :
	    "user_id,") : "", org, scope_sql, limit, limit);

	t_sql_long("SELECT budget_open(%ld)", id);
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

START_TEST(one_off_lets_spend_through_once_up_to_its_amount)
{
	char meter[128], scope[96], st[16];
	struct who owner, mgr, mgr2, amy;
	long org = org_new("oneoff", meter), b, req;

	t_reset_rate_limits();
	person(org, "owner", NULL, NULL, &owner);
	person(org, "member", "Eng", "Eng", &mgr);
	person(org, "member", "Eng", NULL, &mgr2);
	person(org, "member", "Eng", NULL, &amy);
	/* The owner makes mgr2 a manager of Eng through the API; a member may not. */
	{
		char path[128];

		snprintf(path, sizeof(path), "/budgets/%ld/members/%ld/manager", org, mgr2.id);
		ck_assert_int_eq(pcall(&amy, "PUT", path, "{\"department\":\"Eng\"}"), 403);
		ck_assert_int_eq(pcall(&owner, "PUT", path, "{\"department\":\"Eng\"}"), 200);
		ck_assert_str_eq(t_sql_valuef("SELECT manages FROM memberships WHERE org_id = %ld"
		    " AND user_id = %ld", org, mgr2.id), "Eng");
	}
	snprintf(scope, sizeof(scope), "'member', %ld", amy.id);
	b = budget(org, scope, 100);
	ck_assert_int_eq(deduct(meter, org, "o1", amy.id, 100), 200);
	ck_assert_int_eq(deduct(meter, org, "o2", amy.id, 1), 402);
	/* 500 credits = 50 cents: the department manager's step alone. */
	req = ask(&amy, org, b, "one_off", 500, st);
	ck_assert_str_eq(st, "pending");
	ck_assert_str_eq(t_sql_valuef("SELECT array_to_string(steps, ',') FROM budget_requests"
	    " WHERE id = %ld", req), "department_manager");
	/* The manager was told; the requester cannot approve their own. */
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM outbox WHERE kind = 'budget_request'"
	    " AND org_id = %ld AND subject LIKE '%%awaits your approval'", org), 3);
	ck_assert_int_eq(decide(&amy, org, req, "approve", NULL), 403);
	ck_assert_int_eq(decide(&mgr, org, req, "approve", "{\"comment\":\"ok\"}"), 200);
	/* The second manager comes too late: one decision. */
	ck_assert_int_eq(decide(&mgr2, org, req, "approve", NULL), 409);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM budget_request_decisions WHERE request_id = %ld",
	    req), 1);
	/* 300 of the 500 past the limit; 201 more is too much; 200 fits exactly; then none. */
	ck_assert_int_eq(deduct(meter, org, "o3", amy.id, 300), 200);
	ck_assert_int_eq(deduct(meter, org, "o4", amy.id, 201), 402);
	ck_assert_int_eq(deduct(meter, org, "o5", amy.id, 200), 200);
	ck_assert_int_eq(deduct(meter, org, "o6", amy.id, 1), 402);
	/* A replay spends no allowance. */
	ck_assert_int_eq(deduct(meter, org, "o3", amy.id, 300), 200);
	ck_assert_int_eq(t_sql_long("SELECT remaining FROM budget_allowances WHERE request_id = %ld", req), 0);
	ck_assert_int_eq(t_sql_long("SELECT spent FROM budget_spend WHERE budget_id = %ld", b), 600);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM outbox WHERE org_id = %ld AND kind ="
	    " 'budget_request' AND subject LIKE '%%was approved'", org), 1);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action IN ('budget_request.create', 'budget_request.approve')", org), 2);
}
END_TEST

START_TEST(chains_decide_in_order_by_amount)
{
	char meter[128], scope[96], st[16];
	struct who owner, fin, mgr, amy;
	long org = org_new("chain", meter), b, r2, r6;

	t_reset_rate_limits();
	person(org, "owner", NULL, NULL, &owner);
	person(org, "billing", NULL, NULL, &fin);
	person(org, "member", "Eng", "Eng", &mgr);
	person(org, "member", "Eng", NULL, &amy);
	snprintf(scope, sizeof(scope), "'department', 'Eng'");
	b = budget(org, scope, 1000);
	/* 2,000,000 credits = $2,000: manager, then billing. */
	r2 = ask(&amy, org, b, "increase", 2000000, st);
	ck_assert_str_eq(t_sql_valuef("SELECT array_to_string(steps, ',') FROM budget_requests"
	    " WHERE id = %ld", r2), "department_manager,billing");
	ck_assert_int_eq(decide(&fin, org, r2, "approve", NULL), 403);
	ck_assert_int_eq(decide(&mgr, org, r2, "approve", NULL), 200);
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM budget_requests WHERE id = %ld", r2),
	    "pending");
	ck_assert_int_eq(decide(&mgr, org, r2, "approve", NULL), 403);
	ck_assert_int_eq(decide(&fin, org, r2, "approve", NULL), 200);
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM budget_requests WHERE id = %ld", r2),
	    "approved");
	/* The increase: 1000 + 2,000,000. */
	ck_assert_int_eq(t_sql_long("SELECT limit_credits FROM budgets WHERE id = %ld", b), 2001000);
	/* 6,000,000 = $6,000: manager, billing, owner; rejected with a comment at step 1. */
	r6 = ask(&amy, org, b, "increase", 6000000, st);
	ck_assert_str_eq(t_sql_valuef("SELECT array_to_string(steps, ',') FROM budget_requests"
	    " WHERE id = %ld", r6), "department_manager,billing,owner");
	ck_assert_int_eq(decide(&mgr, org, r6, "reject", NULL), 400);
	ck_assert_int_eq(decide(&mgr, org, r6, "reject", "{\"comment\":\"not this quarter\"}"), 200);
	ck_assert_int_eq(decide(&owner, org, r6, "approve", NULL), 409);
	ck_assert_int_eq(t_sql_long("SELECT limit_credits FROM budgets WHERE id = %ld", b), 2001000);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM outbox WHERE org_id = %ld AND kind ="
	    " 'budget_request' AND subject LIKE '%%was rejected'", org), 1);
}
END_TEST

START_TEST(cancel_auto_approve_and_org_budgets)
{
	char meter[128], scope[96], st[16], path[128];
	struct who owner, fin, amy, bob;
	long org = org_new("cancel", meter), b, bo, req;
	struct t_resp r = { 0 };

	t_reset_rate_limits();
	person(org, "owner", NULL, NULL, &owner);
	person(org, "billing", NULL, NULL, &fin);
	person(org, "member", "Eng", NULL, &amy);
	person(org, "member", "Ops", NULL, &bob);
	snprintf(scope, sizeof(scope), "'member', %ld", amy.id);
	b = budget(org, scope, 100);
	/* Bob may not ask on Amy's budget (not above him): 404. */
	snprintf(path, sizeof(path), "{\"budget_id\":%ld,\"kind\":\"one_off\",\"amount_credits\":5,"
	    "\"reason\":\"mine\"}", b);
	ck_assert_int_eq(acall(&bob, "POST", org, "", path, NULL), 404);
	req = ask(&amy, org, b, "one_off", 50, st);
	ck_assert_int_eq(decide(&bob, org, req, "cancel", NULL), 403);
	ck_assert_int_eq(decide(&amy, org, req, "cancel", NULL), 200);
	ck_assert_int_eq(decide(&owner, org, req, "approve", NULL), 409);
	/* Amy sees her own request; Bob sees none. */
	ck_assert_int_eq(acall(&amy, "GET", org, "", NULL, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"canceled\""));
	t_resp_free(&r);
	ck_assert_int_eq(acall(&bob, "GET", org, "", NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body.data, "budget_request"));
	t_resp_free(&r);
	/* Auto-approval at or below $1: 1004 credits = 100.4 → 100 minor units; 1005 = 100.5
	 * → 101 (half away from zero). */
	ck_assert_int_eq(acall(&fin, "PUT", org, "/settings", "{\"auto_approve_minor\":100}", NULL),
	    200);
	ck_assert_int_eq(t_sql_long("SELECT auto_approve_minor FROM approval_settings WHERE org_id = %ld",
	    org), 100);
	ask(&amy, org, b, "one_off", 1004, st);
	ck_assert_str_eq(st, "approved");
	ask(&amy, org, b, "one_off", 1005, st);
	ck_assert_str_eq(st, "pending");
	/* An org budget has no department: billing's step comes first. */
	bo = budget(org, "'org'", 1000000);
	req = ask(&bob, org, bo, "increase", 5000000, st);
	ck_assert_str_eq(t_sql_valuef("SELECT array_to_string(steps, ',') FROM budget_requests"
	    " WHERE id = %ld", req), "billing");
	ck_assert_int_eq(decide(&fin, org, req, "approve", NULL), 200);
	ck_assert_int_eq(t_sql_long("SELECT limit_credits FROM budgets WHERE id = %ld", bo), 6000000);
}
END_TEST

Suite *
budget_approvals_suite(void)
{
	Suite *s = suite_create("budget_approvals");
	TCase *tc = tcase_create("chains");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, one_off_lets_spend_through_once_up_to_its_amount);
	tcase_add_test(tc, chains_decide_in_order_by_amount);
	tcase_add_test(tc, cancel_auto_approve_and_org_budgets);
	suite_add_tcase(s, tc);
	return s;
}
