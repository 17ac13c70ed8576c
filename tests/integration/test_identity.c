/*
 * Identity over the real stack: sessions (flags, fixation, expiry,
 * logout), CSRF, sign-in limits, Argon2id, API keys (revocation within
 * seconds, rate limits shared by the workers), the audit log and the CLI.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integration/harness.h"
#include "unit/unit.h"

START_TEST(session_cookie_flags)
{
	struct t_resp r;
	const char *p;

	t_reset_rate_limits();
	ck_assert_int_eq(t_login_form("member@acme.test", T_DEMO_PASSWORD, NULL, &r), 303);
	p = strstr(r.headers.data, "__Host-ob_session=");
	ck_assert_ptr_nonnull(p);
	{
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\r\n"), p);
		ck_assert_msg(strstr(line, "; Secure") && strstr(line, "; HttpOnly") &&
		    strstr(line, "; SameSite=Lax") && strstr(line, "; Path=/") &&
		    !strstr(line, "Domain="), "%s", line);
		/* 256 random bits, base64url: 43 characters. */
		ck_assert_uint_eq(strcspn(p + 18, ";"), 43);
	}
	t_resp_free(&r);
}
END_TEST

START_TEST(session_is_rotated_at_login)
{
	struct t_session a, b;
	struct t_resp r;
	char more[160];

	t_reset_rate_limits();
	t_session_new("member@acme.test", &a);
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 200);
	/* Signing in again from a browser that holds session a: a new token,
	 * and a stops working (no fixation). */
	t_session_new("member@acme.test", &b);
	ck_assert_str_ne(a.cookie, b.cookie);
	/* Through the form with the old cookie present. */
	snprintf(more, sizeof(more), "; __Host-ob_session=%s", b.cookie);
	ck_assert_int_eq(t_login_form("member@acme.test", T_DEMO_PASSWORD, more, &r), 303);
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(b.cookie, NULL, "/members", NULL), 303);
	/* A made-up cookie is no session. */
	ck_assert_int_eq(t_get_as("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, "/members", NULL), 303);
	ck_assert_int_eq(t_get_as("not-a-token", NULL, "/members", NULL), 303);
}
END_TEST

START_TEST(session_expiry_idle_and_absolute)
{
	struct t_session a;

	t_reset_rate_limits();
	t_session_new("billing@acme.test", &a);
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 200);
	/* Idle longer than ORGBILL_SESSION_IDLE_S (2 h by default). */
	t_sql("UPDATE sessions SET last_seen_at = now() - interval '3 hours'"
	    " WHERE user_id = (SELECT id FROM users WHERE email = 'billing@acme.test')");
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 303);

	t_session_new("billing@acme.test", &a);
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 200);
	/* Past the absolute expiry, however recently used. */
	t_sql("UPDATE sessions SET expires_at = now() - interval '1 second'"
	    " WHERE user_id = (SELECT id FROM users WHERE email = 'billing@acme.test')");
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 303);
}
END_TEST

START_TEST(logout_invalidates_and_needs_csrf)
{
	struct t_session a;
	char body[128];
	struct t_resp r;

	t_reset_rate_limits();
	t_session_new("admin@acme.test", &a);
	/* Without the token, or with a wrong one: refused, session intact. */
	ck_assert_int_eq(t_form_as(a.cookie, "/logout", "", NULL, &r), 403);
	ck_assert_ptr_nonnull(strstr(r.body.data, "csrf_failed"));
	t_resp_free(&r);
	ck_assert_int_eq(t_form_as(a.cookie, "/logout", "csrf=AAAA", NULL, NULL), 403);
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 200);
	/* The right token from a foreign Origin: refused. */
	snprintf(body, sizeof(body), "csrf=%s", a.csrf);
	ck_assert_int_eq(t_form_as(a.cookie, "/logout", body,
	    (const char *[]){ "Origin: https://evil.example", NULL }, NULL), 403);
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 200);
	/* The right token (no Origin, as some clients send): signed out, and
	 * the cookie is dead. */
	ck_assert_int_eq(t_form_as(a.cookie, "/logout", body, NULL, &r), 303);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Location"), "/login"));
	ck_assert_ptr_nonnull(strstr(r.headers.data, "__Host-ob_session=; "));
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(a.cookie, NULL, "/members", NULL), 303);
}
END_TEST

START_TEST(login_errors_are_uniform)
{
	char a[128];
	struct t_resp r1;
	long s1, s2;

	t_reset_rate_limits();
	s1 = t_login("member@acme.test", "wrong-password", a, sizeof(a));
	ck_assert_str_eq(a, "");
	s2 = t_login("nobody@acme.test", "wrong-password", a, sizeof(a));
	ck_assert_str_eq(a, "");
	ck_assert_int_eq(s1, 401);
	ck_assert_int_eq(s2, 401);
	(void)r1;
}
END_TEST

START_TEST(login_attempts_are_limited)
{
	char a[128];
	int i;

	t_reset_rate_limits();
	/* 10 per account per 15 minutes (ORGBILL_RATE_LOGIN), then refused
	 * even with the right password. */
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(t_login("owner@globex.test", "wrong-password", a, sizeof(a)), 401);
	ck_assert_int_eq(t_login("owner@globex.test", "demo-password", a, sizeof(a)), 429);
	ck_assert_str_eq(a, "");
	t_reset_rate_limits();
	ck_assert_int_eq(t_login("owner@globex.test", "demo-password", a, sizeof(a)), 303);
}
END_TEST

START_TEST(passwords_are_argon2id)
{
	ck_assert_str_eq(t_sql_value("SELECT count(*) FROM users WHERE password_hash IS NOT NULL"
	    " AND password_hash NOT LIKE '$argon2id$%'"), "0");
	ck_assert_int_ge(atoi(t_sql_value("SELECT count(*) FROM users"
	    " WHERE password_hash LIKE '$argon2id$v=19$%'")), 6);
	/* Tokens are stored only as hashes: no 43-character token anywhere. */
	ck_assert_str_eq(t_sql_value("SELECT count(*) FROM sessions WHERE length(token_hash) <> 32"), "0");
}
END_TEST

START_TEST(apikey_revocation_within_seconds)
{
	char key[128], prefix[16], path[128], args[128];
	int i, revoked_seen = 0;

	t_apikey_new(t_org_id("acme"), "read", key, sizeof(key));
	snprintf(prefix, sizeof(prefix), "%.12s", key + 3);
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/members", t_org_id("acme"));
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(t_get_as(NULL, key, path, NULL), 200);
	/* A wrong secret with the right prefix is refused. */
	{
		char bad[128];

		snprintf(bad, sizeof(bad), "%s", key);
		bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
		ck_assert_int_eq(t_get_as(NULL, bad, path, NULL), 401);
	}
	snprintf(args, sizeof(args), "apikey revoke %s", prefix);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 0);
	ck_assert_int_ne(t_cli(args, NULL, NULL, 0), 0);	/* already revoked */
	/* Every worker stops accepting it within the cache's 5 seconds. */
	for (i = 0; i < 70; i++) {
		if (t_get_as(NULL, key, path, NULL) == 401)
			revoked_seen++;
		else
			revoked_seen = 0;
		if (revoked_seen >= 10)
			break;
		t_sleep_ms(100);
	}
	ck_assert_msg(revoked_seen >= 10, "revoked key still accepted after %d ms", i * 100);
	{
		char q[160];

		snprintf(q, sizeof(q), "SELECT count(*) FROM api_keys WHERE prefix = '%s'"
		    " AND last_used_at IS NOT NULL AND revoked_at IS NOT NULL", prefix);
		ck_assert_str_eq(t_sql_value(q), "1");
	}
}
END_TEST

struct burst {
	const char *key, *path;
	int ok, limited, other;
};

static void *
burst_thread(void *arg)
{
	struct burst *b = arg;
	struct t_resp r;
	int i;

	for (i = 0; i < 40; i++) {
		if (t_http_as(NULL, b->key, "GET", b->path, NULL, NULL, NULL, &r) != 0) {
			b->other++;
			continue;
		}
		if (r.status == 200)
			b->ok++;
		else if (r.status == 429 && t_header(&r, "Retry-After") != NULL &&
		    strstr(r.body.data, "rate_limit_error"))
			b->limited++;
		else
			b->other++;
		t_resp_free(&r);
	}
	return NULL;
}

/* The read limit holds across both workers: exactly the limit gets in. */
START_TEST(rate_limit_shared_by_workers)
{
	char key[128], path[128];
	struct burst b[8];
	pthread_t th[8];
	struct t_resp r;
	int i, ok = 0, limited = 0, other = 0;
	long limit;

	t_apikey_new(t_org_id("acme"), "read", key, sizeof(key));
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/members", t_org_id("acme"));
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	limit = atol(t_header(&r, "X-RateLimit-Limit"));
	ck_assert_int_eq(atol(t_header(&r, "X-RateLimit-Remaining")), limit - 1);
	ck_assert_int_gt(atol(t_header(&r, "X-RateLimit-Reset")), 1700000000L);
	t_resp_free(&r);
	ck_assert_int_lt(limit, 8 * 40);
	for (i = 0; i < 8; i++) {
		b[i] = (struct burst){ key, path, 0, 0, 0 };
		pthread_create(&th[i], NULL, burst_thread, &b[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		ok += b[i].ok;
		limited += b[i].limited;
		other += b[i].other;
	}
	ck_assert_int_eq(other, 0);
	ck_assert_int_eq(ok + 1, limit);
	ck_assert_int_eq(limited, 8 * 40 - (limit - 1));
}
END_TEST

START_TEST(audit_rows_for_mutations)
{
	char key[128], path[160], idem[64], body[160], q[512];
	const char *hdr[] = { idem, NULL };
	struct t_resp r;
	char *p;
	long before_id;

	snprintf(idem, sizeof(idem), "Idempotency-Key: audit-%d-%ld", getpid(), (long)time(NULL));
	snprintf(body, sizeof(body), "{\"email\":\"audited-%d-%ld@acme.test\",\"role\":\"member\","
	    "\"department\":\"QA\"}", getpid(), (long)time(NULL));

	t_apikey_new(t_org_id("acme"), "read,admin", key, sizeof(key));
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/members", t_org_id("acme"));
	ck_assert_int_eq(t_json_as(key, "POST", path, body, hdr, NULL), 201);
	/* One row, in the same transaction: actor, target, after, request id. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM audit_log a JOIN invitations i"
	    " ON i.id::text = a.target_id WHERE a.action = 'member.invite'"
	    " AND a.target_type = 'invitation' AND a.actor_type = 'api_key' AND a.actor_id = '%.12s'"
	    " AND a.after->>'department' = 'QA' AND a.request_id ~ '^[0-9a-f]{32}$'", key + 3);
	ck_assert_str_eq(t_sql_value(q), "1");
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/history?limit=1", t_org_id("acme"));
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"action\":\"member.invite\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"has_more\":true"));
	p = strstr(r.body.data, "\"id\":\"");
	ck_assert_ptr_nonnull(p);
	before_id = atol(p + 6);
	t_resp_free(&r);
	/* The next page starts below the cursor. */
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/history?limit=100&starting_after=%ld",
	    t_org_id("acme"), before_id);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	p = strstr(r.body.data, "\"id\":\"");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_lt(atol(p + 6), before_id);
	t_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/history?limit=0", t_org_id("acme"));
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"limit\""));
	t_resp_free(&r);
}
END_TEST

START_TEST(last_owner_cannot_leave)
{
	struct t_session s;
	char path[160], body[128];
	struct t_resp r;
	long globex = t_org_id("globex");
	long owner = t_user_id("owner@globex.test");

	t_reset_rate_limits();
	t_session_new("owner@globex.test", &s);
	snprintf(body, sizeof(body), "csrf=%s&role=member", s.csrf);
	snprintf(path, sizeof(path), "/members/%ld/role", owner);
	ck_assert_int_eq(t_form_as(s.cookie, path, body, NULL, &r), 409);
	ck_assert_ptr_nonnull(strstr(r.body.data, "at least one owner"));
	t_resp_free(&r);
	snprintf(path, sizeof(path), "SELECT role FROM memberships WHERE org_id = %ld AND user_id = %ld",
	    globex, owner);
	ck_assert_str_eq(t_sql_value(path), "owner");
}
END_TEST

START_TEST(cli_is_scriptable)
{
	char out[256], args[256];
	long org;

	snprintf(args, sizeof(args), "org create --name 'CLI Test %d' --slug cli-test-%d", getpid(), getpid());
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	org = atol(out);
	ck_assert_int_gt(org, 0);
	ck_assert_uint_eq(strspn(out, "0123456789"), strlen(out));	/* the id alone */
	ck_assert_int_ne(t_cli(args, NULL, out, sizeof(out)), 0);	/* slug taken */
	snprintf(args, sizeof(args), "user create --email cli-%d@acme.test --name 'CLI User'", getpid());
	ck_assert_int_eq(t_cli(args, "correct horse battery\n", out, sizeof(out)), 0);
	ck_assert_int_gt(atol(out), 0);
	snprintf(args, sizeof(args), "member add --org %ld --user %s --role billing", org, out);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 0);
	snprintf(args, sizeof(args), "member add --org %ld --user 1 --role emperor", org);
	ck_assert_int_ne(t_cli(args, NULL, NULL, 0), 0);
	snprintf(args, sizeof(args), "apikey create --org %ld --scopes read,bogus", org);
	ck_assert_int_ne(t_cli(args, NULL, NULL, 0), 0);
	ck_assert_int_eq(t_cli("org --help", NULL, NULL, 0), 0);
	ck_assert_int_eq(t_cli("--help", NULL, NULL, 0), 0);
	ck_assert_int_ne(t_cli("no-such-command", NULL, NULL, 0), 0);
	/* A short password is refused. */
	snprintf(args, sizeof(args), "user create --email cli2-%d@acme.test", getpid());
	ck_assert_int_ne(t_cli(args, "short\n", NULL, 0), 0);
}
END_TEST

/* Send the members' visibility form with fields: acme's setting afterwards. */
static const char *
post_visibility(const struct t_session *s, const char *fields)
{
	char body[160];

	snprintf(body, sizeof(body), "csrf=%s&%s", s->csrf, fields);
	ck_assert_int_eq(t_form_as(s->cookie, "/members/visibility", body, NULL, NULL), 303);
	return t_sql_value("SELECT members_see_billing FROM organizations WHERE slug = 'acme'");
}

START_TEST(members_visibility_setting)
{
	struct t_session s;

	t_reset_rate_limits();
	t_session_new("admin@acme.test", &s);
	/* Unchecked: only the hidden default is sent. */
	ck_assert_str_eq(post_visibility(&s, "members_see_billing=0"), "f");
	ck_assert_str_eq(t_sql_value("SELECT after->>'members_see_billing' FROM audit_log"
	    " WHERE action = 'org.settings' ORDER BY id DESC LIMIT 1"), "false");
	/* Checked: the box follows the hidden default, and wins. */
	ck_assert_str_eq(post_visibility(&s, "members_see_billing=0&members_see_billing=1"), "t");
}
END_TEST

Suite *identity_suite(void)
{
	return t_suite("identity", 120, T_TESTS(session_cookie_flags,
	    session_is_rotated_at_login, session_expiry_idle_and_absolute,
	    logout_invalidates_and_needs_csrf, login_errors_are_uniform,
	    login_attempts_are_limited, passwords_are_argon2id,
	    apikey_revocation_within_seconds, rate_limit_shared_by_workers,
	    audit_rows_for_mutations, last_owner_cannot_leave, cli_is_scriptable,
	    members_visibility_setting));
}
