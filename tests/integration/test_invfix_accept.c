/*
 * Accepting an invitation checks its inviter's power NOW (docs/SECURITY.md,
 * "Invitations"): an admin who invited and was then demoted or removed has
 * their open invitations withdrawn (audited); an inviter whose membership
 * changed some other way, or whose admin key was revoked, no longer lets
 * the invitation be accepted (403 with a clear reason). A user row nobody
 * can sign in to is claimed on the link. Expected answers are written
 * from the requirement.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"
#define NEW_PASSWORD "a-fresh-passphrase-42"

/* An e-mail address no other test or run uses, with tag in it. */
static void
fresh_email(const char *tag, char *out, size_t len)
{
	static int n;

	snprintf(out, len, "%s-%d-%ld-%d@invfix.test", tag, (int)getpid(), (long)time(NULL), n++);
}

/* A new person accepts tok (open the link, POST name and password): the status. */
static long
accept_new(const char *tok, const char *password, struct t_resp *r)
{
	char path[96], body[512], hcookie[256], login[128];
	const char *hdr[3], *v;
	struct t_resp g;
	char *e;

	snprintf(path, sizeof(path), "/invite/%s", tok);
	(void)t_invite_get(NULL, tok, &g);
	v = t_set_cookie(&g, "__Host-ob_login");
	snprintf(login, sizeof(login), "%s", v != NULL ? v : "none");
	t_resp_free(&g);
	snprintf(hcookie, sizeof(hcookie), "Cookie: __Host-ob_login=%s", login);
	hdr[0] = hcookie;
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = NULL;
	e = curl_easy_escape(NULL, password, 0);
	snprintf(body, sizeof(body), "login_token=%s&name=Invitee&password=%s", login, e);
	curl_free(e);
	ck_assert_int_eq(t_http(NULL, "POST", path, body, strlen(body), hdr, r), 0);
	return r->status;
}

/* The signed-in person (cookie) invites email as role into org through the API. */
static void
invite_as(const char *cookie, long org, const char *email, const char *role)
{
	char path[96], body[256], csrf[64], hcsrf[96];
	const char *extra[2] = { hcsrf, NULL };

	t_csrf(cookie, csrf);
	snprintf(hcsrf, sizeof(hcsrf), "X-CSRF-Token: %s", csrf);
	snprintf(path, sizeof(path), API "/%ld/members", org);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
	ck_assert_int_eq(t_call(cookie, NULL, "POST", path, body, "application/json", extra,
	    NULL), 201);
}

/* The owner (cookie) sets uid's role in org through the console form ("remove": removes). */
static void
set_role(const char *cookie, long uid, const char *role)
{
	char path[96], body[160], csrf[64];

	t_csrf(cookie, csrf);
	if (strcmp(role, "remove") == 0) {
		snprintf(path, sizeof(path), "/members/%ld/remove", uid);
		snprintf(body, sizeof(body), "csrf=%s", csrf);
	} else {
		snprintf(path, sizeof(path), "/members/%ld/role", uid);
		snprintf(body, sizeof(body), "csrf=%s&role=%s", csrf, role);
	}
	ck_assert_int_eq(t_form_as(cookie, path, body, NULL, NULL), 303);
}

static int
has(const struct t_resp *r, const char *s)
{
	return r->body.data != NULL && strstr(r->body.data, s) != NULL;
}

/* A signed-in session for uid (its e-mail, the fixture password). */
static void
login_uid(long uid, char *cookie, size_t len)
{
	ck_assert_int_eq(t_login(t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid),
	    T_MEMBER_PASSWORD, cookie, len), 303);
}

/* An admin invites, is demoted to member: the invitation is withdrawn, audited, refused. */
START_TEST(demoted_inviter_invitation_withdrawn)
{
	char owner[128], admin[128], email[128], email2[128], tok[44], tok2[44];
	struct t_resp r;
	long org = t_org_new("invfix-demote", NULL, NULL);
	long uo = t_member_new(org, "owner", NULL), ua = t_member_new(org, "admin", NULL);

	t_reset_rate_limits();
	login_uid(uo, owner, sizeof(owner));
	login_uid(ua, admin, sizeof(admin));
	fresh_email("demoted", email, sizeof(email));
	invite_as(admin, org, email, "admin");
	t_invite_token(email, tok);
	/* The owner's own invitation is not the admin's: it stays. */
	fresh_email("owners", email2, sizeof(email2));
	invite_as(owner, org, email2, "admin");
	t_invite_token(email2, tok2);

	set_role(owner, ua, "member");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND email = lower('%s') AND revoked_at IS NOT NULL", org, email), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'member.invite_revoke' AND before->>'reason' = 'inviter_lost_role'",
	    org), "1");
	ck_assert_int_eq(accept_new(tok, NEW_PASSWORD, &r), 410);
	ck_assert(has(&r, "withdrawn"));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE email = lower('%s')",
	    email), "0");
	/* The owner's invitation still works. */
	ck_assert_int_eq(accept_new(tok2, NEW_PASSWORD, &r), 303);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT m.role FROM memberships m JOIN users u ON"
	    " u.id = m.user_id WHERE m.org_id = %ld AND u.email = lower('%s')", org, email2),
	    "admin");
}
END_TEST

/* An admin demoted to billing keeps nothing; an owner demoted to admin keeps non-owner ones. */
START_TEST(demoted_owner_keeps_what_admin_may_grant)
{
	char owner[128], o2[128], e_owner[128], e_member[128];
	long org = t_org_new("invfix-owner", NULL, NULL);
	long uo = t_member_new(org, "owner", NULL), u2 = t_member_new(org, "owner", NULL);

	t_reset_rate_limits();
	login_uid(uo, owner, sizeof(owner));
	login_uid(u2, o2, sizeof(o2));
	fresh_email("grant-owner", e_owner, sizeof(e_owner));
	fresh_email("grant-member", e_member, sizeof(e_member));
	invite_as(o2, org, e_owner, "owner");
	invite_as(o2, org, e_member, "member");
	set_role(owner, u2, "admin");
	ck_assert_str_eq(t_sql_valuef("SELECT string_agg(role || ':' ||"
	    " (revoked_at IS NOT NULL)::text, ',' ORDER BY role) FROM invitations"
	    " WHERE org_id = %ld", org), "member:false,owner:true");
	/* Removed: the rest goes too. */
	set_role(owner, u2, "remove");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND revoked_at IS NULL", org), "0");
}
END_TEST

/* The inviter lost the role some other way (or the key was revoked): acceptance refused. */
START_TEST(inviter_without_power_refused_at_acceptance)
{
	char admin[128], key[128], email[128], ekey[128], tok[44], tokk[44];
	struct t_resp r;
	long org = t_org_new("invfix-now", NULL, NULL);
	long ua = t_member_new(org, "admin", NULL);

	(void)t_member_new(org, "owner", NULL);
	t_reset_rate_limits();
	login_uid(ua, admin, sizeof(admin));
	t_apikey_new(org, "admin", key, sizeof(key));
	fresh_email("now-user", email, sizeof(email));
	invite_as(admin, org, email, "billing");
	t_invite_token(email, tok);
	fresh_email("now-key", ekey, sizeof(ekey));
	{
		char path[96], body[256];

		snprintf(path, sizeof(path), API "/%ld/members", org);
		snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"member\"}", ekey);
		ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, NULL), 201);
	}
	t_invite_token(ekey, tokk);
	/* Not through the members page: the invitations stay open. */
	t_sqlf("UPDATE memberships SET role = 'member' WHERE org_id = %ld AND user_id = %ld",
	    org, ua);
	t_sqlf("UPDATE api_keys SET revoked_at = now() WHERE org_id = %ld", org);
	ck_assert_int_eq(accept_new(tok, NEW_PASSWORD, &r), 403);
	ck_assert(has(&r, "can no longer grant this role"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tokk, NEW_PASSWORD, &r), 403);
	ck_assert(has(&r, "can no longer grant this role"));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE email IN (lower('%s'),"
	    " lower('%s'))", email, ekey), "0");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND accepted_at IS NOT NULL", org), "0");
	/* Restored: the same link works. */
	t_sqlf("UPDATE memberships SET role = 'admin' WHERE org_id = %ld AND user_id = %ld",
	    org, ua);
	ck_assert_int_eq(accept_new(tok, NEW_PASSWORD, &r), 303);
	t_resp_free(&r);
}
END_TEST

/*
 * A user row without a password (migration 017 made such people's
 * memberships into invitations): the resent link lets them set a password
 * and join, on the same row. With a single sign-on identity it stays an
 * account to sign in to.
 */
START_TEST(passwordless_account_sets_password_on_the_link)
{
	char key[128], email[128], sso_email[128], path[96], body[256], tok[44];
	struct t_resp r;
	long org = t_org_new("invfix-nopw", NULL, NULL);
	long uid, sso_uid;

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	fresh_email("nopw", email, sizeof(email));
	uid = atol(t_sql_valuef("INSERT INTO users (email, name) VALUES (lower('%s'), 'Old')"
	    " RETURNING id", email));
	t_sqlf("INSERT INTO memberships (org_id, user_id, role, status) VALUES (%ld, %ld,"
	    " 'member', 'removed')", org, uid);
	snprintf(path, sizeof(path), API "/%ld/members", org);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"billing\"}", email);
	ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, NULL), 201);
	t_invite_token(email, tok);
	ck_assert_int_eq(t_invite_get(NULL, tok, &r), 200);
	ck_assert(has(&r, "name=\"password\""));
	ck_assert(!has(&r, "/login?next=/invite"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, NEW_PASSWORD, &r), 303);
	ck_assert_ptr_nonnull(t_set_cookie(&r, "__Host-ob_session"));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE lower(email) = lower('%s')",
	    email), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT u.name || ':' || (u.password_hash LIKE '$argon2id$%%')"
	    " || ':' || m.role || ':' || m.status FROM users u JOIN memberships m ON m.user_id = u.id"
	    " WHERE u.id = %ld AND m.org_id = %ld", uid, org), "Invitee:true:billing:active");
	ck_assert_int_eq(t_login(email, NEW_PASSWORD, NULL, 0), 303);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'user.claim' AND target_id = '%ld'", org, uid), "1");

	/* A single sign-on identity is an account: sign in to accept. */
	fresh_email("nopw-sso", sso_email, sizeof(sso_email));
	sso_uid = atol(t_sql_valuef("INSERT INTO users (email) VALUES (lower('%s')) RETURNING id",
	    sso_email));
	t_sqlf("INSERT INTO sso_identities (issuer, subject, user_id) VALUES"
	    " ('https://idp.invfix.test', 'sub-%ld', %ld)", sso_uid, sso_uid);
	snprintf(path, sizeof(path), API "/%ld/members", org);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"member\"}", sso_email);
	ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, NULL), 201);
	t_invite_token(sso_email, tok);
	ck_assert_int_eq(t_invite_get(NULL, tok, &r), 200);
	ck_assert(!has(&r, "name=\"password\""));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, NEW_PASSWORD, &r), 409);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE id = %ld"
	    " AND password_hash IS NULL", sso_uid), "1");
}
END_TEST

Suite *
invfix_accept_suite(void)
{
	Suite *s = suite_create("invfix_accept");
	TCase *tc = tcase_create("inviter");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, demoted_inviter_invitation_withdrawn);
	tcase_add_test(tc, demoted_owner_keeps_what_admin_may_grant);
	tcase_add_test(tc, inviter_without_power_refused_at_acceptance);
	tcase_add_test(tc, passwordless_account_sets_password_on_the_link);
	suite_add_tcase(s, tc);
	return s;
}
