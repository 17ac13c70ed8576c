/*
 * "SSO required" holds for every way in (docs/SSO.md "SSO required"): a
 * session reaches an org that requires single sign-on only when that org's
 * own connection made it; a password session, or one made by another org's
 * connection, is refused with 403 sso_required. API keys are unaffected.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "integration/harness.h"
#include "integration/sso_fixture.h"
#include "unit/unit.h"

static long
members_as(const char *cookie, long org, struct t_resp *out)
{
	char path[96];

	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/members", org);
	return t_get_as(cookie, NULL, path, out);
}

START_TEST(sso_required_refuses_sessions_it_did_not_make)
{
	struct sso_org a, b;
	struct sso_flow fl;
	struct t_resp r;
	char email[160], sub[96], dom[160], key[128], path[96];
	char cookie[128], csrf[64], form[160], want[160], before[256];
	long uid;

	sso_org_new(&a, sso_issuer(), "orgbill-rs", 0);
	sso_org_new(&b, sso_issuer(), "orgbill-es", 0);
	/* A person in both orgs, with a password session opened before B
	 * required SSO, and linked to the provider. */
	uid = t_member_new(b.id, "admin", NULL);
	t_member_add(a.id, uid, "admin", NULL);
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    uid));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(members_as(cookie, b.id, NULL), 200);
	snprintf(sub, sizeof(sub), "both-%ld", uid);
	t_sqlf("INSERT INTO sso_identities (issuer, subject, user_id) VALUES ('%s', '%s', %ld)",
	    sso_issuer(), sub, uid);
	sso_oidc_account(sub, email, 1);
	snprintf(dom, sizeof(dom), "\"%s\"", b.domain);
	ck_assert_int_eq(sso_put(&b, sso_issuer(), "orgbill-es", dom, 1, &r), 200);
	t_resp_free(&r);
	/* The password session: B refused (API and console), A still fine. */
	ck_assert_int_eq(members_as(cookie, b.id, &r), 403);
	ck_assert_ptr_nonnull(strstr(r.body.data, "sso_required"));
	t_resp_free(&r);
	ck_assert_int_eq(members_as(cookie, a.id, NULL), 200);
	/* A session made by A's connection does not reach B either. */
	sso_flow_run(t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", a.id), &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_int_eq(members_as(fl.session, a.id, NULL), 200);
	ck_assert_int_eq(members_as(fl.session, b.id, NULL), 403);
	/* The org switcher sends it to B's own sign-in and leaves the session on A. */
	snprintf(before, sizeof(before), "%s", t_sql_valuef("SELECT string_agg(coalesce(org_id, 0)"
	    "::text, ',' ORDER BY id) FROM sessions WHERE user_id = %ld", uid));
	t_csrf(fl.session, csrf);
	snprintf(form, sizeof(form), "org_id=%ld&csrf=%s", b.id, csrf);
	ck_assert_int_eq(t_form_as(fl.session, "/orgs/switch", form, NULL, &r), 303);
	snprintf(want, sizeof(want), "/sso?who=%s",
	    t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", b.id));
	ck_assert_str_eq(t_header(&r, "Location"), want);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT string_agg(coalesce(org_id, 0)::text, ',' ORDER BY id)"
	    " FROM sessions WHERE user_id = %ld", uid), before);
	/* Selected in the console (the org switcher's choice), B's pages refuse too. */
	t_sqlf("UPDATE sessions SET org_id = %ld WHERE user_id = %ld", b.id, uid);
	ck_assert_int_eq(t_get_as(fl.session, NULL, "/members", NULL), 403);
	/* The overview and error pages, public, show nothing of B either: no
	 * dashboard, none of its pages in the navigation (the org switcher
	 * still lists it: the person is a member). */
	ck_assert_int_eq(t_get_as(fl.session, NULL, "/", &r), 200);
	ck_assert_ptr_null(strstr(r.body.data, "id=\"dashboard\""));
	ck_assert_ptr_null(strstr(r.body.data, "href=\"/members\""));
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(fl.session, NULL, "/no-such-page", &r), 404);
	ck_assert_ptr_null(strstr(r.body.data, "href=\"/members\""));
	t_resp_free(&r);
	/* B's own connection: in. */
	sso_flow_run(t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", b.id), &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_int_eq(members_as(fl.session, b.id, NULL), 200);
	/* API keys are not sessions: unaffected. */
	t_apikey_new(b.id, "read", key, sizeof(key));
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/members", b.id);
	ck_assert_int_eq(t_get_as(NULL, key, path, NULL), 200);
}
END_TEST

START_TEST(sso_required_invitations_join_through_sso)
{
	struct sso_org b;
	struct sso_flow fl;
	struct t_resp r;
	char email[160], key[128], path[128], body[512], login[128], hc[256], tok[44];
	const char *hdr[3];

	sso_org_new(&b, sso_issuer(), "orgbill-rs", 1);
	t_apikey_new(b.id, "admin", key, sizeof(key));
	snprintf(email, sizeof(email), "newcomer-%ld@%s", b.id, b.domain);
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/members", b.id);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"member\"}", email);
	ck_assert_int_lt(t_json_as(key, "POST", path, body, NULL, NULL), 300);
	t_invite_token(email, tok);
	/* The page offers SSO, not a password. */
	snprintf(path, sizeof(path), "/invite/%s", tok);
	ck_assert_int_eq(t_invite_get(NULL, tok, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "requires single sign-on"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"invite-sso-form\""));
	ck_assert_ptr_null(strstr(r.body.data, "invite-password"));
	t_resp_free(&r);
	/* Posting a password anyway (with a good form token): 403, no account. */
	ck_assert_int_eq(t_http(NULL, "GET", "/sso", NULL, 0, NULL, &r), 0);
	sso_cookie_of(&r, "__Host-ob_login", login, sizeof(login));
	t_resp_free(&r);
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_login=%s", login);
	hdr[0] = hc;
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = NULL;
	snprintf(body, sizeof(body), "login_token=%s&name=Pat&password=a-long-enough-pass", login);
	ck_assert_int_eq(t_http(NULL, "POST", path, body, strlen(body), hdr, &r), 0);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_null(strstr(r.headers.data, "__Host-ob_session="));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'", email),
	    "0");
	/* Through SSO the person joins. */
	sso_oidc_account(email, email, 1);
	sso_flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_str_eq(t_sql_valuef("SELECT m.status FROM memberships m JOIN users u"
	    " ON u.id = m.user_id WHERE m.org_id = %ld AND u.email = '%s'", b.id, email), "active");
}
END_TEST

Suite *sso_required_suite(void)
{
	return t_suite("sso_required", 120, T_TESTS(sso_required_refuses_sessions_it_did_not_make,
	    sso_required_invitations_join_through_sso));
}
