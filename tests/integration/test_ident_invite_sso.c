/*
 * Invitations to an org that requires single sign-on (docs/SSO.md
 * "Invitations"), and the link's token leaving the address bar
 * (docs/SECURITY.md "Invitations"). The invitee joins through the org's
 * provider and the invitation is accepted: the invited role applied, the
 * invitation closed and single use, only when the provider's verified
 * e-mail is the invited address. The link's first GET trades its token for
 * a short-lived __Host- cookie and redirects to a URL without it. Expected
 * answers are written from the requirement, against the real OpenID
 * provider of the test stack.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "integration/harness.h"
#include "integration/sso_fixture.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* Invite email as role into o through the API (an admin key): 201 expected. */
static void
invite(const struct sso_org *o, const char *email, const char *role)
{
	char key[128], path[96], body[256];

	t_apikey_new(o->id, "admin", key, sizeof(key));
	snprintf(path, sizeof(path), API "/%ld/members", o->id);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"%s\"}", email, role);
	ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, NULL), 201);
}

/*
 * A browser without a session: the link (its cookie), the page (its form
 * token), the page's SSO button (POST /invite), the provider as sub/email,
 * and back to our callback. The callback's answer into fl.
 */
static void
join_through_sso(const char *tok, const char *sub, const char *email, int verified,
    struct sso_flow *fl)
{
	char path[96], inv[128], login[128], hc[512], body[256], url[2048];
	const char *hdr[3], *v;
	struct t_resp r;

	memset(fl, 0, sizeof(*fl));
	snprintf(path, sizeof(path), "/invite/%s", tok);
	ck_assert_int_eq(t_http(NULL, "GET", path, NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 303);
	v = t_set_cookie(&r, "__Host-ob_invite");
	ck_assert_ptr_nonnull(v);
	snprintf(inv, sizeof(inv), "%s", v);
	t_resp_free(&r);
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_invite=%s", inv);
	hdr[0] = hc;
	hdr[1] = NULL;
	ck_assert_int_eq(t_http(NULL, "GET", "/invite", NULL, 0, hdr, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"invite-sso-form\""));
	ck_assert_ptr_null(strstr(r.body.data, tok));	/* the page does not repeat the token */
	v = t_set_cookie(&r, "__Host-ob_login");
	ck_assert_ptr_nonnull(v);
	snprintf(login, sizeof(login), "%s", v);
	t_resp_free(&r);
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_invite=%s; __Host-ob_login=%s", inv, login);
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = NULL;
	snprintf(body, sizeof(body), "login_token=%s", login);
	t_reset_rate_limits();
	ck_assert_int_eq(t_http(NULL, "POST", "/invite", body, strlen(body), hdr, &r), 0);
	ck_assert_msg(r.status == 200, "POST /invite: %ld %.300s", r.status, r.body.data);
	sso_cookie_of(&r, "__Host-ob_sso", fl->state, sizeof(fl->state));
	sso_handoff_link(r.body.data, url, sizeof(url));
	t_resp_free(&r);
	ck_assert(fl->state[0] != '\0');
	sso_oidc_account(sub, email, verified);
	sso_provider_hops(url, fl);
	sso_flow_callback(fl->callback, fl->state, fl);
}

/* "role:status" of email's membership in org ("" when none). */
static const char *
membership(long org, const char *email)
{
	const char *v = t_sql_valuef("SELECT m.role || ':' || m.status FROM memberships m"
	    " JOIN users u ON u.id = m.user_id WHERE m.org_id = %ld AND lower(u.email) = lower('%s')",
	    org, email);

	return v != NULL ? v : "";
}

START_TEST(ident_sso_invitation_applies_the_role_once)
{
	struct sso_org o;
	struct sso_flow fl;
	char email[160], sub[96], tok[44];

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 1);
	snprintf(email, sizeof(email), "biller-%ld@%s", o.id, o.domain);
	invite(&o, email, "billing");
	t_invite_token(email, tok);
	snprintf(sub, sizeof(sub), "inv-billing-%ld", o.id);
	join_through_sso(tok, sub, email, 1, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_str_eq(fl.location, "/?flash=invitation_accepted");
	ck_assert(fl.session[0] != '\0');
	/* The invited role, not just-in-time `member`; the invitation closed, by this user. */
	ck_assert_str_eq(membership(o.id, email), "billing:active");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations i JOIN users u"
	    " ON u.id = i.accepted_by WHERE i.org_id = %ld AND i.email = lower('%s')"
	    " AND i.accepted_at IS NOT NULL AND lower(u.email) = lower('%s')", o.id, email, email),
	    "1");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'member.invite_accept'", o.id), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'member.sso_joined'", o.id), "0");
	/* The session reaches the org (it was made by the org's own connection). */
	{
		char path[96];

		snprintf(path, sizeof(path), API "/%ld/members", o.id);
		ck_assert_int_eq(t_get_as(fl.session, NULL, path, NULL), 200);
	}
	/* Single use: the link now says so. */
	ck_assert_int_eq(t_invite_get(NULL, tok, NULL), 410);
}
END_TEST

START_TEST(ident_sso_invitation_needs_the_invited_address)
{
	struct sso_org o;
	struct sso_flow fl;
	char email[160], other[160], sub[96], tok[44];

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 1);
	snprintf(email, sizeof(email), "invited-%ld@%s", o.id, o.domain);
	snprintf(other, sizeof(other), "someone-else-%ld@%s", o.id, o.domain);
	invite(&o, email, "admin");
	t_invite_token(email, tok);
	/* The provider signs in another (verified, allowed) address: refused, nothing made. */
	snprintf(sub, sizeof(sub), "inv-other-%ld", o.id);
	join_through_sso(tok, sub, other, 1, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert(fl.session[0] == '\0');
	ck_assert_ptr_nonnull(strstr(fl.body, "another e-mail address"));
	ck_assert_str_eq(membership(o.id, other), "");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM users WHERE lower(email) = lower('%s')",
	    other), "0");
	/* The invited address, but not verified by the provider: refused too. */
	snprintf(sub, sizeof(sub), "inv-unverified-%ld", o.id);
	join_through_sso(tok, sub, email, 0, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert(fl.session[0] == '\0');
	ck_assert_str_eq(membership(o.id, email), "");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND accepted_at IS NULL AND revoked_at IS NULL", o.id), "1");
	/* The invited address, verified: in, as admin. */
	snprintf(sub, sizeof(sub), "inv-right-%ld", o.id);
	join_through_sso(tok, sub, email, 1, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_str_eq(membership(o.id, email), "admin:active");
}
END_TEST

/* Signing in through /sso directly with an open invitation accepts it as well. */
START_TEST(ident_sso_sign_in_accepts_an_open_invitation)
{
	struct sso_org o;
	struct sso_flow fl;
	char email[160];

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 1);
	snprintf(email, sizeof(email), "direct-%ld@%s", o.id, o.domain);
	invite(&o, email, "billing");
	sso_oidc_account(email, email, 1);
	sso_flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_str_eq(membership(o.id, email), "billing:active");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invitations WHERE org_id = %ld"
	    " AND accepted_at IS NOT NULL", o.id), "1");
}
END_TEST

/*
 * The link's token leaves the address bar: GET /invite/<token> sets a
 * __Host- cookie (Secure, HttpOnly, SameSite=Lax, Path=/, a short Max-Age)
 * and answers 303 to /invite; the page and the accept form read the
 * cookie; accepting clears it.
 */
START_TEST(ident_invite_link_trades_the_token_for_a_cookie)
{
	char key[128], path[96], body[512], email[160], tok[44], hc[512], inv[128], login[128];
	const char *hdr[3], *sc, *v;
	struct t_resp r;
	long org = t_org_new("ident-cookie", "Cookie Trade Co", NULL), age;

	t_reset_rate_limits();
	t_apikey_new(org, "admin", key, sizeof(key));
	snprintf(email, sizeof(email), "cookie-%ld@invitee.test", org);
	snprintf(path, sizeof(path), API "/%ld/members", org);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"billing\"}", email);
	ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, NULL), 201);
	t_invite_token(email, tok);
	snprintf(path, sizeof(path), "/invite/%s", tok);
	ck_assert_int_eq(t_http(NULL, "GET", path, NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 303);
	ck_assert_str_eq(t_header(&r, "Location"), "/invite");
	sc = strcasestr(r.headers.data, "set-cookie: __Host-ob_invite=");
	ck_assert_ptr_nonnull(sc);
	{
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(sc, "\r\n"), sc);
		ck_assert_ptr_nonnull(strstr(line, tok));
		ck_assert_ptr_nonnull(strcasestr(line, "; Secure"));
		ck_assert_ptr_nonnull(strcasestr(line, "; HttpOnly"));
		ck_assert_ptr_nonnull(strcasestr(line, "; SameSite=Lax"));
		ck_assert_ptr_nonnull(strcasestr(line, "; Path=/"));
		ck_assert_ptr_null(strcasestr(line, "Domain="));
		v = strcasestr(line, "Max-Age=");
		ck_assert_ptr_nonnull(v);
		age = atol(v + 8);
		ck_assert_msg(age > 0 && age <= 3600, "Max-Age %ld", age);
	}
	snprintf(inv, sizeof(inv), "%s", t_set_cookie(&r, "__Host-ob_invite"));
	ck_assert_str_eq(inv, tok);
	t_resp_free(&r);
	/* The page at the token-free URL, from the cookie; the form posts to /invite. */
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_invite=%s", inv);
	hdr[0] = hc;
	hdr[1] = NULL;
	ck_assert_int_eq(t_http(NULL, "GET", "/invite", NULL, 0, hdr, &r), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "Cookie Trade Co"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "action=\"/invite\""));
	ck_assert_ptr_null(strstr(r.body.data, tok));
	snprintf(login, sizeof(login), "%s", t_set_cookie(&r, "__Host-ob_login"));
	t_resp_free(&r);
	/* Without the cookie, POST /invite finds no invitation. */
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_login=%s", login);
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = NULL;
	snprintf(body, sizeof(body), "login_token=%s&name=Cora&password=a-cookie-passphrase", login);
	ck_assert_int_eq(t_http(NULL, "POST", "/invite", body, strlen(body), hdr, &r), 0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	ck_assert_str_eq(membership(org, email), "");
	/* With it: joined, and the cookie cleared. */
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_login=%s; __Host-ob_invite=%s", login, inv);
	ck_assert_int_eq(t_http(NULL, "POST", "/invite", body, strlen(body), hdr, &r), 0);
	ck_assert_int_eq(r.status, 303);
	ck_assert_str_eq(t_header(&r, "Location"), "/?flash=invitation_accepted");
	sc = strcasestr(r.headers.data, "set-cookie: __Host-ob_invite=");
	ck_assert_ptr_nonnull(sc);
	ck_assert_ptr_nonnull(strcasestr(sc, "Max-Age=0"));
	t_resp_free(&r);
	ck_assert_str_eq(membership(org, email), "billing:active");
	/* Single use: the same cookie again is refused, as is the link. */
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_invite=%s", inv);
	hdr[1] = NULL;
	ck_assert_int_eq(t_http(NULL, "GET", "/invite", NULL, 0, hdr, &r), 0);
	ck_assert_int_eq(r.status, 410);
	t_resp_free(&r);
	/* An expired invitation's cookie: 410 too. */
	snprintf(email, sizeof(email), "cookie-late-%ld@invitee.test", org);
	snprintf(path, sizeof(path), API "/%ld/members", org);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"member\"}", email);
	ck_assert_int_eq(t_json_as(key, "POST", path, body, NULL, NULL), 201);
	t_invite_token(email, tok);
	t_sqlf("UPDATE invitations SET expires_at = now() - interval '1 minute'"
	    " WHERE org_id = %ld AND email = lower('%s')", org, email);
	ck_assert_int_eq(t_invite_get(NULL, tok, NULL), 410);
	/* Not a token at all: 404 at once, no cookie. */
	ck_assert_int_eq(t_http(NULL, "GET", "/invite/not-a-token", NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	ck_assert_ptr_null(t_set_cookie(&r, "__Host-ob_invite"));
	t_resp_free(&r);
}
END_TEST

Suite *
ident_invite_sso_suite(void)
{
	return t_suite("ident_invite_sso", 180, T_TESTS(ident_sso_invitation_applies_the_role_once,
	    ident_sso_invitation_needs_the_invited_address,
	    ident_sso_sign_in_accepts_an_open_invitation,
	    ident_invite_link_trades_the_token_for_a_cookie));
}
