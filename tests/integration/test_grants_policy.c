/*
 * Who may create credits and reverse deductions (docs/CREDITS.md, "Who may
 * grant and reverse"): no tenant grants; the meter key that made a
 * deduction reverses it within the window; staff grant and reverse with a
 * reason, audited as staff; operators grant from the CLI with a reason.
 * Every expected number below is written by hand from that rule.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define API "/api/v1/org-billing"
#define JSON "application/json"
#define FORM "application/x-www-form-urlencoded"

static long gsql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One number from SQL (fmt as printf). */
static long
gsql(const char *fmt, ...)
{
	char sql[1024];
	const char *v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	v = t_sql_value(sql);
	ck_assert_msg(v != NULL, "no row: %s", sql);
	return atol(v);
}

/* The org pool's granted total (0: no pool yet). */
static long
granted(long org)
{
	return gsql("SELECT COALESCE((SELECT granted FROM credit_pools WHERE org_id = %ld), 0)", org);
}

/* A signed-in session of a user t_member_new made. */
static void
member_session(long uid, struct t_session *s)
{
	char q[128], email[256];

	snprintf(q, sizeof(q), "SELECT email FROM users WHERE id = %ld", uid);
	snprintf(email, sizeof(email), "%s", t_sql_value(q));
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
}

/* POST body (JSON) to path as a session (s) or a key; the status, r kept. */
static long
post(const struct t_session *s, const char *key, const char *path, const char *body,
    struct t_resp *r)
{
	char hc[128];
	const char *extra[2] = { hc, NULL };

	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", s != NULL ? s->csrf : "");
	ck_assert_int_eq(t_http_as(s != NULL ? s->cookie : NULL, key, "POST", path, body,
	    body != NULL ? JSON : NULL, s != NULL ? extra : NULL, r), 0);
	return r->status;
}

/* A deduction of amount for user by key with idempotency key idem: 200 expected. */
static void
deduct(const char *key, long org, long user, long amount, const char *idem)
{
	char path[128], body[160], ih[160];
	const char *extra[2] = { ih, NULL };
	struct t_resp r;

	snprintf(path, sizeof(path), API "/credits/%ld/deduct", org);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":%ld,\"service\":\"chat\"}",
	    user, amount);
	snprintf(ih, sizeof(ih), "Idempotency-Key: %s", idem);
	ck_assert_int_eq(t_http_as(NULL, key, "POST", path, body, JSON, extra, &r), 0);
	ck_assert_msg(r.status == 200, "deduct %s: %ld %s", idem, r.status, r.body.data);
	t_resp_free(&r);
}

/* The tenant's people and keys of one fresh org. */
struct tenant {
	long org, owner, admin, billing, member;
	struct t_session s_owner, s_admin, s_billing, s_member;
	char k_read[128], k_write[128], k_meter[128], k_meter2[128], k_admin[128], k_all[128];
};

static void
tenant_new(const char *tag, struct tenant *t)
{
	memset(t, 0, sizeof(*t));
	t_reset_rate_limits();
	t->org = t_org_new(tag, NULL, NULL);
	t->owner = t_member_new(t->org, "owner", NULL);
	t->admin = t_member_new(t->org, "admin", NULL);
	t->billing = t_member_new(t->org, "billing", NULL);
	t->member = t_member_new(t->org, "member", NULL);
	member_session(t->owner, &t->s_owner);
	member_session(t->admin, &t->s_admin);
	member_session(t->billing, &t->s_billing);
	member_session(t->member, &t->s_member);
	t_apikey_new(t->org, "read", t->k_read, sizeof(t->k_read));
	t_apikey_new(t->org, "write", t->k_write, sizeof(t->k_write));
	t_apikey_new(t->org, "meter", t->k_meter, sizeof(t->k_meter));
	t_apikey_new(t->org, "meter", t->k_meter2, sizeof(t->k_meter2));
	t_apikey_new(t->org, "admin", t->k_admin, sizeof(t->k_admin));
	t_apikey_new(t->org, "read,write,meter,admin", t->k_all, sizeof(t->k_all));
}

/* Expect 403 with code (a JSON error) for the request; r freed. */
static void
want_403(struct t_resp *r, long status, const char *code, const char *who)
{
	char c[96];

	snprintf(c, sizeof(c), "\"code\":\"%s\"", code);
	ck_assert_msg(status == 403 && strstr(r->body.data, "\"type\":\"permission_error\"") != NULL &&
	    strstr(r->body.data, c) != NULL, "%s: want 403 %s, got %ld %s", who, code, status,
	    r->body.data);
	t_resp_free(r);
}

START_TEST(tenant_grants_refused_to_every_role_and_scope)
{
	static const char *const bodies[] = {
		"{\"amount\":100,\"source\":\"manual\",\"reason\":\"free credits\"}",
		"{\"amount\":1000000000000,\"source\":\"purchase\"}",
		"{\"amount\":5,\"source\":\"promo\",\"reason\":\"launch\"}",
	};
	struct tenant t;
	struct t_resp r;
	char path[128];
	size_t i;

	tenant_new("gr-add", &t);
	snprintf(path, sizeof(path), API "/credits/%ld/add", t.org);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		t_reset_rate_limits();
		want_403(&r, post(&t.s_owner, NULL, path, bodies[i], &r), "forbidden", "owner");
		want_403(&r, post(&t.s_admin, NULL, path, bodies[i], &r), "forbidden", "admin");
		want_403(&r, post(&t.s_billing, NULL, path, bodies[i], &r), "forbidden", "billing");
		want_403(&r, post(&t.s_member, NULL, path, bodies[i], &r), "forbidden", "member");
		want_403(&r, post(NULL, t.k_read, path, bodies[i], &r), "forbidden", "read key");
		want_403(&r, post(NULL, t.k_write, path, bodies[i], &r), "forbidden", "write key");
		want_403(&r, post(NULL, t.k_meter, path, bodies[i], &r), "forbidden", "meter key");
		want_403(&r, post(NULL, t.k_admin, path, bodies[i], &r), "forbidden", "admin key");
		want_403(&r, post(NULL, t.k_all, path, bodies[i], &r), "forbidden", "all-scope key");
	}
	/* Nothing was granted, and nothing was audited as a grant. */
	ck_assert_int_eq(granted(t.org), 0);
	ck_assert_int_eq(gsql("SELECT count(*) FROM credit_grants g JOIN credit_pools p"
	    " ON p.id = g.pool_id WHERE p.org_id = %ld", t.org), 0);
	ck_assert_int_eq(gsql("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action IN ('credits.add', 'credits.grant')", t.org), 0);
}
END_TEST

START_TEST(reversal_only_by_the_meter_key_within_the_window)
{
	struct tenant t;
	struct t_resp r;
	struct t_session staff;
	char path[192];

	tenant_new("gr-rev", &t);
	{
		char q[256];

		snprintf(q, sizeof(q), "SELECT grant_id FROM add_credits_to_pool(%ld, NULL, 1000,"
		    " 'manual', NULL, NULL, 'test setup', 'test', NULL)", t.org);
		t_sql_value(q);
	}
	/* Three deductions by the first meter key: 100 + 200 + 300. */
	deduct(t.k_meter, t.org, t.member, 100, "gr-d1");
	deduct(t.k_meter, t.org, t.member, 200, "gr-d2");
	deduct(t.k_meter, t.org, t.member, 300, "gr-d3");
	ck_assert_int_eq(gsql("SELECT remaining FROM credit_pools WHERE org_id = %ld", t.org), 400);

	/* d1: nobody but the key that made it. */
	snprintf(path, sizeof(path), API "/credits/%ld/deductions/gr-d1/reverse", t.org);
	want_403(&r, post(&t.s_owner, NULL, path, NULL, &r), "forbidden", "owner");
	want_403(&r, post(&t.s_admin, NULL, path, NULL, &r), "forbidden", "admin");
	want_403(&r, post(&t.s_billing, NULL, path, NULL, &r), "forbidden", "billing");
	want_403(&r, post(&t.s_member, NULL, path, NULL, &r), "forbidden", "member");
	want_403(&r, post(NULL, t.k_read, path, NULL, &r), "forbidden", "read key");
	want_403(&r, post(NULL, t.k_write, path, NULL, &r), "forbidden", "write key");
	want_403(&r, post(NULL, t.k_admin, path, NULL, &r), "forbidden", "admin key");
	/* Meter keys that did not make it: refused by core. */
	want_403(&r, post(NULL, t.k_meter2, path, NULL, &r), "reversal_not_allowed", "other meter key");
	want_403(&r, post(NULL, t.k_all, path, NULL, &r), "reversal_not_allowed", "all-scope key");
	ck_assert_int_eq(gsql("SELECT remaining FROM credit_pools WHERE org_id = %ld", t.org), 400);
	/* The key that made it, within the window: 201, the 100 back. */
	ck_assert_int_eq(post(NULL, t.k_meter, path, "{\"reason\":\"task failed\"}", &r), 201);
	t_resp_free(&r);
	ck_assert_int_eq(gsql("SELECT remaining FROM credit_pools WHERE org_id = %ld", t.org), 500);

	/* d2 is two days old (the window is 86400 s): refused even to its key. */
	{
		char q[256];

		snprintf(q, sizeof(q), "UPDATE credit_usage SET created_at = now() - interval '2 days'"
		    " WHERE org_id = %ld AND kind = 'deduction' AND idem_key = 'gr-d2'", t.org);
		t_sql(q);
	}
	t_reset_rate_limits();
	snprintf(path, sizeof(path), API "/credits/%ld/deductions/gr-d2/reverse", t.org);
	want_403(&r, post(NULL, t.k_meter, path, NULL, &r), "reversal_window_passed", "own key, late");
	want_403(&r, post(NULL, t.k_meter2, path, NULL, &r), "reversal_not_allowed", "other key, late");
	want_403(&r, post(NULL, t.k_admin, path, NULL, &r), "forbidden", "admin key, late");
	want_403(&r, post(&t.s_owner, NULL, path, NULL, &r), "forbidden", "owner, late");
	want_403(&r, post(&t.s_admin, NULL, path, NULL, &r), "forbidden", "admin, late");
	want_403(&r, post(&t.s_billing, NULL, path, NULL, &r), "forbidden", "billing, late");
	ck_assert_int_eq(gsql("SELECT remaining FROM credit_pools WHERE org_id = %ld", t.org), 500);

	/* Staff reverse it with a reason (none, or too short: 400). */
	t_session_new("staff@orgbill.test", &staff);
	snprintf(path, sizeof(path), API "/admin/credits/%ld/deductions/gr-d2/reverse", t.org);
	ck_assert_int_eq(post(&staff, NULL, path, "{}", &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(post(&staff, NULL, path, "{\"reason\":\"ab\"}", &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(gsql("SELECT remaining FROM credit_pools WHERE org_id = %ld", t.org), 500);
	ck_assert_int_eq(post(&staff, NULL, path, "{\"reason\":\"customer ticket 4711\"}", &r), 201);
	t_resp_free(&r);
	ck_assert_int_eq(gsql("SELECT remaining FROM credit_pools WHERE org_id = %ld", t.org), 700);
	ck_assert_int_eq(gsql("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.reverse' AND target_id = 'gr-d2' AND actor_type = 'staff'"
	    " AND reason = 'customer ticket 4711' AND actor_id = '%ld'", t.org,
	    t_user_id("staff@orgbill.test")), 1);
	/* The tenant's own reversal of d1 was audited as its key. */
	ck_assert_int_eq(gsql("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.reverse' AND target_id = 'gr-d1' AND actor_type = 'api_key'",
	    t.org), 1);
	/* Staff on another tenant's deduction key get 404, not someone else's. */
	snprintf(path, sizeof(path), API "/admin/credits/%ld/deductions/gr-d3/reverse",
	    t_org_id("globex"));
	ck_assert_int_eq(post(&staff, NULL, path, "{\"reason\":\"wrong org\"}", &r), 404);
	t_resp_free(&r);
	ck_assert_int_eq(gsql("SELECT remaining FROM credit_pools WHERE org_id = %ld", t.org), 700);
}
END_TEST

START_TEST(staff_grant_audited_as_staff)
{
	struct tenant t;
	struct t_session staff;
	struct t_resp r;
	char path[160], body[512];
	long staff_id = t_user_id("staff@orgbill.test");

	tenant_new("gr-staff", &t);
	t_session_new("staff@orgbill.test", &staff);
	/* The staff page of an org without a pool yet: 0 granted. */
	snprintf(path, sizeof(path), "/admin/orgs/%ld/credits", t.org);
	ck_assert_int_eq(t_http_as(staff.cookie, NULL, "GET", path, NULL, NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"staff-credits-granted\">0<"));
	t_resp_free(&r);
	/* No such org: 404 on the page and the API. */
	ck_assert_int_eq(t_http_as(staff.cookie, NULL, "GET", "/admin/orgs/999999999/credits", NULL,
	    NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	ck_assert_int_eq(post(&staff, NULL, API "/admin/credits/999999999/grants",
	    "{\"amount\":10,\"source\":\"manual\",\"reason\":\"nobody there\"}", &r), 404);
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/admin/credits/%ld/grants", t.org);
	ck_assert_int_eq(post(&staff, NULL, path,
	    "{\"amount\":12345,\"source\":\"promo\",\"reason\":\"launch promotion\"}", &r), 201);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"source\":\"promo\""));
	t_resp_free(&r);
	ck_assert_int_eq(granted(t.org), 12345);
	ck_assert_int_eq(gsql("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.grant' AND actor_type = 'staff' AND actor_id = '%ld'"
	    " AND reason = 'launch promotion' AND after->>'amount' = '12345'", t.org, staff_id), 1);
	/* Reason required (3 to 500 characters); purchase and plan refused. */
	ck_assert_int_eq(post(&staff, NULL, path, "{\"amount\":10,\"source\":\"manual\"}", &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(post(&staff, NULL, path,
	    "{\"amount\":10,\"source\":\"manual\",\"reason\":\"ab\"}", &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(post(&staff, NULL, path,
	    "{\"amount\":10,\"source\":\"purchase\",\"reason\":\"looks paid\"}", &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "source"));
	t_resp_free(&r);
	ck_assert_int_eq(post(&staff, NULL, path,
	    "{\"amount\":10,\"source\":\"plan\",\"reason\":\"plan top-up\"}", &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(granted(t.org), 12345);
	/* Tenants cannot reach the staff route (404: it does not exist for them). */
	ck_assert_int_eq(post(&t.s_owner, NULL, path,
	    "{\"amount\":10,\"source\":\"manual\",\"reason\":\"self service\"}", &r), 404);
	t_resp_free(&r);
	ck_assert_int_eq(post(NULL, t.k_all, path,
	    "{\"amount\":10,\"source\":\"manual\",\"reason\":\"self service\"}", &r), 404);
	t_resp_free(&r);
	ck_assert_int_eq(granted(t.org), 12345);

	/* The console: the page, then the form (655 more: 13000 in all). */
	t_reset_rate_limits();
	snprintf(path, sizeof(path), "/admin/orgs/%ld/credits", t.org);
	ck_assert_int_eq(t_http_as(staff.cookie, NULL, "GET", path, NULL, NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "staff-grant-form"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "12,345"));
	t_resp_free(&r);
	ck_assert_int_eq(t_http_as(t.s_owner.cookie, NULL, "GET", path, NULL, NULL, NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	snprintf(body, sizeof(body), "csrf=%s&amount=655&source=manual", staff.csrf);
	ck_assert_int_eq(t_http_as(staff.cookie, NULL, "POST", path, body, FORM, NULL, &r), 0);
	ck_assert_int_eq(r.status, 400);
	t_resp_free(&r);
	ck_assert_int_eq(granted(t.org), 12345);
	snprintf(body, sizeof(body), "csrf=%s&amount=655&source=manual&reason=support+goodwill",
	    staff.csrf);
	ck_assert_int_eq(t_http_as(staff.cookie, NULL, "POST", path, body, FORM, NULL, &r), 0);
	ck_assert_int_eq(r.status, 303);
	t_resp_free(&r);
	ck_assert_int_eq(granted(t.org), 13000);
	ck_assert_int_eq(gsql("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.grant' AND actor_type = 'staff' AND reason = 'support goodwill'"
	    " AND after->>'source' = 'manual'", t.org), 1);
}
END_TEST

START_TEST(cli_grant_needs_a_reason)
{
	char args[256], out[128];
	long org = t_org_new("gr-cli", NULL, NULL);

	snprintf(args, sizeof(args), "credits grant --org %ld --amount 500", org);
	ck_assert_int_ne(t_cli(args, NULL, out, sizeof(out)), 0);
	snprintf(args, sizeof(args), "credits add --org %ld --amount 500 --source promo", org);
	ck_assert_int_ne(t_cli(args, NULL, out, sizeof(out)), 0);
	snprintf(args, sizeof(args), "credits grant --org %ld --amount 500 --source purchase"
	    " --reason 'paid elsewhere'", org);
	ck_assert_int_ne(t_cli(args, NULL, out, sizeof(out)), 0);
	snprintf(args, sizeof(args), "credits grant --org %ld --amount 500 --source plan"
	    " --reason 'plan by hand'", org);
	ck_assert_int_ne(t_cli(args, NULL, out, sizeof(out)), 0);
	ck_assert_int_eq(granted(org), 0);
	snprintf(args, sizeof(args), "credits grant --org %ld --amount 500 --source rollover"
	    " --reason 'migration from v1'", org);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	ck_assert_int_gt(atol(out), 0);
	ck_assert_int_eq(granted(org), 500);
	ck_assert_int_eq(gsql("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.grant' AND actor_type = 'system' AND request_id = 'cli'"
	    " AND reason = 'migration from v1' AND after->>'source' = 'rollover'", org), 1);
	ck_assert_int_eq(gsql("SELECT count(*) FROM credit_grants g JOIN credit_pools p"
	    " ON p.id = g.pool_id WHERE p.org_id = %ld AND g.source = 'rollover'"
	    " AND g.amount = 500", org), 1);
}
END_TEST

Suite *
grants_suite(void)
{
	Suite *s = suite_create("grants");
	TCase *tc = tcase_create("grants");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tenant_grants_refused_to_every_role_and_scope);
	tcase_add_test(tc, reversal_only_by_the_meter_key_within_the_window);
	tcase_add_test(tc, staff_grant_audited_as_staff);
	tcase_add_test(tc, cli_grant_needs_a_reason);
	suite_add_tcase(s, tc);
	return s;
}
