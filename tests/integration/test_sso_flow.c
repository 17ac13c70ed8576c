/*
 * Single sign-on against a real OpenID provider (tests/oidc: the
 * oidc-provider package, started by the test stack on OB_TEST_OIDC_URL),
 * driven through every redirect with libcurl (sso_fixture.c): sign-in,
 * the state's single use, who may join, SSO required, configuration.
 * Expected answers come from OpenID Connect Core and docs/SSO.md, never
 * from our code.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/sso_fixture.h"
#include "unit/unit.h"

START_TEST(sso_happy_path_rs256_then_es256)
{
	struct sso_org o, e;
	struct sso_flow fl;
	char email[160], sub[96], path[64];
	long uid;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "jane@%s", o.domain);
	snprintf(sub, sizeof(sub), "jane-%ld", o.id);
	sso_oidc_account(sub, email, 1);
	sso_flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.400s", fl.status, fl.body);
	ck_assert_str_eq(fl.location, "/");
	ck_assert_str_ne(fl.session, "");
	/* A new user, member of the org, linked to (issuer, sub). */
	uid = atol(t_sql_valuef("SELECT id FROM users WHERE email = '%s'", email));
	ck_assert_int_gt(uid, 0);
	ck_assert_str_eq(t_sql_valuef("SELECT role || '/' || status FROM memberships"
	    " WHERE org_id = %ld AND user_id = %ld", o.id, uid), "member/active");
	snprintf(path, sizeof(path), "%ld", uid);
	ck_assert_str_eq(t_sql_valuef("SELECT user_id::text FROM sso_identities"
	    " WHERE issuer = '%s' AND subject = '%s'", sso_issuer(), sub), path);
	/* The session works. */
	snprintf(path, sizeof(path), "/members");
	ck_assert_int_eq(t_get_as(fl.session, NULL, path, NULL), 200);
	/* Signing in again (by the org's slug this time): the same user. */
	sso_flow_run(t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", o.id), &fl);
	ck_assert_int_eq(fl.status, 303);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'",
	    email), "1");
	/* No sign-in row is left behind. */
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM sso_logins WHERE org_id = %ld",
	    o.id), "0");

	/* ES256: the other client of the provider signs with its P-256 key. */
	sso_org_new(&e, sso_issuer(), "orgbill-es", 0);
	snprintf(email, sizeof(email), "ed@%s", e.domain);
	snprintf(sub, sizeof(sub), "ed-%ld", e.id);
	sso_oidc_account(sub, email, 1);
	sso_flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "ES256 callback: %ld %.400s", fl.status, fl.body);
}
END_TEST

START_TEST(sso_state_is_single_use_and_bound_to_the_browser)
{
	struct sso_org o;
	struct sso_flow fl, again;
	char email[160], sub[96], url[2048];

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "rep@%s", o.domain);
	snprintf(sub, sizeof(sub), "rep-%ld", o.id);
	sso_oidc_account(sub, email, 1);

	/* The provider's answer brought to another browser (no state cookie,
	 * or another sign-in's): refused, and the state is used up. */
	sso_flow_start(email, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 200);
	sso_provider_hops(url, &fl);
	sso_flow_callback(fl.callback, NULL, &again);
	ck_assert_int_eq(again.status, 400);
	ck_assert_ptr_nonnull(strstr(again.body, "another browser"));
	ck_assert_str_eq(again.session, "");

	/* A finished sign-in's callback replayed: refused (400), no session. */
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 303);
	sso_flow_callback(fl.callback, fl.state, &again);
	ck_assert_int_eq(again.status, 400);
	ck_assert_ptr_nonnull(strstr(again.body, "already been used"));
	ck_assert_str_eq(again.session, "");

	/* An expired sign-in (over ten minutes): refused. */
	sso_flow_start(email, &fl, url, sizeof(url));
	sso_provider_hops(url, &fl);
	t_sqlf("UPDATE sso_logins SET expires_at = now() - interval '1 second' WHERE org_id = %ld",
	    o.id);
	sso_flow_callback(fl.callback, fl.state, &again);
	ck_assert_int_eq(again.status, 400);
	ck_assert_ptr_nonnull(strstr(again.body, "took too long"));

	/* No state at all, or garbage: a readable 400. */
	sso_flow_callback("/sso/callback", NULL, &again);
	ck_assert_int_eq(again.status, 400);
	sso_flow_callback("/sso/callback?state=%00%ff&code=x", "x", &again);
	ck_assert_int_eq(again.status, 400);
	/* The provider refused (error=access_denied): 400. */
	sso_flow_callback("/sso/callback?error=access_denied&state=x", NULL, &again);
	ck_assert_int_eq(again.status, 400);
}
END_TEST

START_TEST(sso_who_may_join)
{
	struct sso_org o;
	struct sso_flow fl;
	char email[160], sub[96], url[2048];
	long uid;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	/* An address the provider has not verified: no account, no member. */
	snprintf(email, sizeof(email), "unverified@%s", o.domain);
	sso_oidc_account("unverified-sub", email, 0);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "verified e-mail"));
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'",
	    email), "0");
	/* A verified address of another domain: refused. */
	sso_oidc_account("outsider-sub", "someone@elsewhere.test", 1);
	sso_flow_start("no-such-org-slug", &fl, url, sizeof(url));	/* nobody's: 404 */
	ck_assert_int_eq(fl.start_status, 404);
	sso_flow_run(t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", o.id), &fl);
	ck_assert_int_eq(fl.status, 403);
	/* An existing account (another org's member) with an allowed address is
	 * not taken over, even once invited: its owner links it signed in
	 * (test_sso_link.c). */
	uid = t_member_new(t_org_new("ssoother", NULL, NULL), "owner", NULL);
	snprintf(email, sizeof(email), "taken-%ld@%s", uid, o.domain);
	t_sqlf("UPDATE users SET email = '%s' WHERE id = %ld", email, uid);
	snprintf(sub, sizeof(sub), "taken-%ld", uid);
	sso_oidc_account(sub, email, 1);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "already exists"));
	t_sqlf("INSERT INTO memberships (org_id, user_id, role, status) VALUES (%ld, %ld,"
	    " 'billing', 'invited')", o.id, uid);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	/* Once linked (as /sso/link does), the sign-in joins as invited. */
	t_sqlf("INSERT INTO sso_identities (issuer, subject, user_id) VALUES ('%s', '%s', %ld)",
	    sso_issuer(), sub, uid);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 303);
	ck_assert_str_eq(t_sql_valuef("SELECT role || '/' || status FROM memberships"
	    " WHERE org_id = %ld AND user_id = %ld", o.id, uid), "billing/active");
	/* A removed member does not come back through SSO. */
	t_sqlf("UPDATE memberships SET status = 'removed' WHERE org_id = %ld AND user_id = %ld",
	    o.id, uid);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
}
END_TEST

START_TEST(sso_required_refuses_password_sign_in)
{
	struct sso_org o;
	struct t_resp r;
	char email[160], dom[128];
	long member;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	member = t_member_new(o.id, "admin", NULL);
	snprintf(email, sizeof(email), "%s",
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", member));
	t_reset_rate_limits();
	/* Not required yet: the password works. */
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, NULL, 0), 303);
	snprintf(dom, sizeof(dom), "\"%s\"", o.domain);
	ck_assert_int_eq(sso_put(&o, sso_issuer(), "orgbill-rs", dom, 1, &r), 200);
	t_resp_free(&r);
	/* Required: the right password is refused with a pointer to SSO. */
	t_reset_rate_limits();
	ck_assert_int_eq(t_login_form(email, T_MEMBER_PASSWORD, NULL, &r), 403);
	ck_assert_ptr_nonnull(strstr(r.body.data, "requires single sign-on"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "/sso"));
	ck_assert_ptr_null(strstr(r.headers.data, "__Host-ob_session="));
	t_resp_free(&r);
	/* A wrong password still reads as a wrong password (nothing told). */
	ck_assert_int_eq(t_login_form(email, "not-the-password", NULL, &r), 401);
	ck_assert_ptr_null(strstr(r.body.data, "single sign-on"));
	t_resp_free(&r);
	/* Members of other orgs are not affected. */
	ck_assert_int_eq(t_login("owner@acme.test", T_DEMO_PASSWORD, NULL, 0), 303);
}
END_TEST

START_TEST(sso_connection_api)
{
	struct sso_org o, other;
	struct t_resp r;
	struct t_session admin;
	char path[128], dom[128], hc[128], email[160];
	const char *hdr[] = { hc, NULL };
	cJSON *j;
	long admin_id;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/sso", o.id);
	ck_assert_int_eq(t_get_as(o.owner.cookie, NULL, path, &r), 200);
	j = t_json(&r);
	ck_assert_str_eq(t_jstr(j, "issuer"), sso_issuer());
	ck_assert_str_eq(t_jstr(j, "client_id"), "orgbill-rs");
	ck_assert_ptr_null(strstr(r.body.data, "orgbill-rs-secret"));
	cJSON_Delete(j);
	t_resp_free(&r);
	/* The secret is stored sealed: not its text. */
	ck_assert_str_eq(t_sql_valuef("SELECT (position(convert_to('orgbill-rs-secret', 'UTF8')"
	    " IN client_secret_enc) = 0)::text FROM sso_connections WHERE org_id = %ld", o.id),
	    "true");
	/* An issuer that is not https (nor loopback): 400. */
	snprintf(dom, sizeof(dom), "\"%s\"", o.domain);
	ck_assert_int_eq(sso_put(&o, "http://idp.example.test", "c", dom, 0, &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(sso_put(&o, sso_issuer(), "c", "\"not a domain\"", 0, &r), 400);
	t_resp_free(&r);
	/* Another org cannot claim this org's domain. */
	sso_org_new(&other, sso_issuer(), "orgbill-es", 0);
	ck_assert_int_eq(sso_put(&other, sso_issuer(), "orgbill-es", dom, 0, &r), 409);
	ck_assert_ptr_nonnull(strstr(r.body.data, "domain_taken"));
	t_resp_free(&r);
	/* Admins do not configure it (owners only); another org's owner gets 404. */
	admin_id = t_member_new(o.id, "admin", NULL);
	snprintf(email, sizeof(email), "%s",
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", admin_id));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, admin.cookie, sizeof(admin.cookie)), 303);
	ck_assert_int_eq(t_get_as(admin.cookie, NULL, path, NULL), 403);
	ck_assert_int_eq(t_get_as(other.owner.cookie, NULL, path, NULL), 404);
	/* DELETE, then GET: 404. */
	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", o.owner.csrf);
	ck_assert_int_eq(t_call(o.owner.cookie, NULL, "DELETE", path, NULL, NULL, hdr, NULL), 200);
	ck_assert_int_eq(t_get_as(o.owner.cookie, NULL, path, NULL), 404);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM audit_log WHERE org_id = %ld"
	    " AND action IN ('org.sso_configured', 'org.sso_removed')", o.id), "2");
}
END_TEST

START_TEST(sso_cli_for_operators)
{
	char args[1024], out[512], email[160], sub[96];
	struct sso_flow fl;
	long org = t_org_new("ssocli", NULL, NULL);

	/* Without ORGBILL_SSO_KEY the connection is refused and nothing stored. */
	snprintf(args, sizeof(args), "sso set --org %ld --issuer %s --client-id orgbill-es"
	    " --domains ssocli-%ld.test", org, sso_issuer(), org);
	setenv("ORGBILL_SSO_KEY", "", 1);
	ck_assert_int_eq(t_cli(args, "orgbill-es-secret\n", NULL, 0), 1);
	unsetenv("ORGBILL_SSO_KEY");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM sso_connections"
	    " WHERE org_id = %ld", org), "0");
	/* With the stack's key: stored, shown without the secret, usable by the workers. */
	ck_assert_int_eq(t_cli(args, "orgbill-es-secret\n", NULL, 0), 0);
	snprintf(args, sizeof(args), "sso show --org %ld", org);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	snprintf(email, sizeof(email), "issuer: %s", sso_issuer());
	ck_assert_str_eq(out, email);
	snprintf(email, sizeof(email), "cli@ssocli-%ld.test", org);
	snprintf(sub, sizeof(sub), "cli-%ld", org);
	sso_oidc_account(sub, email, 1);
	sso_flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	snprintf(args, sizeof(args), "sso remove --org %ld", org);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 0);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 1);
}
END_TEST

Suite *sso_suite(void)
{
	return t_suite("sso", 180, T_TESTS(sso_happy_path_rs256_then_es256,
	    sso_state_is_single_use_and_bound_to_the_browser, sso_who_may_join,
	    sso_required_refuses_password_sign_in, sso_connection_api, sso_cli_for_operators));
}
