/*
 * The harness's HTTP side (see harness.h): requests to the stack and to
 * the Stripe fake, their answers and JSON bodies, and signing in.
 */
#include "integration/harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "identity/auth.h"

static size_t
collect(char *p, size_t sz, size_t n, void *ud)
{
	ob_buf_append(ud, p, sz * n);
	return sz * n;
}

int
t_http(const char *base, const char *method, const char *path,
    const char *body, size_t body_len, const char *const *headers,
    struct t_resp *out)
{
	char url[2048], ca[1024];
	struct curl_slist *hl = NULL, *resolve = NULL;
	CURL *c;
	CURLcode rc;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", base ? base : t_env("OB_TEST_BASE_URL"), path);
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", t_env("OB_TEST_RUN_DIR"));
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* "localhost" is 127.0.0.1 for every suite (IPv6 stays free for the
	 * tests that need a second client address). */
	{
		const char *host = strstr(url, "://localhost:");

		if (host != NULL) {
			char entry[64];

			snprintf(entry, sizeof(entry), "localhost:%d:127.0.0.1", atoi(host + 13));
			resolve = curl_slist_append(resolve, entry);
			curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
		}
	}
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	curl_slist_free_all(resolve);
	if (out->body.data == NULL)
		ob_buf_puts(&out->body, "");
	if (out->headers.data == NULL)
		ob_buf_puts(&out->headers, "");
	return rc == CURLE_OK ? 0 : -1;
}

/* r's status; r itself into out, or freed when out is NULL. */
static long
answer(struct t_resp *r, struct t_resp *out)
{
	long status = r->status;

	if (out != NULL)
		*out = *r;
	else
		t_resp_free(r);
	return status;
}

long
t_fake(const char *method, const char *path, const char *body, const char *content_type,
    struct t_resp *out)
{
	char auth[256], type[128];
	const char *hdr[3] = { auth, type, NULL };
	struct t_resp r;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t_env("STRIPE_SECRET_KEY"));
	snprintf(type, sizeof(type), "Content-Type: %s",
	    content_type != NULL ? content_type : "application/json");
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), method, path, body,
	    body != NULL ? strlen(body) : 0, hdr, &r), 0);
	return answer(&r, out);
}

long
t_get(const char *path, struct t_resp *out)
{
	ck_assert_msg(t_http(NULL, "GET", path, NULL, 0, NULL, out) == 0,
	    "GET %s: no answer", path);
	return out->status;
}

const char *
t_header(const struct t_resp *r, const char *name)
{
	static char val[1024];
	const char *p = r->headers.data, *found = NULL, *e;
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			found = p + n + 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (found == NULL)
		return NULL;
	while (*found == ' ')
		found++;
	e = found + strcspn(found, "\r\n");
	snprintf(val, sizeof(val), "%.*s", (int)(e - found), found);
	return val;
}

void
t_resp_free(struct t_resp *r)
{
	ob_buf_free(&r->headers);
	ob_buf_free(&r->body);
}

/* ---- JSON answers ---- */

cJSON *
t_json(const struct t_resp *r)
{
	cJSON *j = cJSON_Parse(r->body.data ? r->body.data : "");

	ck_assert_msg(j != NULL, "not JSON: %s", r->body.data ? r->body.data : "");
	return j;
}

const char *
t_jstr(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

long long
t_jnum(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
	char *p;
	long long v;

	ck_assert_msg(cJSON_IsNumber(it) || cJSON_IsRaw(it), "%s is not a number", name);
	p = cJSON_PrintUnformatted(it);
	v = strtoll(p, NULL, 10);
	cJSON_free(p);
	return v;
}

/* ---- signing in ---- */

void
t_invite_token(const char *email, char *tok)
{
	const char *v = t_sql_valuef("SELECT substring(body from '/invite/([A-Za-z0-9_-]{43})')"
	    " FROM outbox WHERE kind = 'invitation' AND to_addr = lower('%s') ORDER BY id DESC"
	    " LIMIT 1", email);

	ck_assert_msg(v != NULL && strlen(v) == 43, "no invitation e-mail to %s", email);
	snprintf(tok, 44, "%s", v);
}

long
t_invite_get(const char *cookie, const char *tok, struct t_resp *out)
{
	char path[96], hc[512], inv[128];
	const char *hdr[2] = { NULL, NULL }, *v;
	struct t_resp r;

	snprintf(path, sizeof(path), "/invite/%s", tok);
	ck_assert_int_eq(t_http_as(cookie, NULL, "GET", path, NULL, NULL, NULL, &r), 0);
	v = r.status == 303 ? t_set_cookie(&r, "__Host-ob_invite") : NULL;
	if (v == NULL) {
		if (out != NULL)
			*out = r;
		else
			t_resp_free(&r);
		return r.status;
	}
	ck_assert_str_eq(t_header(&r, "Location"), "/invite");
	snprintf(inv, sizeof(inv), "%s", v);
	t_resp_free(&r);
	snprintf(hc, sizeof(hc), "Cookie: __Host-ob_invite=%s%s%s", inv,
	    cookie != NULL ? "; __Host-ob_session=" : "", cookie != NULL ? cookie : "");
	hdr[0] = hc;
	ck_assert_int_eq(t_http(NULL, "GET", "/invite", NULL, 0, hdr, &r), 0);
	if (out != NULL)
		*out = r;
	else
		t_resp_free(&r);
	return r.status;
}

const char *
t_set_cookie(const struct t_resp *r, const char *name)
{
	static char val[256];
	const char *p = r->headers.data;
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, "set-cookie:", 11) == 0) {
			const char *v = p + 11;

			while (*v == ' ')
				v++;
			if (strncmp(v, name, n) == 0 && v[n] == '=') {
				size_t len = strcspn(v + n + 1, ";\r\n");

				snprintf(val, sizeof(val), "%.*s", (int)len, v + n + 1);
				return val;
			}
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

int
t_http_as(const char *cookie, const char *bearer, const char *method, const char *path,
    const char *body, const char *content_type, const char *const *extra, struct t_resp *out)
{
	char ch[512], bh[256], th[128];
	const char *hdr[16];
	int n = 0;

	if (cookie != NULL) {
		snprintf(ch, sizeof(ch), "Cookie: __Host-ob_session=%s", cookie);
		hdr[n++] = ch;
	}
	if (bearer != NULL) {
		snprintf(bh, sizeof(bh), "Authorization: Bearer %s", bearer);
		hdr[n++] = bh;
	}
	if (content_type != NULL) {
		snprintf(th, sizeof(th), "Content-Type: %s", content_type);
		hdr[n++] = th;
	}
	while (extra != NULL && *extra != NULL && n < 15)
		hdr[n++] = *extra++;
	hdr[n] = NULL;
	return t_http(NULL, method, path, body, body ? strlen(body) : 0, hdr, out);
}

long
t_call(const char *cookie, const char *bearer, const char *method, const char *path,
    const char *body, const char *content_type, const char *const *extra, struct t_resp *out)
{
	struct t_resp r;

	ck_assert_int_eq(t_http_as(cookie, bearer, method, path, body, content_type, extra, &r), 0);
	return answer(&r, out);
}

long
t_get_as(const char *cookie, const char *bearer, const char *path, struct t_resp *out)
{
	return t_call(cookie, bearer, "GET", path, NULL, NULL, NULL, out);
}

long
t_form_as(const char *cookie, const char *path, const char *body, const char *const *extra,
    struct t_resp *out)
{
	return t_call(cookie, NULL, "POST", path, body, "application/x-www-form-urlencoded", extra, out);
}

long
t_json_as(const char *bearer, const char *method, const char *path, const char *body,
    const char *const *extra, struct t_resp *out)
{
	return t_call(NULL, bearer, method, path, body, "application/json", extra, out);
}

long
t_login_form(const char *email, const char *password, const char *more_cookies,
    struct t_resp *out)
{
	struct t_resp r;
	char body[1024], hcookie[512], token[128];
	const char *v, *hdr[3];
	char *e;

	ck_assert_int_eq(t_http(NULL, "GET", "/login", NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	v = t_set_cookie(&r, "__Host-ob_login");
	ck_assert_ptr_nonnull(v);
	snprintf(token, sizeof(token), "%s", v);
	t_resp_free(&r);
	snprintf(hcookie, sizeof(hcookie), "Cookie: __Host-ob_login=%s%s", token,
	    more_cookies != NULL ? more_cookies : "");
	hdr[0] = hcookie;
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = NULL;
	e = curl_easy_escape(NULL, password, 0);
	snprintf(body, sizeof(body), "login_token=%s&email=%s&password=%s", token, email, e);
	curl_free(e);
	ck_assert_int_eq(t_http(NULL, "POST", "/login", body, strlen(body), hdr, out), 0);
	return out->status;
}

long
t_login(const char *email, const char *password, char *cookie, size_t len)
{
	struct t_resp r;
	long status = t_login_form(email, password, NULL, &r);
	const char *v = t_set_cookie(&r, "__Host-ob_session");

	if (cookie != NULL)
		snprintf(cookie, len, "%s", (status == 303 && v != NULL) ? v : "");
	t_resp_free(&r);
	return status;
}

void
t_csrf(const char *cookie, char *out)
{
	unsigned char raw[OB_TOKEN_BYTES];

	ck_assert_int_eq(ob_auth_token_decode(cookie, raw), 0);
	ob_auth_csrf(raw, out);
}
