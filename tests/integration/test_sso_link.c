/*
 * Single sign-on never takes over an existing account (docs/SSO.md
 * "Linking an existing account"): an account is linked to a provider
 * identity only by its owner, signed in in the same browser; staff
 * accounts are never linked.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "integration/harness.h"
#include "integration/sso_fixture.h"
#include "unit/unit.h"

/* A new member of org with role, renamed to local@domain; signed in into s. */
static long
member_at(long org, const char *role, const char *local, const char *domain,
    struct t_session *s, char *email, size_t len)
{
	long uid = t_member_new(org, role, NULL);

	snprintf(email, len, "%s-%ld@%s", local, uid, domain);
	t_sqlf("UPDATE users SET email = '%s' WHERE id = %ld", email, uid);
	if (s != NULL) {
		t_reset_rate_limits();
		ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, s->cookie, sizeof(s->cookie)),
		    303);
		t_csrf(s->cookie, s->csrf);
	}
	return uid;
}

static const char *
links_of(long uid)
{
	return t_sql_valuef("SELECT count(*)::text FROM sso_identities WHERE user_id = %ld", uid);
}

START_TEST(sso_existing_account_is_not_taken_over_by_email)
{
	struct sso_org o;
	struct sso_flow fl;
	char email[160], sub[96];
	long victim_org = t_org_new("ssovictim", NULL, NULL), uid;

	/* Org A's owner points A at her provider, allowing the victim's domain. */
	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	uid = member_at(victim_org, "owner", "victim", o.domain, NULL, email, sizeof(email));
	snprintf(sub, sizeof(sub), "takeover-%ld", uid);
	sso_oidc_account(sub, email, 1);
	/* Not a member of A: refused, told to sign in with the password first. */
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "Sign in with your password first"));
	ck_assert_ptr_null(strstr(fl.body, "ssovictim"));
	ck_assert_str_eq(fl.session, "");
	/* Invited to A, or even an active member of A: still never linked by e-mail. */
	t_sqlf("INSERT INTO memberships (org_id, user_id, role, status) VALUES (%ld, %ld,"
	    " 'member', 'invited')", o.id, uid);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	t_sqlf("UPDATE memberships SET status = 'active' WHERE org_id = %ld AND user_id = %ld",
	    o.id, uid);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "Sign in with your password first"));
	ck_assert_str_eq(fl.session, "");
	ck_assert_str_eq(links_of(uid), "0");
}
END_TEST

START_TEST(sso_signed_in_account_links_itself)
{
	struct sso_org o;
	struct sso_flow fl;
	struct t_session s;
	struct t_resp r;
	char email[160], sub[96], url[2048], slug[96];
	long uid;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(slug, sizeof(slug), "%s", t_sql_valuef("SELECT slug FROM organizations"
	    " WHERE id = %ld", o.id));
	uid = member_at(o.id, "billing", "linker", o.domain, &s, email, sizeof(email));
	snprintf(sub, sizeof(sub), "linker-%ld", uid);
	sso_oidc_account(sub, email, 1);
	/* The confirmation page, for the signed-in person only. */
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/sso/link", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "Link your account"));
	t_resp_free(&r);
	ck_assert_int_ne(t_get_as(NULL, NULL, "/sso/link", NULL), 200);
	/* Without the CSRF token: refused. */
	sso_link_start(s.cookie, "nope", slug, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 403);
	/* A link answered in a browser without the session: refused, nothing linked. */
	sso_link_start(s.cookie, s.csrf, slug, &fl, url, sizeof(url));
	ck_assert_msg(fl.start_status == 200, "POST /sso/link: %ld %.300s", fl.start_status,
	    fl.body);
	sso_provider_hops(url, &fl);
	sso_flow_callback_as(fl.callback, fl.state, NULL, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_str_eq(links_of(uid), "0");
	/* In the same browser: linked, and the member is signed in. */
	sso_link_start(s.cookie, s.csrf, slug, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 200);
	sso_provider_hops(url, &fl);
	sso_flow_callback_as(fl.callback, fl.state, s.cookie, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_str_ne(fl.session, "");
	snprintf(url, sizeof(url), "%ld", uid);
	ck_assert_str_eq(t_sql_valuef("SELECT user_id::text FROM sso_identities"
	    " WHERE subject = '%s'", sub), url);
	/* From now on a plain SSO sign-in is that account. */
	sso_flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	ck_assert_str_eq(links_of(uid), "1");
}
END_TEST

START_TEST(sso_staff_accounts_are_never_linked)
{
	struct sso_org o;
	struct sso_flow fl;
	struct t_session s;
	char email[160], sub[96], url[2048], slug[96];
	long uid;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(slug, sizeof(slug), "%s", t_sql_valuef("SELECT slug FROM organizations"
	    " WHERE id = %ld", o.id));
	uid = member_at(o.id, "member", "staffer", o.domain, &s, email, sizeof(email));
	t_sqlf("UPDATE users SET is_staff = true WHERE id = %ld", uid);
	snprintf(sub, sizeof(sub), "staffer-%ld", uid);
	sso_oidc_account(sub, email, 1);
	sso_link_start(s.cookie, s.csrf, slug, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 200);
	sso_provider_hops(url, &fl);
	sso_flow_callback_as(fl.callback, fl.state, s.cookie, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_str_eq(links_of(uid), "0");
	/* A link made earlier (before the account became staff) signs nobody in. */
	t_sqlf("INSERT INTO sso_identities (issuer, subject, user_id) VALUES ('%s', '%s', %ld)",
	    sso_issuer(), sub, uid);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_str_eq(fl.session, "");
	t_sqlf("UPDATE users SET is_staff = false WHERE id = %ld", uid);
}
END_TEST

Suite *sso_link_suite(void)
{
	return t_suite("sso_link", 180, T_TESTS(sso_existing_account_is_not_taken_over_by_email,
	    sso_signed_in_account_links_itself, sso_staff_accounts_are_never_linked));
}
