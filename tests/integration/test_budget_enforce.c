/*
 * Budgets in the metering hot path (docs/BUDGETS.md): a hard budget
 * refuses the deduction that would cross it and accepts one that reaches
 * exactly its limit; replays spend nothing; every scope above the member
 * (org, department, team, member) counts; soft budgets only alert, once per
 * threshold and period; 200 concurrent deductions on many connections never
 * take a hard team budget past its limit. Budgets are written in SQL here
 * (the API has its own suite); every expected number is worked out by hand.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "integration/harness.h"

#define API "/api/v1/org-billing"

/* A fresh org with an owner, a meter key (into key, 128 bytes) and amount credits. */
static long
budget_org(const char *tag, char *key, long amount)
{
	char t[64];
	long org;

	snprintf(t, sizeof(t), "bud-%s", tag);
	org = t_org_new(t, NULL, NULL);
	t_member_new(org, "owner", NULL);
	t_apikey_new(org, "meter", key, 128);
	t_sqlf("SELECT * FROM add_credits_to_pool(%ld, NULL, %ld, 'manual', NULL, NULL, 'test',"
	    " 'test', NULL)", org, amount);
	return org;
}

/* A team of org in department; its id. */
static long
team_new(long org, const char *department, const char *name)
{
	return t_sql_long("INSERT INTO teams (org_id, department, name) VALUES (%ld, '%s', '%s')"
	    " RETURNING id", org, department, name);
}

static void
team_join(long org, long user, long team)
{
	t_sqlf("UPDATE memberships SET team_id = %ld WHERE org_id = %ld AND user_id = %ld",
	    team, org, user);
}

/*
 * A monthly budget of org on scope (target: the department name, team id
 * or user id as SQL text; NULL for org) of limit credits; its id, its
 * period opened.
 */
static long
budget_new(long org, const char *scope, const char *target, const char *mode, long limit)
{
	const char *col = strcmp(scope, "department") == 0 ? "department" :
	    strcmp(scope, "team") == 0 ? "team_id" : strcmp(scope, "member") == 0 ? "user_id" : NULL;
	long id;

	if (col == NULL)
		id = t_sql_long("INSERT INTO budgets (org_id, scope, period, mode, amount_credits,"
		    " limit_credits) VALUES (%ld, 'org', 'monthly', '%s', %ld, %ld) RETURNING id",
		    org, mode, limit, limit);
	else
		id = t_sql_long("INSERT INTO budgets (org_id, scope, %s, period, mode, amount_credits,"
		    " limit_credits) VALUES (%ld, '%s', %s, 'monthly', '%s', %ld, %ld) RETURNING id",
		    col, org, scope, target, mode, limit, limit);
	t_sql_long("SELECT budget_open(%ld)", id);
	return id;
}

static long
spent(long budget)
{
	return t_sql_long("SELECT COALESCE((SELECT spent FROM budget_spend WHERE budget_id = %ld"
	    " AND period_start = budget_period_start('monthly', now())), 0)", budget);
}

/* POST deduct; its status, the answer into r (may be NULL). */
static long
deduct(const char *key, long org, const char *idem, long user, long amount, struct t_resp *r)
{
	char path[128], body[256], ih[320];
	const char *extra[2] = { ih, NULL };

	snprintf(path, sizeof(path), API "/credits/%ld/deduct", org);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":%ld,\"service\":\"chat\"}",
	    user, amount);
	snprintf(ih, sizeof(ih), "Idempotency-Key: %s", idem);
	return t_json_as(key, "POST", path, body, extra, r);
}

/* A deduction refused by the scope's budget: 402 budget_exceeded, param scope. */
static void
refused_by(const char *key, long org, const char *idem, long user, long amount, const char *scope)
{
	struct t_resp r = { 0 };
	char want[64];

	ck_assert_int_eq(deduct(key, org, idem, user, amount, &r), 402);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"budget_exceeded\""));
	snprintf(want, sizeof(want), "\"param\":\"%s\"", scope);
	ck_assert_msg(strstr(r.body.data, want) != NULL, "want %s in %s", want, r.body.data);
	t_resp_free(&r);
}

START_TEST(hard_budget_refuses_crossing_accepts_exact)
{
	char key[128], t[32];
	long org = budget_org("exact", key, 10000), user = t_member_new(org, "member", NULL), b;
	struct t_resp r = { 0 };

	snprintf(t, sizeof(t), "%ld", user);
	b = budget_new(org, "member", t, "hard", 100);

	ck_assert_int_eq(deduct(key, org, "e1", user, 60, NULL), 200);
	ck_assert_int_eq(spent(b), 60);
	/* 60 + 41 = 101 > 100: refused, nothing spent. */
	refused_by(key, org, "e2", user, 41, "member");
	ck_assert_int_eq(spent(b), 60);
	/* 60 + 40 = 100: exactly the limit goes through. */
	ck_assert_int_eq(deduct(key, org, "e3", user, 40, NULL), 200);
	ck_assert_int_eq(spent(b), 100);
	refused_by(key, org, "e4", user, 1, "member");
	/* The check answers as the deduction would. */
	{
		char path[128], body[128];

		snprintf(path, sizeof(path), API "/credits/%ld/check", org);
		snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":1}", user);
		ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, &r), 200);
		ck_assert_ptr_nonnull(strstr(r.body.data, "\"reason\":\"budget_exceeded\""));
		ck_assert_ptr_nonnull(strstr(r.body.data, "\"sufficient\":false"));
		t_resp_free(&r);
	}
	/* Replays answer the first answer and spend nothing. */
	ck_assert_int_eq(deduct(key, org, "e1", user, 60, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"replayed\":true"));
	t_resp_free(&r);
	ck_assert_int_eq(deduct(key, org, "e3", user, 40, NULL), 200);
	ck_assert_int_eq(spent(b), 100);
	/* The pool paid for exactly the two accepted deductions. */
	ck_assert_int_eq(t_sql_long("SELECT remaining FROM credit_pools WHERE org_id = %ld", org), 9900);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM credit_usage WHERE org_id = %ld", org), 2);
}
END_TEST

START_TEST(every_scope_above_the_member_counts)
{
	char key[128], t[32];
	long org = budget_org("scopes", key, 100000);
	long a = t_member_new(org, "member", "Eng"), b = t_member_new(org, "member", "Eng");
	long c = t_member_new(org, "member", "Eng"), d = t_member_new(org, "member", "Ops");
	long team = team_new(org, "Eng", "Core"), bo, bd, bt, bm;

	team_join(org, a, team);
	team_join(org, b, team);
	snprintf(t, sizeof(t), "%ld", team);
	bo = budget_new(org, "org", NULL, "hard", 1000);
	bd = budget_new(org, "department", "'Eng'", "hard", 500);
	bt = budget_new(org, "team", t, "hard", 300);
	snprintf(t, sizeof(t), "%ld", a);
	bm = budget_new(org, "member", t, "hard", 250);

	/* a: 200 of own 250; b: 100 — the team (a + b) is at 300. */
	ck_assert_int_eq(deduct(key, org, "a1", a, 200, NULL), 200);
	ck_assert_int_eq(deduct(key, org, "b1", b, 100, NULL), 200);
	refused_by(key, org, "b2", b, 1, "team");
	/* a has 50 left of their own but the team none: the team refuses first. */
	refused_by(key, org, "a2", a, 10, "team");
	/* c (Eng, no team): the department has 500 − 300 = 200 left. */
	ck_assert_int_eq(deduct(key, org, "c1", c, 150, NULL), 200);
	refused_by(key, org, "c2", c, 51, "department");
	ck_assert_int_eq(deduct(key, org, "c3", c, 50, NULL), 200);
	/* d (Ops): only the org's budget, at 500 of 1000. */
	refused_by(key, org, "d1", d, 501, "org");
	ck_assert_int_eq(deduct(key, org, "d2", d, 500, NULL), 200);
	refused_by(key, org, "d3", d, 1, "org");

	ck_assert_int_eq(spent(bo), 1000);
	ck_assert_int_eq(spent(bd), 500);
	ck_assert_int_eq(spent(bt), 300);
	ck_assert_int_eq(spent(bm), 200);
	ck_assert_int_eq(t_sql_long("SELECT used FROM credit_pools WHERE org_id = %ld", org), 1000);
}
END_TEST

START_TEST(soft_budget_alerts_once_per_threshold)
{
	char key[128];
	long org = budget_org("soft", key, 10000), user = t_member_new(org, "member", "Sales");
	long b = budget_new(org, "department", "'Sales'", "soft", 200);

	/* 149 of 200 is 74.5 %: no alert. */
	ck_assert_int_eq(deduct(key, org, "s1", user, 149, NULL), 200);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM budget_alerts WHERE budget_id = %ld", b), 0);
	/* 150: 75 %. */
	ck_assert_int_eq(deduct(key, org, "s2", user, 1, NULL), 200);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM budget_alerts WHERE budget_id = %ld", b), 1);
	/* 179 (89.5 %): nothing new; a replay neither. */
	ck_assert_int_eq(deduct(key, org, "s3", user, 29, NULL), 200);
	ck_assert_int_eq(deduct(key, org, "s2", user, 1, NULL), 200);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM budget_alerts WHERE budget_id = %ld", b), 1);
	/* 260: soft never refuses; 90 and 100 % both announced. */
	ck_assert_int_eq(deduct(key, org, "s4", user, 81, NULL), 200);
	ck_assert_int_eq(spent(b), 260);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM budget_alerts WHERE budget_id = %ld", b), 3);
	ck_assert_int_eq(deduct(key, org, "s5", user, 5, NULL), 200);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM budget_alerts WHERE budget_id = %ld", b), 3);
	/* One e-mail per threshold to the org's only owner (no billing e-mail). */
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM outbox WHERE org_id = %ld"
	    " AND kind = 'budget_alert'", org), 3);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM outbox WHERE org_id = %ld"
	    " AND kind = 'budget_alert' AND subject LIKE '%%: 90%%%% of the monthly budget of"
	    " department Sales'", org), 1);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'budget.alert'", org), 3);
}
END_TEST

START_TEST(archived_budget_and_other_orgs_do_not_count)
{
	char key[128], key2[128], t[32];
	long org = budget_org("arch", key, 10000), user = t_member_new(org, "member", NULL);
	long org2 = budget_org("arch2", key2, 10000), user2 = t_member_new(org2, "member", NULL);
	long b;

	snprintf(t, sizeof(t), "%ld", user);
	b = budget_new(org, "member", t, "hard", 10);
	refused_by(key, org, "x1", user, 11, "member");
	/* Another org's budgets are not this org's. */
	budget_new(org2, "org", NULL, "hard", 5);
	ck_assert_int_eq(deduct(key, org, "x2", user, 10, NULL), 200);
	refused_by(key2, org2, "y1", user2, 6, "org");
	t_sqlf("UPDATE budgets SET status = 'archived' WHERE id = %ld", b);
	ck_assert_int_eq(deduct(key, org, "x3", user, 500, NULL), 200);
	ck_assert_int_eq(spent(b), 10);
}
END_TEST

/* ---- 200 concurrent deductions under one hard team budget ------------- */

#define CONC_THREADS	200
#define CONC_MEMBERS	4
#define CONC_AMOUNT	7
#define CONC_LIMIT	1000

struct conc {
	const char *key, *base, *ca;
	long org, user;
	int idx;
	long status;
	int fail;
};

static size_t
sink_drop(char *p, size_t sz, size_t nm, void *ud)
{
	(void)p;
	(void)ud;
	return sz * nm;
}

/* One deduction on its own connection. */
static void *
conc_thread(void *arg)
{
	struct conc *c = arg;
	char url[512], body[256], ih[128], auth[256], resolve_e[64];
	struct curl_slist *hl = NULL, *rs = NULL;
	const char *host;
	CURL *h = curl_easy_init();

	if (h == NULL) {
		c->fail = 1;
		return NULL;
	}
	snprintf(url, sizeof(url), "%s" API "/credits/%ld/deduct", c->base, c->org);
	if ((host = strstr(url, "://localhost:")) != NULL) {
		snprintf(resolve_e, sizeof(resolve_e), "localhost:%d:127.0.0.1", atoi(host + 13));
		rs = curl_slist_append(rs, resolve_e);
		curl_easy_setopt(h, CURLOPT_RESOLVE, rs);
	}
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->key);
	snprintf(ih, sizeof(ih), "Idempotency-Key: conc-%d", c->idx);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":%d,\"service\":\"chat\"}",
	    c->user, CONC_AMOUNT);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, ih);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_drop);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(h) != CURLE_OK)
		c->fail = 1;
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	curl_slist_free_all(rs);
	return NULL;
}

START_TEST(concurrent_deductions_never_exceed_a_hard_budget)
{
	static struct conc cs[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	char key[128], ca[1024], t[32];
	long org = budget_org("conc", key, 100000), team, users[CONC_MEMBERS], b, ok = 0;
	int i;

	team = team_new(org, "Eng", "Hot");
	for (i = 0; i < CONC_MEMBERS; i++) {
		users[i] = t_member_new(org, "member", "Eng");
		team_join(org, users[i], team);
	}
	snprintf(t, sizeof(t), "%ld", team);
	b = budget_new(org, "team", t, "hard", CONC_LIMIT);
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", t_env("OB_TEST_RUN_DIR"));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < CONC_THREADS; i++) {
		memset(&cs[i], 0, sizeof(cs[i]));
		cs[i].key = key;
		cs[i].base = t_env("OB_TEST_BASE_URL");
		cs[i].ca = ca;
		cs[i].org = org;
		cs[i].user = users[i % CONC_MEMBERS];
		cs[i].idx = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, conc_thread, &cs[i]), 0);
	}
	for (i = 0; i < CONC_THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < CONC_THREADS; i++) {
		ck_assert_msg(!cs[i].fail, "request %d failed", i);
		ck_assert_msg(cs[i].status == 200 || cs[i].status == 402, "request %d: %ld", i,
		    cs[i].status);
		ok += cs[i].status == 200;
	}
	/* 142 × 7 = 994 ≤ 1000 < 143 × 7: exactly 142 go through, whatever the order. */
	ck_assert_int_eq(ok, 142);
	ck_assert_int_eq(spent(b), 994);
	ck_assert_int_eq(t_sql_long("SELECT COALESCE(sum(amount), 0) FROM credit_usage WHERE org_id = %ld"
	    " AND kind = 'deduction'", org), 994);
}
END_TEST

Suite *
budget_enforce_suite(void)
{
	Suite *s = suite_create("budget_enforce");
	TCase *tc = tcase_create("hot path");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hard_budget_refuses_crossing_accepts_exact);
	tcase_add_test(tc, every_scope_above_the_member_counts);
	tcase_add_test(tc, soft_budget_alerts_once_per_threshold);
	tcase_add_test(tc, archived_budget_and_other_orgs_do_not_count);
	tcase_add_test(tc, concurrent_deductions_never_exceed_a_hard_budget);
	suite_add_tcase(s, tc);
	return s;
}
