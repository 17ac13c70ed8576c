/*
 * Invitations people can accept (docs/SECURITY.md, "Invitations"): inviting
 * makes no user and no membership, stores only the token's SHA-256 and
 * mails the link; the link lets a new person set a password, or the
 * invited account accept after signing in; used, expired, withdrawn and
 * unknown links get a clear 4xx page; resending replaces the link; a
 * member cannot be invited again (409); the token is in no log. Expected
 * answers are written from the requirement.
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

	snprintf(out, len, "%s-%d-%ld-%d@invitee.test", tag, (int)getpid(), (long)time(NULL), n++);
}

/* POST an invitation with key into org: the status; the answer into r (may be NULL). */
static long
invite(const char *key, long org, const char *email, const char *role, struct t_resp *r)
{
	char path[96], body[512];

	snprintf(path, sizeof(path), API "/%ld/members", org);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
	return t_json_as(key, "POST", path, body, NULL, r);
}

/* Open the link to <token> (with a session cookie, may be NULL): the status; answer into r. */
static long
open_link(const char *cookie, const char *tok, struct t_resp *r)
{
	return t_invite_get(cookie, tok, r);
}

/*
 * A new person accepts: open the link (its form's login cookie), then POST
 * name and password. The POST's status; its answer into r.
 */
static long
accept_new(const char *tok, const char *name, const char *password, struct t_resp *r)
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
	snprintf(body, sizeof(body), "login_token=%s&name=%s&password=%s", login, name, e);
	curl_free(e);
	ck_assert_int_eq(t_http(NULL, "POST", path, body, strlen(body), hdr, r), 0);
	return r->status;
}

/* The signed-in user (cookie) accepts tok: the POST's status; answer into r. */
static long
accept_signed_in(const char *cookie, const char *tok, struct t_resp *r)
{
	char path[96], body[128], csrf[64];

	t_csrf(cookie, csrf);
	snprintf(path, sizeof(path), "/invite/%s", tok);
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	return t_form_as(cookie, path, body, NULL, r);
}

static int
has(const struct t_resp *r, const char *s)
{
	return r->body.data != NULL && strstr(r->body.data, s) != NULL;
}

START_TEST(invite_makes_nobody_until_accepted)
{
	char key[128], email[128], tok[44], cookie[128], path[96];
	struct t_resp r;
	long org = t_org_new("inv-new", "Invite New Co", NULL);

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	fresh_email("Newcomer", email, sizeof(email));
	ck_assert_int_eq(invite(key, org, email, "billing", &r), 201);
	ck_assert(has(&r, "\"object\":\"invitation\""));
	ck_assert(has(&r, "\"status\":\"pending\""));
	ck_assert(!has(&r, "user_id"));
	t_resp_free(&r);
	/* No user, no membership: only the invitation, its address lowercased. */
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE lower(email) = lower('%s')",
	    email), "0");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND email = lower('%s') AND role = 'billing' AND accepted_at IS NULL"
	    " AND expires_at BETWEEN now() + interval '6 days 23 hours' AND now() + interval '7 days 1 minute'",
	    org, email), "1");
	/* The e-mail holds the link; the row holds only SHA-256 of the token's bytes. */
	t_invite_token(email, tok);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE token_hash ="
	    " sha256(decode(translate('%s', '-_', '+/') || '=', 'base64'))", tok), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations"
	    " WHERE row_to_json(invitations)::text LIKE '%%%s%%'", tok), "0");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'member.invite' AND target_type = 'invitation'", org), "1");

	/* The link's page: the org and a form for name and password. */
	ck_assert_int_eq(open_link(NULL, tok, &r), 200);
	ck_assert(has(&r, "Invite New Co"));
	ck_assert(has(&r, "name=\"password\""));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "Nora+Newcomer", NEW_PASSWORD, &r), 303);
	ck_assert_str_eq(t_header(&r, "Location"), "/?flash=invitation_accepted");
	ck_assert_ptr_nonnull(t_set_cookie(&r, "__Host-ob_session"));
	snprintf(cookie, sizeof(cookie), "%s", t_set_cookie(&r, "__Host-ob_session"));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT m.role || ':' || m.status || ':' || u.name"
	    " || ':' || (u.password_hash LIKE '$argon2id$%%') FROM memberships m JOIN users u"
	    " ON u.id = m.user_id WHERE m.org_id = %ld AND u.email = lower('%s')", org, email),
	    "billing:active:Nora Newcomer:true");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND accepted_at IS NOT NULL AND accepted_by IS NOT NULL", org), "1");
	/* Signed in, inside the org. */
	snprintf(path, sizeof(path), API "/%ld/members", org);
	ck_assert_int_eq(t_get_as(cookie, NULL, "/members", &r), 200);
	ck_assert(has(&r, email + 0) || has(&r, "newcomer"));
	t_resp_free(&r);
	/* The password works for signing in. */
	ck_assert_int_eq(t_login(email, NEW_PASSWORD, NULL, 0), 303);

	/* The link works once. */
	ck_assert_int_eq(open_link(NULL, tok, &r), 410);
	ck_assert(has(&r, "already been used"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "Someone", "another-passphrase-1", &r), 410);
	t_resp_free(&r);
	ck_assert_int_eq(accept_signed_in(cookie, tok, &r), 410);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE lower(email) = lower('%s')",
	    email), "1");
}
END_TEST

START_TEST(expired_revoked_and_unknown_links)
{
	char key[128], email[128], tok[44], path[128], id[32];
	struct t_resp r;
	long org = t_org_new("inv-exp", NULL, NULL);

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	/* Expired: the page says so (410); accepting makes nobody. */
	fresh_email("expired", email, sizeof(email));
	ck_assert_int_eq(invite(key, org, email, "member", NULL), 201);
	t_invite_token(email, tok);
	t_sqlf("UPDATE invitations SET expires_at = now() - interval '1 second'"
	    " WHERE org_id = %ld AND email = lower('%s')", org, email);
	ck_assert_int_eq(open_link(NULL, tok, &r), 410);
	ck_assert(has(&r, "expired"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "Late", NEW_PASSWORD, &r), 410);
	ck_assert(has(&r, "expired"));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE email = lower('%s')", email), "0");
	/* The list shows it as expired. */
	snprintf(path, sizeof(path), API "/%ld/members/invitations", org);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	ck_assert(has(&r, "\"status\":\"expired\""));
	t_resp_free(&r);

	/* Revoked: 410 with its own reason; a revoked one cannot be resent. */
	fresh_email("revoked", email, sizeof(email));
	ck_assert_int_eq(invite(key, org, email, "member", NULL), 201);
	t_invite_token(email, tok);
	snprintf(id, sizeof(id), "%s", t_sql_valuef("SELECT id FROM invitations WHERE org_id = %ld"
	    " AND email = lower('%s')", org, email));
	snprintf(path, sizeof(path), API "/%ld/members/invitations/%s/revoke", org, id);
	ck_assert_int_eq(t_json_as(key, "POST", path, "{}", NULL, &r), 200);
	ck_assert(has(&r, "\"status\":\"revoked\""));
	t_resp_free(&r);
	ck_assert_int_eq(t_json_as(key, "POST", path, "{}", NULL, NULL), 404);
	snprintf(path, sizeof(path), API "/%ld/members/invitations/%s/resend", org, id);
	ck_assert_int_eq(t_json_as(key, "POST", path, "{}", NULL, NULL), 404);
	ck_assert_int_eq(open_link(NULL, tok, &r), 410);
	ck_assert(has(&r, "withdrawn"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "Gone", NEW_PASSWORD, &r), 410);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE email = lower('%s')", email), "0");

	/* Unknown or malformed tokens: 404 pages, never 5xx. */
	ck_assert_int_eq(open_link(NULL, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &r), 404);
	ck_assert(has(&r, "not valid"));
	t_resp_free(&r);
	ck_assert_int_eq(open_link(NULL, "not-a-token", NULL), 404);
	ck_assert_int_eq(accept_new("not-a-token", "X", NEW_PASSWORD, &r), 404);
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(NULL, NULL, "/invite", NULL), 404);
	/* Another org's invitation id is not found through this org. */
	{
		long other = t_org_new("inv-exp-other", NULL, NULL);
		char okey[128];

		t_apikey_new(other, "admin", okey, sizeof(okey));
		fresh_email("theirs", email, sizeof(email));
		ck_assert_int_eq(invite(okey, other, email, "member", NULL), 201);
		snprintf(id, sizeof(id), "%s", t_sql_valuef("SELECT id FROM invitations"
		    " WHERE org_id = %ld", other));
		snprintf(path, sizeof(path), API "/%ld/members/invitations/%s/revoke", org, id);
		ck_assert_int_eq(t_json_as(key, "POST", path, "{}", NULL, NULL), 404);
		ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE id = %s"
		    " AND revoked_at IS NULL", id), "1");
	}
}
END_TEST

START_TEST(resend_replaces_the_link)
{
	char key[128], email[128], tok1[44], tok2[44], tok3[44], path[128], id[32], exp1[64];
	struct t_resp r;
	long org = t_org_new("inv-resend", NULL, NULL);

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	fresh_email("resend", email, sizeof(email));
	ck_assert_int_eq(invite(key, org, email, "member", NULL), 201);
	t_invite_token(email, tok1);
	snprintf(id, sizeof(id), "%s", t_sql_valuef("SELECT id FROM invitations WHERE org_id = %ld", org));
	t_sqlf("UPDATE invitations SET expires_at = now() + interval '1 hour' WHERE id = %s", id);
	snprintf(exp1, sizeof(exp1), "%s", t_sql_valuef("SELECT expires_at FROM invitations WHERE id = %s", id));
	snprintf(path, sizeof(path), API "/%ld/members/invitations/%s/resend", org, id);
	ck_assert_int_eq(t_json_as(key, "POST", path, "{}", NULL, &r), 200);
	ck_assert(has(&r, "\"object\":\"invitation\""));
	t_resp_free(&r);
	t_invite_token(email, tok2);
	ck_assert_str_ne(tok1, tok2);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM outbox WHERE kind = 'invitation'"
	    " AND to_addr = lower('%s')", email), "2");
	ck_assert_str_eq(t_sql_valuef("SELECT expires_at > '%s'::timestamptz + interval '6 days'"
	    " FROM invitations WHERE id = %s", exp1, id), "t");
	/* The old link is dead, the new one works. */
	ck_assert_int_eq(open_link(NULL, tok1, NULL), 404);
	ck_assert_int_eq(open_link(NULL, tok2, NULL), 200);
	/* Inviting the same address again renews it too (200, same invitation). */
	ck_assert_int_eq(invite(key, org, email, "billing", &r), 200);
	ck_assert(has(&r, id));
	t_resp_free(&r);
	t_invite_token(email, tok3);
	ck_assert_str_ne(tok2, tok3);
	ck_assert_int_eq(open_link(NULL, tok2, NULL), 404);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) || ':' || min(role) FROM invitations"
	    " WHERE org_id = %ld", org), "1:billing");
	/* The console's members page lists it with its forms. */
	{
		struct t_session s;
		char body[128];
		long owner = t_member_new(org, "owner", NULL);
		char oemail[128];

		snprintf(oemail, sizeof(oemail), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", owner));
		ck_assert_int_eq(t_login(oemail, T_MEMBER_PASSWORD, s.cookie, sizeof(s.cookie)), 303);
		t_csrf(s.cookie, s.csrf);
		t_sqlf("UPDATE users SET default_org_id = %ld WHERE id = %ld", org, owner);
		ck_assert_int_eq(t_get_as(s.cookie, NULL, "/members", &r), 200);
		ck_assert(has(&r, "id=\"invitations\""));
		ck_assert(has(&r, "/resend\""));
		t_resp_free(&r);
		snprintf(path, sizeof(path), "/members/invitations/%s/resend", id);
		snprintf(body, sizeof(body), "csrf=%s", s.csrf);
		ck_assert_int_eq(t_form_as(s.cookie, path, body, NULL, &r), 303);
		t_resp_free(&r);
		ck_assert_int_eq(open_link(NULL, tok3, NULL), 404);
		snprintf(path, sizeof(path), "/members/invitations/%s/revoke", id);
		ck_assert_int_eq(t_form_as(s.cookie, path, "csrf=wrong", NULL, NULL), 403);
		ck_assert_int_eq(t_form_as(s.cookie, path, body, NULL, NULL), 303);
		ck_assert_str_eq(t_sql_valuef("SELECT revoked_at IS NOT NULL FROM invitations WHERE id = %s", id), "t");
	}
}
END_TEST

START_TEST(existing_account_stays_pending_until_accepted)
{
	char key[128], email[128], tok[44], cookie[128];
	struct t_resp r;
	long org = t_org_new("inv-exist", NULL, NULL);
	long home = t_org_new("inv-exist-home", NULL, NULL);
	long uid = t_member_new(home, "owner", NULL);

	t_reset_rate_limits();
	/* The owner of another org, with a name the inviter must not learn. */
	t_sqlf("UPDATE users SET name = 'Secret Sauce Person' WHERE id = %ld", uid);
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	t_apikey_new(org, "admin", key, sizeof(key));
	ck_assert_int_eq(invite(key, org, email, "admin", &r), 201);
	ck_assert(!has(&r, "Secret"));
	ck_assert(!has(&r, "user_id"));
	ck_assert(!has(&r, "account"));
	t_resp_free(&r);
	/* Pending: no membership, not in the member list. */
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM memberships WHERE org_id = %ld"
	    " AND user_id = %ld", org, uid), "0");
	{
		char path[96];

		snprintf(path, sizeof(path), API "/%ld/members", org);
		ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
		ck_assert(!has(&r, "Secret"));
		ck_assert(!has(&r, email));
		t_resp_free(&r);
	}
	t_invite_token(email, tok);
	/* Anonymous: the page asks to sign in; setting a password is refused. */
	ck_assert_int_eq(open_link(NULL, tok, &r), 200);
	ck_assert(has(&r, "/login?next=/invite"));
	ck_assert(!has(&r, "name=\"password\""));
	/* (the token waits in the cookie the link's GET set: t_invite_get checks it) */
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "Impostor", NEW_PASSWORD, &r), 409);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM memberships WHERE org_id = %ld"
	    " AND user_id = %ld", org, uid), "0");
	ck_assert_int_eq(t_login(email, NEW_PASSWORD, NULL, 0), 401);
	/* Signed in as the invited account: accept. */
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(open_link(cookie, tok, &r), 200);
	ck_assert(has(&r, "Accept and join"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_signed_in(cookie, tok, &r), 303);
	ck_assert_str_eq(t_header(&r, "Location"), "/?flash=invitation_accepted");
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT role || ':' || status FROM memberships"
	    " WHERE org_id = %ld AND user_id = %ld", org, uid), "admin:active");
	ck_assert_str_eq(t_sql_valuef("SELECT role FROM memberships WHERE org_id = %ld"
	    " AND user_id = %ld", home, uid), "owner");
	/* The console now shows the new org. */
	ck_assert_str_eq(t_sql_valuef("SELECT default_org_id FROM users WHERE id = %ld", uid),
	    t_sql_valuef("SELECT %ld::text", org));
}
END_TEST

START_TEST(another_account_cannot_accept)
{
	char key[128], email[128], tok[44], cookie[128], oemail[128];
	struct t_resp r;
	long org = t_org_new("inv-other", NULL, NULL);
	long home = t_org_new("inv-other-home", NULL, NULL);
	long uid = t_member_new(home, "member", NULL);

	t_reset_rate_limits();
	snprintf(oemail, sizeof(oemail), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	t_apikey_new(org, "admin", key, sizeof(key));
	fresh_email("intended", email, sizeof(email));
	ck_assert_int_eq(invite(key, org, email, "admin", NULL), 201);
	t_invite_token(email, tok);
	ck_assert_int_eq(t_login(oemail, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(open_link(cookie, tok, &r), 403);
	ck_assert(has(&r, "another"));
	ck_assert(!has(&r, "Accept and join"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_signed_in(cookie, tok, &r), 403);
	ck_assert(has(&r, "another"));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM memberships WHERE org_id = %ld"
	    " AND user_id = %ld", org, uid), "0");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND accepted_at IS NULL AND revoked_at IS NULL", org), "1");
}
END_TEST

START_TEST(reinviting_a_member_is_409)
{
	char key[128], memail[128], oemail[128];
	struct t_resp r;
	long org = t_org_new("inv-409", NULL, NULL);
	long owner = t_member_new(org, "owner", NULL);
	long billing = t_member_new(org, "billing", NULL);

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	snprintf(memail, sizeof(memail), "%s", t_sql_valuef("SELECT upper(email) FROM users WHERE id = %ld", billing));
	snprintf(oemail, sizeof(oemail), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", owner));
	ck_assert_int_eq(invite(key, org, memail, "admin", &r), 409);
	ck_assert(has(&r, "\"code\":\"already_member\""));
	t_resp_free(&r);
	ck_assert_int_eq(invite(key, org, memail, "member", NULL), 409);
	/* The last owner cannot be invited away either. */
	ck_assert_int_eq(invite(key, org, oemail, "member", &r), 409);
	ck_assert(has(&r, "\"code\":\"already_member\""));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT role FROM memberships WHERE org_id = %ld AND user_id = %ld",
	    org, billing), "billing");
	ck_assert_str_eq(t_sql_valuef("SELECT role FROM memberships WHERE org_id = %ld AND user_id = %ld",
	    org, owner), "owner");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld", org), "0");
}
END_TEST

START_TEST(password_rules_on_the_link)
{
	char key[128], email[128], tok[44], pw[200];
	struct t_resp r;
	long org = t_org_new("inv-pw", NULL, NULL);

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	fresh_email("pw", email, sizeof(email));
	ck_assert_int_eq(invite(key, org, email, "member", NULL), 201);
	t_invite_token(email, tok);
	ck_assert_int_eq(accept_new(tok, "Pat", "eleven-char", &r), 400);	/* 11 bytes */
	ck_assert(has(&r, "12 to 128"));
	t_resp_free(&r);
	memset(pw, 'x', 129);
	pw[129] = '\0';
	ck_assert_int_eq(accept_new(tok, "Pat", pw, &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "Pat", email, &r), 400);	/* the address itself */
	ck_assert(has(&r, "e-mail address"));
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "", NEW_PASSWORD, &r), 400);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE email = lower('%s')", email), "0");
	/* A wrong form token is refused before anything happens. */
	{
		char path[96], body[256];
		const char *hdr[] = { "Cookie: __Host-ob_login=abc", NULL };

		snprintf(path, sizeof(path), "/invite/%s", tok);
		snprintf(body, sizeof(body), "login_token=xyz&name=Pat&password=%s", NEW_PASSWORD);
		ck_assert_int_eq(t_http_as(NULL, NULL, "POST", path, body,
		    "application/x-www-form-urlencoded", hdr, &r), 0);
		ck_assert_int_eq(r.status, 403);
		t_resp_free(&r);
	}
	memset(pw, 'y', 128);
	pw[128] = '\0';
	ck_assert_int_eq(accept_new(tok, "Pat", pw, &r), 303);	/* 128 bytes: the most */
	t_resp_free(&r);
}
END_TEST

/*
 * The token appears in none of the stack's logs after it was used, nor
 * after following the page's sign-in link with the Referer a browser sends;
 * /sso/callback's code and state neither.
 */
START_TEST(token_never_logged)
{
	char key[128], email[128], tok[44], cmd[512], referer[256];
	const char *hdr[2] = { referer, NULL };
	struct t_resp r;
	long org = t_org_new("inv-log", NULL, NULL);

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	fresh_email("logs", email, sizeof(email));
	ck_assert_int_eq(invite(key, org, email, "member", NULL), 201);
	t_invite_token(email, tok);
	ck_assert_int_eq(open_link(NULL, tok, &r), 200);
	/* The page tells the browser to send no path (so no token) as Referer from it. */
	ck_assert_ptr_nonnull(t_header(&r, "Referrer-Policy"));
	ck_assert_str_eq(t_header(&r, "Referrer-Policy"), "strict-origin");
	t_resp_free(&r);
	/*
	 * A browser that still sends one (or an old page's policy) when following
	 * the page's sign-in link: the Referer is not logged either.
	 */
	snprintf(referer, sizeof(referer), "Referer: %s/invite/%s", t_env("OB_TEST_BASE_URL"),
	    tok);
	ck_assert_int_eq(t_call(NULL, NULL, "GET", "/login?next=/invite", NULL, NULL, hdr, NULL),
	    200);
	/* Single sign-on's callback carries code= and state=: not logged. */
	(void)t_call(NULL, NULL, "GET", "/sso/callback?code=ssocode-not-logged-7f3a"
	    "&state=ssostate-not-logged-91c2", NULL, NULL, NULL, &r);
	ck_assert_str_eq(t_header(&r, "Referrer-Policy"), "strict-origin");
	t_resp_free(&r);
	ck_assert_int_eq(accept_new(tok, "Logan", NEW_PASSWORD, &r), 303);
	t_resp_free(&r);
	ck_assert_int_eq(open_link(NULL, tok, NULL), 410);
	/* Elsewhere the policy stays same-origin. */
	ck_assert_int_eq(t_get("/login", &r), 200);
	ck_assert_str_eq(t_header(&r, "Referrer-Policy"), "same-origin");
	t_resp_free(&r);
	t_sleep_ms(300);	/* log lines are written after the answer */
	snprintf(cmd, sizeof(cmd), "grep -rqF -e '%s' '%s/logs'", tok, t_env("OB_TEST_RUN_DIR"));
	ck_assert_msg(system(cmd) != 0, "the invitation token is in a log under %s/logs",
	    t_env("OB_TEST_RUN_DIR"));
	snprintf(cmd, sizeof(cmd), "grep -rqF -e ssocode-not-logged -e ssostate-not-logged '%s/logs'",
	    t_env("OB_TEST_RUN_DIR"));
	ck_assert_msg(system(cmd) != 0, "the callback's code or state is in a log under %s/logs",
	    t_env("OB_TEST_RUN_DIR"));
	snprintf(cmd, sizeof(cmd), "grep -rqF -e '/invite/{token}' '%s/logs'", t_env("OB_TEST_RUN_DIR"));
	ck_assert_msg(system(cmd) == 0, "the worker's access line for the link is missing");
}
END_TEST

Suite *invites_flow_suite(void)
{
	return t_suite("invites_flow", 180, T_TESTS(invite_makes_nobody_until_accepted,
	    expired_revoked_and_unknown_links, resend_replaces_the_link,
	    existing_account_stays_pending_until_accepted, another_account_cannot_accept,
	    reinviting_a_member_is_409, password_rules_on_the_link, token_never_logged));
}
