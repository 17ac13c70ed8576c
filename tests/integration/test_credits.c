/*
 * Credits over the real stack (nginx → FastCGI → PostgreSQL): concurrent
 * deductions from one pool and one allocation, idempotent replays,
 * expiry and priority, extra-task limits, reversals, personal and
 * multi-org pools, 402/404/409 answers, alerts, the ledger check, and the
 * console forms. Each test makes its own org so they do not interfere.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* A fresh org with an owner and n_members members; ids into out. */
static long
make_org(const char *tag, long *owner, long *members, int n_members)
{
	char cr_tag[64];
	long org, uid;
	int i;

	snprintf(cr_tag, sizeof(cr_tag), "cr-%s", tag);
	org = t_org_new(cr_tag, NULL, NULL);
	uid = t_member_new(org, "owner", NULL);
	if (owner != NULL)
		*owner = uid;
	for (i = 0; i < n_members; i++)
		members[i] = t_member_new(org, "member", NULL);
	return org;
}

static void
grant(long org, long amount, const char *extra)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT * FROM add_credits_to_pool(%ld, NULL, %ld, 'manual', %s, NULL)",
	    org, amount, extra ? extra : "NULL, NULL, 'test', 'test'");
	t_sql(sql);
}

/*
 * A fresh org with an owner and one member (ids into *owner and *user), a
 * meter key (into key, 128 bytes) and amount credits (0: none).
 */
static long
metered_org(const char *tag, long *owner, long *user, char *key, long amount)
{
	long org = make_org(tag, owner, user, 1);

	t_apikey_new(org, "meter", key, 128);
	if (amount > 0)
		grant(org, amount, NULL);
	return org;
}

/* POST deduct (idem NULL: without an Idempotency-Key); the status, the answer as t_call. */
static long
deduct(const char *key, long org, const char *idem, long user, long amount, const char *service,
    struct t_resp *r)
{
	char path[128], body[256], ih[320];
	const char *extra[2] = { ih, NULL };

	snprintf(path, sizeof(path), API "/credits/%ld/deduct", org);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":%ld,\"service\":\"%s\"}",
	    user, amount, service);
	snprintf(ih, sizeof(ih), "Idempotency-Key: %s", idem);
	return t_json_as(key, "POST", path, body, idem ? extra : NULL, r);
}

/* Allocate limit credits of org's pool to user. */
static void
allocate(long org, long user, long limit)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT status FROM allocate_credits_to_user(%ld, %ld, %ld, 'test')",
	    org, user, limit);
	ck_assert_str_eq(t_sql_value(sql), "ok");
}

static int
ledger_ok(void)
{
	char out[256];

	return t_cli("verify-ledger", NULL, out, sizeof(out));
}

/*
 * Put the books out of step (UPDATE table SET broken WHERE where): the
 * ledger check fails; back in step (SET mended): it passes again.
 */
static void
ledger_catches(const char *table, const char *broken, const char *mended, const char *where)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "UPDATE %s SET %s WHERE %s", table, broken, where);
	t_sql(sql);
	ck_assert_int_ne(ledger_ok(), 0);
	snprintf(sql, sizeof(sql), "UPDATE %s SET %s WHERE %s", table, mended, where);
	t_sql(sql);
	ck_assert_int_eq(ledger_ok(), 0);
}

/* ---- 200 concurrent clients ------------------------------------------- */

#define CONC_THREADS	200
#define CONC_REQS	5
#define CONC_POOL	30000
#define CONC_LIMIT	20000

struct conc {
	int idx;
	const char *key;
	long org, user;
	const char *base, *ca;
	/* results per request */
	long status[CONC_REQS];
	long amount[CONC_REQS];
	long id[CONC_REQS];
	long pool_rem[CONC_REQS];
	int replayed[CONC_REQS];
	int fail;
};

struct sink {
	char buf[2048];
	size_t n;
};

static size_t
sink_put(char *p, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	size_t n = sz * nm, room = sizeof(s->buf) - 1 - s->n;

	memcpy(s->buf + s->n, p, n < room ? n : room);
	s->n += n < room ? n : room;
	s->buf[s->n] = '\0';
	return n;
}

static long
json_num(const char *body, const char *name)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", name);
	if ((p = strstr(body, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if (*p == '"')
		p++;
	return atol(p);
}

static void *
conc_thread(void *arg)
{
	struct conc *c = arg;
	char url[512], body[256], ih[128], auth[256], resolve_e[64];
	struct curl_slist *hl, *rs = NULL;
	struct sink s;
	CURL *h = curl_easy_init();
	int i, k;

	if (h == NULL) {
		c->fail = 1;
		return NULL;
	}
	snprintf(url, sizeof(url), "%s" API "/credits/%ld/deduct", c->base, c->org);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->key);
	{
		const char *host = strstr(url, "://localhost:");

		if (host != NULL) {
			snprintf(resolve_e, sizeof(resolve_e), "localhost:%d:127.0.0.1", atoi(host + 13));
			rs = curl_slist_append(rs, resolve_e);
			curl_easy_setopt(h, CURLOPT_RESOLVE, rs);
		}
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_put);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	for (i = 0; i < CONC_REQS; i++) {
		/* The last request replays the first one's key and body. */
		k = i == CONC_REQS - 1 ? 0 : i;
		c->amount[i] = 1 + (c->idx * 7 + k * 13) % 60;
		snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":%ld,\"service\":\"svc%d\"}",
		    c->user, c->amount[i], k % 3);
		snprintf(ih, sizeof(ih), "Idempotency-Key: conc-%d-%d", c->idx, k);
		hl = curl_slist_append(NULL, auth);
		hl = curl_slist_append(hl, "Content-Type: application/json");
		hl = curl_slist_append(hl, ih);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		s.n = 0;
		s.buf[0] = '\0';
		if (curl_easy_perform(h) != CURLE_OK) {
			c->fail = 1;
			curl_slist_free_all(hl);
			break;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status[i]);
		curl_slist_free_all(hl);
		if (c->status[i] == 200) {
			c->id[i] = json_num(s.buf, "deduction_id");
			c->pool_rem[i] = json_num(s.buf, "pool_remaining");
			c->replayed[i] = strstr(s.buf, "\"replayed\":true") != NULL;
		} else if (c->status[i] != 402 || strstr(s.buf, "insufficient_credits") == NULL) {
			c->fail = 1;
		}
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(rs);
	return NULL;
}

START_TEST(concurrent_deductions_are_exact)
{
	static struct conc cs[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	char key[128], ca[1024];
	long org, owner, user, sum = 0, accepted = 0;
	int i, j;

	org = metered_org("conc", &owner, &user, key, CONC_POOL);
	allocate(org, user, CONC_LIMIT);
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", t_env("OB_TEST_RUN_DIR"));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < CONC_THREADS; i++) {
		memset(&cs[i], 0, sizeof(cs[i]));
		cs[i].idx = i;
		cs[i].key = key;
		cs[i].org = org;
		cs[i].user = user;
		cs[i].base = t_env("OB_TEST_BASE_URL");
		cs[i].ca = ca;
		ck_assert_int_eq(pthread_create(&th[i], NULL, conc_thread, &cs[i]), 0);
	}
	for (i = 0; i < CONC_THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < CONC_THREADS; i++) {
		ck_assert_msg(!cs[i].fail, "thread %d: a request failed or answered unexpectedly", i);
		for (j = 0; j < CONC_REQS - 1; j++) {
			if (cs[i].status[j] == 200) {
				ck_assert_msg(!cs[i].replayed[j], "first use of a key answered as a replay");
				ck_assert_int_ge(cs[i].pool_rem[j], 0);
				sum += cs[i].amount[j];
				accepted++;
			}
		}
		/* The replay answers exactly what the first request got. */
		j = CONC_REQS - 1;
		ck_assert_int_eq(cs[i].status[j], cs[i].status[0]);
		if (cs[i].status[0] == 200) {
			ck_assert_msg(cs[i].replayed[j], "replay not marked replayed");
			ck_assert_int_eq(cs[i].id[j], cs[i].id[0]);
			ck_assert_int_eq(cs[i].pool_rem[j], cs[i].pool_rem[0]);
		}
	}
	ck_assert_int_gt(accepted, 0);
	ck_assert_msg(sum <= CONC_LIMIT, "allocation overdrawn: %ld", sum);
	ck_assert_int_eq(t_sql_long("SELECT used FROM credit_pools WHERE org_id = %ld", org), sum);
	ck_assert_int_eq(t_sql_long("SELECT remaining FROM credit_pools WHERE org_id = %ld", org),
	    CONC_POOL - sum);
	ck_assert_int_eq(t_sql_long("SELECT a.used FROM credit_allocations a JOIN credit_pools p ON"
	    " p.id = a.pool_id WHERE p.org_id = %ld AND a.user_id = %ld", org, user), sum);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM credit_usage WHERE org_id = %ld AND kind ="
	    " 'deduction'", org), accepted);
	ck_assert_int_eq(t_sql_long("SELECT sum(amount) FROM credit_rollup_day r JOIN credit_pools p"
	    " ON p.id = r.pool_id WHERE p.org_id = %ld", org), sum);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM credit_grants g JOIN credit_pools p ON"
	    " p.id = g.pool_id WHERE p.org_id = %ld AND g.remaining < 0", org), 0);
	/* The allocation was the limit that bit: 20000 of 30000. */
	ck_assert_int_gt(sum, CONC_LIMIT - 60);
	ck_assert_int_eq(ledger_ok(), 0);
}
END_TEST

START_TEST(ledger_check_detects_corruption)
{
	char where[128];
	long org, owner, user;
	char key[128];

	org = metered_org("ledger", &owner, &user, key, 500);
	ck_assert_int_eq(deduct(key, org, "l1", user, 40, "chat", NULL), 200);
	ck_assert_int_eq(ledger_ok(), 0);
	snprintf(where, sizeof(where), "org_id = %ld", org);
	ledger_catches("credit_pools", "used = used + 1, remaining = remaining - 1",
	    "used = used - 1, remaining = remaining + 1", where);
	/* A rollup out of step is caught too. */
	snprintf(where, sizeof(where), "pool_id = (SELECT id FROM credit_pools WHERE org_id = %ld)", org);
	ledger_catches("credit_rollup_user_day", "amount = amount + 5", "amount = amount - 5", where);
}
END_TEST

/* A grant to org's pool of amount from source, expiring at expires (SQL), with priority: its id. */
static long
grant_of(long org, long amount, const char *source, const char *expires, int priority)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT grant_id FROM add_credits_to_pool(%ld, NULL, %ld, '%s',"
	    " %s, %d, 't', 't', NULL)", org, amount, source, expires, priority);
	return atol(t_sql_value(sql));
}

/* What is left of a grant. */
static long
grant_left(long grant_id)
{
	return t_sql_long("SELECT remaining FROM credit_grants WHERE id = %ld", grant_id);
}

START_TEST(expiry_and_priority_order)
{
	char sql[512], key[128];
	long org, owner, user, g_late, g_soon, g_prio, g_exp;
	struct t_resp r;

	org = metered_org("prio", &owner, &user, key, 0);
	/* late: no expiry; soon: expires in an hour; prio: priority 10;
	 * exp: already expired (made to expire after the grant). */
	g_late = grant_of(org, 100, "manual", "NULL", 100);
	g_soon = grant_of(org, 50, "promo", "now() + interval '1 hour'", 100);
	g_prio = grant_of(org, 30, "purchase", "NULL", 10);
	g_exp = grant_of(org, 40, "rollover", "now() + interval '1 hour'", 0);
	snprintf(sql, sizeof(sql), "UPDATE credit_grants SET expires_at = now() - interval '1 second'"
	    " WHERE id = %ld", g_exp);
	t_sql(sql);
	/* 50: priority 10 first (30), then the soonest expiry (20). */
	ck_assert_int_eq(deduct(key, org, "p1", user, 50, "chat", &r), 200);
	ck_assert_int_eq(json_num(r.body.data, "pool_remaining"), 130);
	t_resp_free(&r);
	ck_assert_int_eq(grant_left(g_prio), 0);
	ck_assert_int_eq(grant_left(g_soon), 30);
	ck_assert_int_eq(grant_left(g_late), 100);
	ck_assert_int_eq(grant_left(g_exp), 40);
	/* The expired grant does not count: 130 available, not 170. */
	ck_assert_int_eq(deduct(key, org, "p2", user, 131, "chat", &r), 402);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"pool\""));
	t_resp_free(&r);
	ck_assert_int_eq(deduct(key, org, "p3", user, 130, "chat", &r), 200);
	ck_assert_int_eq(json_num(r.body.data, "pool_remaining"), 0);
	t_resp_free(&r);
	ck_assert_int_eq(grant_left(g_exp), 40);
	ck_assert_int_eq(ledger_ok(), 0);
}
END_TEST

static void
settings(const char *key, long org, const char *json)
{
	char path[128];
	struct t_resp r;

	snprintf(path, sizeof(path), API "/credits/%ld/settings", org);
	(void)t_json_as(key, "PATCH", path, json, NULL, &r);
	ck_assert_msg(r.status == 200, "settings: %ld %s", r.status, r.body.data);
	t_resp_free(&r);
}

START_TEST(extra_task_limits)
{
	char key[128], admin[128], idem[32];
	long org, owner, user;
	struct t_resp r;
	int i;

	org = metered_org("extra", &owner, &user, key, 10);
	t_apikey_new(org, "admin", admin, sizeof(admin));
	/* Allowed but 0: none. */
	settings(admin, org, "{\"allow_extra_tasks\":true,\"max_extra_tasks\":0}");
	ck_assert_int_eq(deduct(key, org, "e0", user, 20, "chat", NULL), 402);
	/* Not allowed, limit 5: none either. */
	settings(admin, org, "{\"allow_extra_tasks\":false,\"max_extra_tasks\":5}");
	ck_assert_int_eq(deduct(key, org, "e0", user, 20, "chat", NULL), 402);
	/* Exactly at the limit: 2 go through, the third does not. */
	settings(admin, org, "{\"allow_extra_tasks\":true,\"max_extra_tasks\":2}");
	ck_assert_int_eq(deduct(key, org, "e1", user, 20, "chat", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"extra_task\":true"));
	ck_assert_int_eq(json_num(r.body.data, "pool_remaining"), 10);
	t_resp_free(&r);
	/* Included credits still cover a small one: not an extra task. */
	ck_assert_int_eq(deduct(key, org, "e1b", user, 4, "chat", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"extra_task\":false"));
	t_resp_free(&r);
	ck_assert_int_eq(deduct(key, org, "e2", user, 20, "chat", NULL), 200);
	ck_assert_int_eq(deduct(key, org, "e3", user, 20, "chat", &r), 402);
	ck_assert_ptr_nonnull(strstr(r.body.data, "insufficient_credits"));
	t_resp_free(&r);
	ck_assert_int_eq(t_sql_long("SELECT tasks FROM credit_extra_usage WHERE org_id = %ld", org), 2);
	ck_assert_int_eq(t_sql_long("SELECT credits FROM credit_extra_usage WHERE org_id = %ld", org), 40);
	/* Unlimited. */
	settings(admin, org, "{\"max_extra_tasks\":-1}");
	for (i = 0; i < 5; i++) {
		snprintf(idem, sizeof(idem), "eu%d", i);
		ck_assert_int_eq(deduct(key, org, idem, user, 20, "chat", NULL), 200);
	}
	ck_assert_int_eq(t_sql_long("SELECT tasks FROM credit_extra_usage WHERE org_id = %ld", org), 7);
	/* The status shows it. */
	{
		char path[128];

		snprintf(path, sizeof(path), API "/credits/%ld", org);
		ck_assert_int_eq(t_get_as(NULL, admin, path, &r), 200);
		ck_assert_int_eq(json_num(r.body.data, "extra_tasks_used"), 7);
		ck_assert_int_eq(json_num(r.body.data, "extra_tasks_limit"), -1);
		t_resp_free(&r);
	}
	ck_assert_int_eq(ledger_ok(), 0);
}
END_TEST

static long
reverse(const char *key, long org, const char *idem, struct t_resp *r)
{
	char path[256];

	snprintf(path, sizeof(path), API "/credits/%ld/deductions/%s/reverse", org, idem);
	return t_call(NULL, key, "POST", path, NULL, NULL, NULL, r);
}

START_TEST(reversals)
{
	char key[128], admin[128];
	long org, owner, user;
	struct t_resp r;

	org = metered_org("rev", &owner, &user, key, 100);
	t_apikey_new(org, "admin", admin, sizeof(admin));
	ck_assert_int_eq(deduct(key, org, "r1", user, 60, "chat", NULL), 200);
	/* An admin key may not reverse; the meter key that made it may (in its window). */
	ck_assert_int_eq(reverse(admin, org, "r1", NULL), 403);
	ck_assert_int_eq(reverse(key, org, "r1", &r), 201);
	ck_assert_int_eq(json_num(r.body.data, "pool_remaining"), 100);
	t_resp_free(&r);
	/* Again: the same reversal, not a second refund. */
	ck_assert_int_eq(reverse(key, org, "r1", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"replayed\":true"));
	t_resp_free(&r);
	ck_assert_int_eq(t_sql_long("SELECT remaining FROM credit_pools WHERE org_id = %ld", org), 100);
	/* A reversal of a reversal is refused. */
	ck_assert_int_eq(reverse(key, org, "reversal:r1", &r), 409);
	ck_assert_ptr_nonnull(strstr(r.body.data, "reversal_not_reversible"));
	t_resp_free(&r);
	ck_assert_int_eq(reverse(key, org, "nope", NULL), 404);
	/* The deduction's key still replays the deduction. */
	ck_assert_int_eq(deduct(key, org, "r1", user, 60, "chat", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"replayed\":true"));
	t_resp_free(&r);
	ck_assert_int_eq(t_sql_long("SELECT remaining FROM credit_pools WHERE org_id = %ld", org), 100);
	ck_assert_int_eq(ledger_ok(), 0);
}
END_TEST

START_TEST(personal_and_multi_org)
{
	char sql[512], key_a[128], key_b[128], out[64];
	long org_a, org_b, owner_a, owner_b, m, solo;
	struct t_resp r;

	org_a = make_org("mo-a", &owner_a, &m, 1);
	org_b = make_org("mo-b", &owner_b, NULL, 0);
	t_member_add(org_b, m, "member", NULL);
	t_apikey_new(org_a, "meter", key_a, sizeof(key_a));
	t_apikey_new(org_b, "meter", key_b, sizeof(key_b));
	grant(org_a, 100, NULL);
	grant(org_b, 200, NULL);
	/* The path names the org. */
	ck_assert_int_eq(deduct(key_b, org_b, "mo1", m, 30, "chat", &r), 200);
	ck_assert_int_eq(json_num(r.body.data, "pool_remaining"), 170);
	t_resp_free(&r);
	ck_assert_int_eq(t_sql_long("SELECT remaining FROM credit_pools WHERE org_id = %ld", org_a), 100);
	/* A key of org A cannot spend from org B. */
	ck_assert_int_eq(deduct(key_a, org_b, "mo2", m, 30, "chat", NULL), 404);
	/* No org named: the default org (A). */
	snprintf(sql, sizeof(sql), "SELECT status || ':' || org_id || ':' || pool_remaining FROM"
	    " deduct_credits(NULL, %ld, 5, 'chat', NULL, 'mo3', '\\x00', NULL, NULL)", m);
	snprintf(out, sizeof(out), "ok:%ld:95", org_a);
	ck_assert_str_eq(t_sql_value(sql), out);
	/* A user without an org spends personal credits. */
	solo = atol(t_sql_value("INSERT INTO users (email) VALUES ('solo-' || pg_backend_pid() || '-'"
	    " || (random() * 1000000)::int || '@example.test') RETURNING id"));
	snprintf(sql, sizeof(sql), "SELECT status FROM deduct_credits(NULL, %ld, 5, 'chat', NULL, 'pf1',"
	    " '\\x00', NULL, NULL)", solo);
	ck_assert_str_eq(t_sql_value(sql), "insufficient_pool");
	snprintf(sql, sizeof(sql), "credits grant --user %ld --amount 50 --source promo --reason 'test grant'", solo);
	ck_assert_int_eq(t_cli(sql, NULL, out, sizeof(out)), 0);
	snprintf(sql, sizeof(sql), "SELECT status || ':' || coalesce(org_id::text, 'personal') || ':' ||"
	    " pool_remaining FROM deduct_credits(NULL, %ld, 5, 'chat', NULL, 'pf2', '\\x00', NULL, NULL)", solo);
	ck_assert_str_eq(t_sql_value(sql), "ok:personal:45");
	ck_assert_int_eq(ledger_ok(), 0);
}
END_TEST

START_TEST(answers_and_idempotency)
{
	char key[128], path[128], ih[64];
	const char *extra[2] = { ih, NULL };
	long org, owner, user, other_org, other_owner, stranger;
	struct t_resp r;

	org = metered_org("ans", &owner, &user, key, 100);
	other_org = make_org("ans-x", &other_owner, &stranger, 1);
	(void)other_org;
	allocate(org, user, 50);
	/* No Idempotency-Key. */
	ck_assert_int_eq(deduct(key, org, NULL, user, 5, "chat", &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "idempotency_key_required"));
	t_resp_free(&r);
	/* Bad amounts and services. */
	snprintf(path, sizeof(path), API "/credits/%ld/deduct", org);
	snprintf(ih, sizeof(ih), "Idempotency-Key: bad-1");
	ck_assert_int_eq(t_json_as(key, "POST", path, "{\"user_id\":\"1\",\"amount\":1.5,\"service\":\"x\"}",
	    extra, &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"amount\""));
	t_resp_free(&r);
	ck_assert_int_eq(deduct(key, org, "bad-2", user, 0, "chat", NULL), 400);
	ck_assert_int_eq(deduct(key, org, "bad-3", user, 5, "Bad Service", NULL), 400);
	/* A user of another org: 404, nothing spent. */
	ck_assert_int_eq(deduct(key, org, "x1", stranger, 5, "chat", &r), 404);
	ck_assert_ptr_nonnull(strstr(r.body.data, "member_not_found"));
	t_resp_free(&r);
	/* 402 names the allocation, then the pool. */
	ck_assert_int_eq(deduct(key, org, "a1", user, 51, "chat", &r), 402);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"allocation\""));
	t_resp_free(&r);
	ck_assert_int_eq(deduct(key, org, "a2", owner, 101, "chat", &r), 402);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"pool\""));
	t_resp_free(&r);
	/* Replay and mismatch. */
	ck_assert_int_eq(deduct(key, org, "k1", user, 10, "chat", &r), 200);
	ck_assert_ptr_null(t_header(&r, "Idempotent-Replayed"));
	t_resp_free(&r);
	ck_assert_int_eq(deduct(key, org, "k1", user, 10, "chat", &r), 200);
	ck_assert_ptr_nonnull(t_header(&r, "Idempotent-Replayed"));
	ck_assert_int_eq(json_num(r.body.data, "allocation_remaining"), 40);
	t_resp_free(&r);
	ck_assert_int_eq(deduct(key, org, "k1", user, 11, "chat", &r), 409);
	ck_assert_ptr_nonnull(strstr(r.body.data, "idempotency_error"));
	t_resp_free(&r);
	ck_assert_int_eq(t_sql_long("SELECT used FROM credit_pools WHERE org_id = %ld", org), 10);
	/* check */
	snprintf(path, sizeof(path), API "/credits/%ld/check", org);
	snprintf(ih, sizeof(ih), "X-Nothing: 1");
	(void)t_json_as(key, "POST", path, "{\"user_id\":\"1\",\"amount\":41}", NULL, NULL);
	{
		char body[128];

		snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":41}", user);
		ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, &r), 200);
		ck_assert_ptr_nonnull(strstr(r.body.data, "\"sufficient\":false"));
		ck_assert_ptr_nonnull(strstr(r.body.data, "insufficient_allocation"));
		t_resp_free(&r);
	}
}
END_TEST

/* How many credit alerts org's audit log holds (more: further SQL conditions, or ""). */
static long
alerts(long org, const char *more)
{
	return t_sql_long("SELECT count(*) FROM audit_log WHERE org_id = %ld AND action = 'credits.alert'%s",
	    org, more);
}

START_TEST(alerts_once_per_period)
{
	char key[128], admin[128], path[128];
	long org, owner, user;
	struct t_resp r;

	org = metered_org("alert", &owner, &user, key, 1000);
	t_apikey_new(org, "read", admin, sizeof(admin));
	allocate(org, user, 100);
	ck_assert_int_eq(deduct(key, org, "al1", user, 74, "chat", NULL), 200);
	ck_assert_int_eq(alerts(org, ""), 0);
	ck_assert_int_eq(deduct(key, org, "al2", user, 1, "chat", NULL), 200);
	ck_assert_int_eq(deduct(key, org, "al3", user, 1, "chat", NULL), 200);
	ck_assert_int_eq(alerts(org, " AND after->>'threshold' = '75'"), 1);
	ck_assert_int_eq(deduct(key, org, "al4", user, 24, "chat", NULL), 200);
	ck_assert_int_eq(alerts(org, " AND after->>'scope' = 'allocation'"), 3);
	/* Reverse (by the meter key that made it) and spend again: still once per period. */
	ck_assert_int_eq(reverse(key, org, "al4", NULL), 201);
	ck_assert_int_eq(deduct(key, org, "al5", user, 24, "chat", NULL), 200);
	ck_assert_int_eq(alerts(org, ""), 3);
	/* The activity log shows them. */
	snprintf(path, sizeof(path), API "/%ld/history", org);
	ck_assert_int_eq(t_get_as(NULL, admin, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "credits.alert"));
	t_resp_free(&r);
}
END_TEST

START_TEST(plan_grant_idempotent)
{
	char sql[512];
	long org, owner, user, g1, g2;

	org = make_org("plan", &owner, &user, 1);
	snprintf(sql, sizeof(sql), "SELECT grant_id FROM grant_plan_credits(%ld, date_trunc('month', now()),"
	    " date_trunc('month', now()) + interval '1 month', 300)", org);
	g1 = atol(t_sql_value(sql));
	g2 = atol(t_sql_value(sql));
	ck_assert_int_eq(g1, g2);
	ck_assert_int_eq(t_sql_long("SELECT granted FROM credit_pools WHERE org_id = %ld", org), 300);
	ck_assert_int_eq(t_sql_long("SELECT count(*) FROM credit_grants g JOIN credit_pools p ON p.id = g.pool_id"
	    " WHERE p.org_id = %ld AND g.source = 'plan' AND g.expires_at > now()", org), 1);
}
END_TEST

START_TEST(console_page_and_forms)
{
	struct t_session owner, member;
	char body[256];
	struct t_resp r;
	long acme = t_org_id("acme");

	t_reset_rate_limits();
	t_session_new("owner@acme.test", &owner);
	t_session_new("member@acme.test", &member);
	ck_assert_int_eq(t_get_as(owner.cookie, NULL, "/credits", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"credits-chart\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"allocations\""));
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(member.cookie, NULL, "/credits", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"my-allowance\""));
	ck_assert_ptr_null(strstr(r.body.data, "id=\"allocations\""));
	ck_assert_ptr_null(strstr(r.body.data, "id=\"credits-chart\""));
	t_resp_free(&r);
	/* A member cannot change settings. */
	snprintf(body, sizeof(body), "csrf=%s&allow_extra_tasks=on&max_extra_tasks=3", member.csrf);
	ck_assert_int_eq(t_form_as(member.cookie, "/credits/settings", body,
	    (const char *[]){ "Origin: https://localhost", NULL }, NULL), 403);
	(void)acme;
}
END_TEST

Suite *
credits_suite(void)
{
	return t_suite("credits", 120, T_TESTS(concurrent_deductions_are_exact,
	    ledger_check_detects_corruption, expiry_and_priority_order, extra_task_limits,
	    reversals, personal_and_multi_org, answers_and_idempotency,
	    alerts_once_per_period, plan_grant_idempotent, console_page_and_forms));
}
