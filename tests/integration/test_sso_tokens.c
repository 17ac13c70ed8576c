/*
 * Single sign-on: ID tokens refused (nonce, wrong audience, expired, bad
 * signature, unknown kid) and the provider's key rotation. A real provider
 * cannot be made to issue broken tokens, so the provider's "bad" issuer
 * (OB_TEST_OIDC_URL/bad, tests/oidc/server.js) mints them on request.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/sso_fixture.h"
#include "unit/unit.h"

START_TEST(sso_nonce_mismatch_is_refused)
{
	struct sso_org o;
	struct sso_flow fl;
	char email[160], sub[96], url[2048];

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "nonce@%s", o.domain);
	snprintf(sub, sizeof(sub), "nonce-%ld", o.id);
	sso_oidc_account(sub, email, 1);
	/* The provider puts the nonce it was sent in the token; the one we
	 * stored is changed underneath: the token no longer matches. */
	sso_flow_start(email, &fl, url, sizeof(url));
	sso_provider_hops(url, &fl);
	t_sqlf("UPDATE sso_logins SET nonce = 'another-nonce' WHERE org_id = %ld", o.id);
	sso_flow_callback(fl.callback, fl.state, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "nonce"));
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'",
	    email), "0");
	/* The bad issuer's token carrying another nonce: refused the same way. */
	sso_org_new(&o, sso_bad_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "nonce2@%s", o.domain);
	sso_oidc_account("nonce2", email, 1);
	sso_oidc_control("/_test/bad", "{\"mode\":\"wrong_nonce\"}");
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "nonce"));
}
END_TEST

/* Sign in through the bad issuer with its token broken as mode: the callback's answer. */
static void
bad_token(const char *mode, struct sso_flow *fl)
{
	struct sso_org o;
	char email[160], sub[96], j[96];

	sso_org_new(&o, sso_bad_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "bad@%s", o.domain);
	snprintf(sub, sizeof(sub), "bad-%ld", o.id);
	sso_oidc_account(sub, email, 1);
	snprintf(j, sizeof(j), "{\"mode\":\"%s\"}", mode);
	sso_oidc_control("/_test/bad", j);
	sso_flow_run(email, fl);
}

START_TEST(sso_bad_tokens_are_refused)
{
	struct sso_flow fl;

	/* The same issuer with a good token: accepted (the harness is sound). */
	bad_token("", &fl);
	ck_assert_msg(fl.status == 303, "good token: %ld %.300s", fl.status, fl.body);
	bad_token("wrong_aud", &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "not for this client"));
	bad_token("expired", &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "expired"));
	bad_token("bad_signature", &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "signature does not verify"));
	/* A kid the JWKS lacks even after a refresh. */
	bad_token("unknown_kid", &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "no key of the provider has this kid"));
	ck_assert_str_eq(fl.session, "");
}
END_TEST

START_TEST(sso_key_rotation_refreshes_the_jwks)
{
	struct sso_org o;
	struct sso_flow fl;
	char email[160], sub[96], before[256];
	struct t_resp r;
	int i;

	sso_org_new(&o, sso_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "rot@%s", o.domain);
	snprintf(sub, sizeof(sub), "rot-%ld", o.id);
	sso_oidc_account(sub, email, 1);
	/* Both workers sign someone in, so both cache the provider's keys. */
	for (i = 0; i < 4; i++) {
		sso_flow_run(email, &fl);
		ck_assert_int_eq(fl.status, 303);
	}
	ck_assert_int_eq(t_http(sso_issuer(), "GET", "/_test/kids", NULL, 0, NULL, &r), 0);
	snprintf(before, sizeof(before), "%s", r.body.data);
	t_resp_free(&r);
	sso_oidc_control("/_test/rotate", "{}");
	ck_assert_int_eq(t_http(sso_issuer(), "GET", "/_test/kids", NULL, 0, NULL, &r), 0);
	ck_assert_str_ne(before, r.body.data);
	t_resp_free(&r);
	/* Tokens now carry a kid no cached JWKS has: each worker fetches the
	 * JWKS once more and accepts. */
	for (i = 0; i < 4; i++) {
		sso_flow_run(email, &fl);
		ck_assert_msg(fl.status == 303, "after rotation: %ld %.300s", fl.status, fl.body);
	}
}
END_TEST

/* A bad issuer of its own for this test (no worker has cached it): its URL into out. */
static void
fresh_bad_issuer(const char *kind, char *out, size_t len, char *name, size_t nlen)
{
	static int n;

	snprintf(name, nlen, "bad-%s-%d-%ld-%d", kind, (int)getpid(), (long)time(NULL), n++);
	snprintf(out, len, "%s/%s", sso_issuer(), name);
}

START_TEST(sso_jwks_unreachable_is_502)
{
	struct sso_org o;
	struct sso_flow fl;
	char iss[256], name[96], email[160];

	fresh_bad_issuer("jwksdown", iss, sizeof(iss), name, sizeof(name));
	sso_org_new(&o, iss, "orgbill-rs", 0);
	snprintf(email, sizeof(email), "down@%s", o.domain);
	sso_oidc_account("down-sub", email, 1);
	sso_flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 502);
	ck_assert_ptr_nonnull(strstr(fl.body, "keys could not be fetched"));
	ck_assert_str_eq(fl.session, "");
}
END_TEST

START_TEST(sso_unknown_kid_refresh_is_rate_limited)
{
	struct sso_org o;
	struct sso_flow fl;
	struct t_resp r;
	char iss[256], name[96], email[160], path[160];
	cJSON *j;
	long long fetches;
	int i;

	fresh_bad_issuer("kid", iss, sizeof(iss), name, sizeof(name));
	sso_org_new(&o, iss, "orgbill-rs", 0);
	snprintf(email, sizeof(email), "kid@%s", o.domain);
	sso_oidc_account("kid-sub", email, 1);
	/* Six tokens naming a kid the JWKS never has: each refused. */
	for (i = 0; i < 6; i++) {
		sso_oidc_control("/_test/bad", "{\"mode\":\"unknown_kid\"}");
		sso_flow_run(email, &fl);
		ck_assert_int_eq(fl.status, 403);
	}
	/* Each of the stack's two workers fetched the JWKS at most twice (the
	 * first time, then one refresh for the unknown kid within the minute):
	 * at most 4 fetches, not one per token. */
	snprintf(path, sizeof(path), "/_test/bad-stats?issuer=%s", name);
	ck_assert_int_eq(t_http(sso_issuer(), "GET", path, NULL, 0, NULL, &r), 0);
	j = t_json(&r);
	fetches = t_jnum(j, "jwks");
	ck_assert_msg(fetches >= 1 && fetches <= 4, "JWKS fetched %lld times", fetches);
	cJSON_Delete(j);
	t_resp_free(&r);
}
END_TEST

Suite *sso_tokens_suite(void)
{
	return t_suite("sso_tokens", 180, T_TESTS(sso_nonce_mismatch_is_refused,
	    sso_bad_tokens_are_refused, sso_key_rotation_refreshes_the_jwks,
	    sso_jwks_unreachable_is_502, sso_unknown_kid_refresh_is_rate_limited));
}
