/*
 * Fixtures of the single sign-on suites (test_sso_flow.c, test_sso_tokens.c):
 * see sso_fixture.h.
 */
#include "integration/sso_fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "integration/harness.h"

/* The value of cookie name from r's Set-Cookie headers ("" when none). */
void
sso_cookie_of(const struct t_resp *r, const char *name, char *out, size_t len)
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
void
sso_oidc_control(const char *path, const char *json)
{
	struct t_resp r;
	const char *hdr[] = { "Content-Type: application/json", NULL };

	ck_assert_int_eq(t_http(t_env("OB_TEST_OIDC_URL"), "POST", path, json, strlen(json), hdr,
	    &r), 0);
	ck_assert_msg(r.status == 200, "%s: %ld %s", path, r.status, r.body.data);
	t_resp_free(&r);
}

/* The provider signs in this person next. */
void
sso_oidc_account(const char *sub, const char *email, int verified)
{
	char j[512];

	snprintf(j, sizeof(j), "{\"sub\":\"%s\",\"email\":\"%s\",\"email_verified\":%s}", sub,
	    email, verified ? "true" : "false");
	sso_oidc_control("/_test/account", j);
}

/* Follow the provider's redirects from url until it sends us to our callback. */
void
sso_provider_hops(const char *url, struct sso_flow *fl)
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
void
sso_handoff_link(const char *page, char *out, size_t len)
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
void
sso_flow_start(const char *who, struct sso_flow *fl, char *url, size_t len)
{
	struct t_resp r;
	char token[128], body[512], hc[256];
	const char *hdr[3];

	memset(fl, 0, sizeof(*fl));
	url[0] = '\0';
	t_reset_rate_limits();
	ck_assert_int_eq(t_http(NULL, "GET", "/sso", NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	sso_cookie_of(&r, "__Host-ob_login", token, sizeof(token));
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
		sso_cookie_of(&r, "__Host-ob_sso", fl->state, sizeof(fl->state));
		sso_handoff_link(r.body.data, url, len);
	}
	t_resp_free(&r);
}

/* GET the callback path with the browser's state cookie (state may be NULL). */
void
sso_flow_callback(const char *path, const char *state, struct sso_flow *fl)
{
	sso_flow_callback_as(path, state, NULL, fl);
}

/* The callback from a browser that also holds session (may be NULL). */
void
sso_flow_callback_as(const char *path, const char *state, const char *session,
    struct sso_flow *fl)
{
	struct t_resp r;
	char hc[384];
	const char *hdr[2] = { NULL, NULL };
	const char *loc;

	if (state != NULL || session != NULL) {
		snprintf(hc, sizeof(hc), "Cookie: __Host-ob_sso=%s%s%s", state ? state : "",
		    session ? "; __Host-ob_session=" : "", session ? session : "");
		hdr[0] = hc;
	}
	ck_assert_int_eq(t_http(NULL, "GET", path, NULL, 0, hdr, &r), 0);
	fl->status = r.status;
	sso_cookie_of(&r, "__Host-ob_session", fl->session, sizeof(fl->session));
	loc = t_header(&r, "Location");
	snprintf(fl->location, sizeof(fl->location), "%s", loc ? loc : "");
	snprintf(fl->body, sizeof(fl->body), "%s", r.body.data ? r.body.data : "");
	t_resp_free(&r);
}

/* The whole sign-in for who; fl->status is the callback's answer. */
void
sso_flow_run(const char *who, struct sso_flow *fl)
{
	char url[2048];

	sso_flow_start(who, fl, url, sizeof(url));
	ck_assert_msg(fl->start_status == 200, "POST /sso: %ld %.300s", fl->start_status, fl->body);
	ck_assert_msg(fl->state[0] != '\0', "no state cookie");
	sso_provider_hops(url, fl);
	sso_flow_callback(fl->callback, fl->state, fl);
}

/* POST /sso/link for who as the signed-in s: the hand-off URL into url ("" when refused). */
void
sso_link_start(const char *cookie, const char *csrf, const char *who, struct sso_flow *fl,
    char *url, size_t len)
{
	struct t_resp r;
	char body[512];

	memset(fl, 0, sizeof(*fl));
	url[0] = '\0';
	snprintf(body, sizeof(body), "csrf=%s&who=%s", csrf, who);
	fl->start_status = t_form_as(cookie, "/sso/link", body, NULL, &r);
	snprintf(fl->body, sizeof(fl->body), "%s", r.body.data ? r.body.data : "");
	if (r.status == 200) {
		sso_cookie_of(&r, "__Host-ob_sso", fl->state, sizeof(fl->state));
		sso_handoff_link(r.body.data, url, len);
	}
	t_resp_free(&r);
}

/* Configure org's connection through the API as its owner: the status. */
long
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
void
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
	/* The operator verifies the domain (docs/SSO.md "Domains"). */
	snprintf(dom, sizeof(dom), "sso verify-domain --org %ld --domain %s", o->id, o->domain);
	ck_assert_int_eq(t_cli(dom, NULL, NULL, 0), 0);
}

const char *
sso_issuer(void)
{
	return t_env("OB_TEST_OIDC_URL");
}

const char *
sso_bad_issuer(void)
{
	static char b[256];

	snprintf(b, sizeof(b), "%s/bad", sso_issuer());
	return b;
}
