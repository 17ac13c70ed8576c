/*
 * Single sign-on against a real OpenID provider (tests/oidc: the
 * oidc-provider package, started by the test stack on OB_TEST_OIDC_URL),
 * driven through every redirect with libcurl as a browser would: the
 * "Sign in with SSO" form, the hand-off page, the provider's authorization
 * endpoint and interaction, our callback. Expected answers come from the
 * OpenID Connect Core rules and docs/SSO.md, never from our code.
 *
 * The provider's "bad" issuer (OB_TEST_OIDC_URL/bad, tests/oidc/server.js)
 * returns ID tokens broken on purpose (wrong audience, expired, bad
 * signature, unknown kid), which a real provider cannot be made to issue.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "integration/harness.h"
#include "unit/unit.h"

/* One SSO test org: its id, owner session, allowed domain. */
struct sso_org {
	long id;
	char domain[96];
	struct t_session owner;
};

/* What one pass through the flow gave. */
struct flow {
	long start_status;		/* POST /sso */
	long status;			/* the callback's */
	char state[64];			/* the __Host-ob_sso cookie */
	char callback[2048];		/* the callback path the provider sent us to */
	char session[128];		/* __Host-ob_session, on success */
	char location[512];
	char body[4096];
};

/* The value of cookie name from r's Set-Cookie headers ("" when none). */
static void
cookie_of(const struct t_resp *r, const char *name, char *out, size_t len)
{
	const char *h = r->headers.data ? r->headers.data : "", *p;
	char pat[96];
	size_t n;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "%s=", name);
	for (p = h; (p = strcasestr(p, "set-cookie:")) != NULL; p++) {
		const char *v = strstr(p, pat);
		const char *eol = strchr(p, '\n');

		if (v == NULL || (eol != NULL && v > eol))
			continue;
		v += strlen(pat);
		n = strcspn(v, ";\r\n");
		snprintf(out, len, "%.*s", (int)n, v);
	}
}

static size_t
sink(char *p, size_t sz, size_t n, void *ud)
{
	ob_buf_append(ud, p, sz * n);
	return sz * n;
}

/* A JSON POST to the provider's test controls. */
static void
oidc_control(const char *path, const char *json)
{
	struct t_resp r;
	const char *hdr[] = { "Content-Type: application/json", NULL };

	ck_assert_int_eq(t_http(t_env("OB_TEST_OIDC_URL"), "POST", path, json, strlen(json), hdr,
	    &r), 0);
	ck_assert_msg(r.status == 200, "%s: %ld %s", path, r.status, r.body.data);
	t_resp_free(&r);
}

/* The provider signs in this person next. */
static void
oidc_account(const char *sub, const char *email, int verified)
{
	char j[512];

	snprintf(j, sizeof(j), "{\"sub\":\"%s\",\"email\":\"%s\",\"email_verified\":%s}", sub,
	    email, verified ? "true" : "false");
	oidc_control("/_test/account", j);
}

/* Follow the provider's redirects from url until it sends us to our callback. */
static void
provider_hops(const char *url, struct flow *fl)
{
	CURL *c = curl_easy_init();
	char cur[2048], *loc = NULL;
	const char *base = t_env("OB_TEST_BASE_URL");
	struct ob_buf b = OB_BUF_INIT;
	long st = 0;
	int i;

	snprintf(cur, sizeof(cur), "%s", url);
	curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");	/* the provider's cookies kept */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	for (i = 0; i < 10; i++) {
		curl_easy_setopt(c, CURLOPT_URL, cur);
		ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
		ck_assert_msg(loc != NULL, "the provider stopped at %ld: %.300s", st,
		    b.data ? b.data : "");
		if (strncmp(loc, base, strlen(base)) == 0) {
			snprintf(fl->callback, sizeof(fl->callback), "%s", loc + strlen(base));
			break;
		}
		snprintf(cur, sizeof(cur), "%s", loc);
	}
	ck_assert_msg(fl->callback[0] == '/', "no way back from the provider");
	ob_buf_free(&b);
	curl_easy_cleanup(c);
}

/* The hand-off page's link, with &amp; undone. */
static void
handoff_link(const char *page, char *out, size_t len)
{
	const char *p = strstr(page, "id=\"sso-link\" href=\"");
	size_t o = 0;

	ck_assert_ptr_nonnull(p);
	for (p += 20; *p != '"' && *p != '\0' && o + 1 < len; p++) {
		if (strncmp(p, "&amp;", 5) == 0) {
			out[o++] = '&';
			p += 4;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/* The form, then POST /sso for who: the hand-off URL into url ("" when refused). */
static void
flow_start(const char *who, struct flow *fl, char *url, size_t len)
{
	struct t_resp r;
	char token[128], body[512], hc[256];
	const char *hdr[3];

	memset(fl, 0, sizeof(*fl));
	url[0] = '\0';
	t_reset_rate_limits();
	ck_assert_int_eq(t_http(NULL, "GET", "/sso", NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	cookie_of(&r, "__Host-ob_login", token, sizeof(token));
	t_resp_free(&r);
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_login=%s", token);
	hdr[0] = hc;
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = NULL;
	snprintf(body, sizeof(body), "login_token=%s&who=%s", token, who);
	ck_assert_int_eq(t_http(NULL, "POST", "/sso", body, strlen(body), hdr, &r), 0);
	fl->start_status = r.status;
	snprintf(fl->body, sizeof(fl->body), "%s", r.body.data ? r.body.data : "");
	if (r.status == 200) {
		cookie_of(&r, "__Host-ob_sso", fl->state, sizeof(fl->state));
		handoff_link(r.body.data, url, len);
	}
	t_resp_free(&r);
}

/* GET the callback path with the browser's state cookie (state may be NULL). */
static void
flow_callback(const char *path, const char *state, struct flow *fl)
{
	struct t_resp r;
	char hc[256];
	const char *hdr[2] = { NULL, NULL };
	const char *loc;

	if (state != NULL) {
		snprintf(hc, sizeof(hc), "Cookie: __Host-ob_sso=%s", state);
		hdr[0] = hc;
	}
	ck_assert_int_eq(t_http(NULL, "GET", path, NULL, 0, hdr, &r), 0);
	fl->status = r.status;
	cookie_of(&r, "__Host-ob_session", fl->session, sizeof(fl->session));
	loc = t_header(&r, "Location");
	snprintf(fl->location, sizeof(fl->location), "%s", loc ? loc : "");
	snprintf(fl->body, sizeof(fl->body), "%s", r.body.data ? r.body.data : "");
	t_resp_free(&r);
}

/* The whole sign-in for who; fl->status is the callback's answer. */
static void
flow_run(const char *who, struct flow *fl)
{
	char url[2048];

	flow_start(who, fl, url, sizeof(url));
	ck_assert_msg(fl->start_status == 200, "POST /sso: %ld %.300s", fl->start_status, fl->body);
	ck_assert_msg(fl->state[0] != '\0', "no state cookie");
	provider_hops(url, fl);
	flow_callback(fl->callback, fl->state, fl);
}

/* Configure org's connection through the API as its owner: the status. */
static long
sso_put(const struct sso_org *o, const char *issuer, const char *client, const char *domains,
    int required, struct t_resp *out)
{
	char path[128], body[1024], hc[128];
	const char *hdr[] = { hc, NULL };

	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/sso", o->id);
	snprintf(body, sizeof(body),
	    "{\"issuer\":\"%s\",\"client_id\":\"%s\",\"client_secret\":\"%s-secret\","
	    "\"allowed_domains\":[%s],\"sso_required\":%s}",
	    issuer, client, client, domains, required ? "true" : "false");
	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", o->owner.csrf);
	return t_call(o->owner.cookie, NULL, "PUT", path, body, "application/json", hdr, out);
}

/* A new org with an owner (signed in) and a connection to issuer for client. */
static void
sso_org_new(struct sso_org *o, const char *issuer, const char *client, int required)
{
	char email[128], dom[128];
	struct t_resp r;
	long owner;
	long st;

	memset(o, 0, sizeof(*o));
	o->id = t_org_new("sso", NULL, NULL);
	owner = t_member_new(o->id, "owner", NULL);
	snprintf(email, sizeof(email), "%s",
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", owner));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, o->owner.cookie,
	    sizeof(o->owner.cookie)), 303);
	t_csrf(o->owner.cookie, o->owner.csrf);
	snprintf(o->domain, sizeof(o->domain), "sso-%ld.test", o->id);
	snprintf(dom, sizeof(dom), "\"%s\"", o->domain);
	st = sso_put(o, issuer, client, dom, required, &r);
	ck_assert_msg(st == 200, "PUT sso: %ld %s", st, r.body.data);
	t_resp_free(&r);
}

static const char *
issuer(void)
{
	return t_env("OB_TEST_OIDC_URL");
}

static const char *
bad_issuer(void)
{
	static char b[256];

	snprintf(b, sizeof(b), "%s/bad", issuer());
	return b;
}

START_TEST(sso_happy_path_rs256_then_es256)
{
	struct sso_org o, e;
	struct flow fl;
	char email[160], sub[96], path[64];
	long uid;

	sso_org_new(&o, issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "jane@%s", o.domain);
	snprintf(sub, sizeof(sub), "jane-%ld", o.id);
	oidc_account(sub, email, 1);
	flow_run(email, &fl);
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
	    " WHERE issuer = '%s' AND subject = '%s'", issuer(), sub), path);
	/* The session works. */
	snprintf(path, sizeof(path), "/members");
	ck_assert_int_eq(t_get_as(fl.session, NULL, path, NULL), 200);
	/* Signing in again (by the org's slug this time): the same user. */
	flow_run(t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", o.id), &fl);
	ck_assert_int_eq(fl.status, 303);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'",
	    email), "1");
	/* No sign-in row is left behind. */
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM sso_logins WHERE org_id = %ld",
	    o.id), "0");

	/* ES256: the other client of the provider signs with its P-256 key. */
	sso_org_new(&e, issuer(), "orgbill-es", 0);
	snprintf(email, sizeof(email), "ed@%s", e.domain);
	snprintf(sub, sizeof(sub), "ed-%ld", e.id);
	oidc_account(sub, email, 1);
	flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "ES256 callback: %ld %.400s", fl.status, fl.body);
}
END_TEST

START_TEST(sso_state_is_single_use_and_bound_to_the_browser)
{
	struct sso_org o;
	struct flow fl, again;
	char email[160], sub[96], url[2048];

	sso_org_new(&o, issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "rep@%s", o.domain);
	snprintf(sub, sizeof(sub), "rep-%ld", o.id);
	oidc_account(sub, email, 1);

	/* The provider's answer brought to another browser (no state cookie,
	 * or another sign-in's): refused, and the state is used up. */
	flow_start(email, &fl, url, sizeof(url));
	ck_assert_int_eq(fl.start_status, 200);
	provider_hops(url, &fl);
	flow_callback(fl.callback, NULL, &again);
	ck_assert_int_eq(again.status, 400);
	ck_assert_ptr_nonnull(strstr(again.body, "another browser"));
	ck_assert_str_eq(again.session, "");

	/* A finished sign-in's callback replayed: refused (400), no session. */
	flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 303);
	flow_callback(fl.callback, fl.state, &again);
	ck_assert_int_eq(again.status, 400);
	ck_assert_ptr_nonnull(strstr(again.body, "already been used"));
	ck_assert_str_eq(again.session, "");

	/* An expired sign-in (over ten minutes): refused. */
	flow_start(email, &fl, url, sizeof(url));
	provider_hops(url, &fl);
	t_sqlf("UPDATE sso_logins SET expires_at = now() - interval '1 second' WHERE org_id = %ld",
	    o.id);
	flow_callback(fl.callback, fl.state, &again);
	ck_assert_int_eq(again.status, 400);
	ck_assert_ptr_nonnull(strstr(again.body, "took too long"));

	/* No state at all, or garbage: a readable 400. */
	flow_callback("/sso/callback", NULL, &again);
	ck_assert_int_eq(again.status, 400);
	flow_callback("/sso/callback?state=%00%ff&code=x", "x", &again);
	ck_assert_int_eq(again.status, 400);
	/* The provider refused (error=access_denied): 400. */
	flow_callback("/sso/callback?error=access_denied&state=x", NULL, &again);
	ck_assert_int_eq(again.status, 400);
}
END_TEST

START_TEST(sso_nonce_mismatch_is_refused)
{
	struct sso_org o;
	struct flow fl;
	char email[160], sub[96], url[2048];

	sso_org_new(&o, issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "nonce@%s", o.domain);
	snprintf(sub, sizeof(sub), "nonce-%ld", o.id);
	oidc_account(sub, email, 1);
	/* The provider puts the nonce it was sent in the token; the one we
	 * stored is changed underneath: the token no longer matches. */
	flow_start(email, &fl, url, sizeof(url));
	provider_hops(url, &fl);
	t_sqlf("UPDATE sso_logins SET nonce = 'another-nonce' WHERE org_id = %ld", o.id);
	flow_callback(fl.callback, fl.state, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "nonce"));
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'",
	    email), "0");
	/* The bad issuer's token carrying another nonce: refused the same way. */
	sso_org_new(&o, bad_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "nonce2@%s", o.domain);
	oidc_account("nonce2", email, 1);
	oidc_control("/_test/bad", "{\"mode\":\"wrong_nonce\"}");
	flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "nonce"));
}
END_TEST

/* Sign in through the bad issuer with its token broken as mode: the callback's answer. */
static void
bad_token(const char *mode, struct flow *fl)
{
	struct sso_org o;
	char email[160], sub[96], j[96];

	sso_org_new(&o, bad_issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "bad@%s", o.domain);
	snprintf(sub, sizeof(sub), "bad-%ld", o.id);
	oidc_account(sub, email, 1);
	snprintf(j, sizeof(j), "{\"mode\":\"%s\"}", mode);
	oidc_control("/_test/bad", j);
	flow_run(email, fl);
}

START_TEST(sso_bad_tokens_are_refused)
{
	struct flow fl;

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
	struct flow fl;
	char email[160], sub[96], before[256];
	struct t_resp r;
	int i;

	sso_org_new(&o, issuer(), "orgbill-rs", 0);
	snprintf(email, sizeof(email), "rot@%s", o.domain);
	snprintf(sub, sizeof(sub), "rot-%ld", o.id);
	oidc_account(sub, email, 1);
	/* Both workers sign someone in, so both cache the provider's keys. */
	for (i = 0; i < 4; i++) {
		flow_run(email, &fl);
		ck_assert_int_eq(fl.status, 303);
	}
	ck_assert_int_eq(t_http(issuer(), "GET", "/_test/kids", NULL, 0, NULL, &r), 0);
	snprintf(before, sizeof(before), "%s", r.body.data);
	t_resp_free(&r);
	oidc_control("/_test/rotate", "{}");
	ck_assert_int_eq(t_http(issuer(), "GET", "/_test/kids", NULL, 0, NULL, &r), 0);
	ck_assert_str_ne(before, r.body.data);
	t_resp_free(&r);
	/* Tokens now carry a kid no cached JWKS has: each worker fetches the
	 * JWKS once more and accepts. */
	for (i = 0; i < 4; i++) {
		flow_run(email, &fl);
		ck_assert_msg(fl.status == 303, "after rotation: %ld %.300s", fl.status, fl.body);
	}
}
END_TEST

START_TEST(sso_who_may_join)
{
	struct sso_org o;
	struct flow fl;
	char email[160], sub[96], url[2048];
	long uid;

	sso_org_new(&o, issuer(), "orgbill-rs", 0);
	/* An address the provider has not verified: no account, no member. */
	snprintf(email, sizeof(email), "unverified@%s", o.domain);
	oidc_account("unverified-sub", email, 0);
	flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "verified e-mail"));
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM users WHERE email = '%s'",
	    email), "0");
	/* A verified address of another domain: refused. */
	oidc_account("outsider-sub", "someone@elsewhere.test", 1);
	flow_start("no-such-org-slug", &fl, url, sizeof(url));	/* nobody's: 404 */
	ck_assert_int_eq(fl.start_status, 404);
	flow_run(t_sql_valuef("SELECT slug FROM organizations WHERE id = %ld", o.id), &fl);
	ck_assert_int_eq(fl.status, 403);
	/* An existing account (another org's member) with an allowed address is
	 * not taken over: linking by e-mail needs an invitation first. */
	uid = t_member_new(t_org_new("ssoother", NULL, NULL), "owner", NULL);
	snprintf(email, sizeof(email), "taken-%ld@%s", uid, o.domain);
	t_sqlf("UPDATE users SET email = '%s' WHERE id = %ld", email, uid);
	snprintf(sub, sizeof(sub), "taken-%ld", uid);
	oidc_account(sub, email, 1);
	flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
	ck_assert_ptr_nonnull(strstr(fl.body, "already exists"));
	/* Once invited (a member row), the same sign-in links and joins. */
	t_sqlf("INSERT INTO memberships (org_id, user_id, role, status) VALUES (%ld, %ld,"
	    " 'billing', 'invited')", o.id, uid);
	flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 303);
	ck_assert_str_eq(t_sql_valuef("SELECT role || '/' || status FROM memberships"
	    " WHERE org_id = %ld AND user_id = %ld", o.id, uid), "billing/active");
	/* A removed member does not come back through SSO. */
	t_sqlf("UPDATE memberships SET status = 'removed' WHERE org_id = %ld AND user_id = %ld",
	    o.id, uid);
	flow_run(email, &fl);
	ck_assert_int_eq(fl.status, 403);
}
END_TEST

START_TEST(sso_required_refuses_password_sign_in)
{
	struct sso_org o;
	struct t_resp r;
	char email[160], dom[128];
	long member;

	sso_org_new(&o, issuer(), "orgbill-rs", 0);
	member = t_member_new(o.id, "admin", NULL);
	snprintf(email, sizeof(email), "%s",
	    t_sql_valuef("SELECT email FROM users WHERE id = %ld", member));
	t_reset_rate_limits();
	/* Not required yet: the password works. */
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, NULL, 0), 303);
	snprintf(dom, sizeof(dom), "\"%s\"", o.domain);
	ck_assert_int_eq(sso_put(&o, issuer(), "orgbill-rs", dom, 1, &r), 200);
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

	sso_org_new(&o, issuer(), "orgbill-rs", 0);
	snprintf(path, sizeof(path), "/api/v1/org-billing/%ld/sso", o.id);
	ck_assert_int_eq(t_get_as(o.owner.cookie, NULL, path, &r), 200);
	j = t_json(&r);
	ck_assert_str_eq(t_jstr(j, "issuer"), issuer());
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
	ck_assert_int_eq(sso_put(&o, issuer(), "c", "\"not a domain\"", 0, &r), 400);
	t_resp_free(&r);
	/* Another org cannot claim this org's domain. */
	sso_org_new(&other, issuer(), "orgbill-es", 0);
	ck_assert_int_eq(sso_put(&other, issuer(), "orgbill-es", dom, 0, &r), 409);
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
	struct flow fl;
	long org = t_org_new("ssocli", NULL, NULL);

	/* Without ORGBILL_SSO_KEY the connection is refused and nothing stored. */
	snprintf(args, sizeof(args), "sso set --org %ld --issuer %s --client-id orgbill-es"
	    " --domains ssocli-%ld.test", org, issuer(), org);
	setenv("ORGBILL_SSO_KEY", "", 1);
	ck_assert_int_eq(t_cli(args, "orgbill-es-secret\n", NULL, 0), 1);
	unsetenv("ORGBILL_SSO_KEY");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*)::text FROM sso_connections"
	    " WHERE org_id = %ld", org), "0");
	/* With the stack's key: stored, shown without the secret, usable by the workers. */
	ck_assert_int_eq(t_cli(args, "orgbill-es-secret\n", NULL, 0), 0);
	snprintf(args, sizeof(args), "sso show --org %ld", org);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	snprintf(email, sizeof(email), "issuer: %s", issuer());
	ck_assert_str_eq(out, email);
	snprintf(email, sizeof(email), "cli@ssocli-%ld.test", org);
	snprintf(sub, sizeof(sub), "cli-%ld", org);
	oidc_account(sub, email, 1);
	flow_run(email, &fl);
	ck_assert_msg(fl.status == 303, "callback: %ld %.300s", fl.status, fl.body);
	snprintf(args, sizeof(args), "sso remove --org %ld", org);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 0);
	ck_assert_int_eq(t_cli(args, NULL, NULL, 0), 1);
}
END_TEST

Suite *sso_suite(void)
{
	return t_suite("sso", 180, T_TESTS(sso_happy_path_rs256_then_es256,
	    sso_state_is_single_use_and_bound_to_the_browser, sso_nonce_mismatch_is_refused,
	    sso_bad_tokens_are_refused, sso_key_rotation_refreshes_the_jwks, sso_who_may_join,
	    sso_required_refuses_password_sign_in, sso_connection_api, sso_cli_for_operators));
}
