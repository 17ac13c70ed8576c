/*
 * Bad input, case by case: each request found answering 200, 502 or 503
 * (or writing something) gets a 4xx with the JSON error naming the right
 * parameter, and nothing changes. Expected answers written by hand from
 * docs/API.md.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* An org with an all-scope API key and its owner signed in. */
struct tenant {
	long org, owner;
	char key[128];
	struct t_session s;
};

static void
tenant_new(const char *tag, struct tenant *t)
{
	char email[256];

	memset(t, 0, sizeof(*t));
	t->org = t_org_new(tag, NULL, NULL);
	t->owner = t_member_new(t->org, "owner", NULL);
	t_apikey_new(t->org, "read,write,meter,admin", t->key, sizeof(t->key));
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld",
	    t->owner));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, t->s.cookie, sizeof(t->s.cookie)), 303);
	t_csrf(t->s.cookie, t->s.csrf);
}

/* body (len bytes) as ctype to path with the tenant's key; the answer into r. */
static long
send_key(const struct tenant *t, const char *method, const char *path, const char *body,
    size_t len, const char *ctype, const char *extra, struct t_resp *r)
{
	char hk[256], ht[128];
	const char *hdr[4] = { hk, NULL, NULL, NULL };
	int n = 1;

	snprintf(hk, sizeof(hk), "Authorization: Bearer %s", t->key);
	if (ctype != NULL) {
		snprintf(ht, sizeof(ht), "Content-Type: %s", ctype);
		hdr[n++] = ht;
	}
	hdr[n] = extra;
	ck_assert_int_eq(t_http(NULL, method, path, body, len, hdr, r), 0);
	return r->status;
}

static long
json_key(const struct tenant *t, const char *method, const char *path, const char *body,
    struct t_resp *r)
{
	return send_key(t, method, path, body, strlen(body), "application/json", NULL, r);
}

/* r is a 4xx of status with the JSON error {type, code, message, param}. */
static void
want_error(struct t_resp *r, long status, const char *code, const char *param)
{
	cJSON *j, *e;

	ck_assert_msg(r->status == status, "want %ld, got %ld %s", status, r->status, r->body.data);
	ck_assert_msg(t_header(r, "Content-Type") != NULL &&
	    strstr(t_header(r, "Content-Type"), "application/json") != NULL,
	    "want JSON: %ld %s %.200s", r->status, t_header(r, "Content-Type"), r->body.data);
	j = t_json(r);
	e = cJSON_GetObjectItem(j, "error");
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(t_jstr(e, "type"));
	ck_assert_ptr_nonnull(t_jstr(e, "message"));
	ck_assert_msg(t_jstr(e, "code") != NULL && strcmp(t_jstr(e, "code"), code) == 0,
	    "want code %s: %s", code, r->body.data);
	if (param != NULL)
		ck_assert_msg(t_jstr(e, "param") != NULL && strcmp(t_jstr(e, "param"), param) == 0,
		    "want param %s: %s", param, r->body.data);
	else
		ck_assert(cJSON_IsNull(cJSON_GetObjectItem(e, "param")));
	cJSON_Delete(j);
	t_resp_free(r);
}

static const char *
org_settings(long org)
{
	return t_sql_valuef("SELECT allow_extra_tasks::text || '/' || max_extra_tasks"
	    " FROM organizations WHERE id = %ld", org);
}

/* A wrongly typed optional field was ignored: cancel with at_period_end "yes" cancelled now. */
START_TEST(input_cancel_wrongly_typed_flag_is_400)
{
	struct tenant t;
	struct t_resp r;
	char path[128];

	tenant_new("in-cancel", &t);
	snprintf(path, sizeof(path), API "/subscriptions/%ld/cancel", t.org);
	json_key(&t, "POST", path, "{\"reason\":\"x\",\"at_period_end\":\"yes\"}", &r);
	want_error(&r, 400, "parameter_invalid", "at_period_end");
	/* Bad UTF-8 in reason blames reason, not another field. */
	json_key(&t, "POST", path, "{\"at_period_end\":true,\"reason\":\"caf\xe9\"}", &r);
	want_error(&r, 400, "invalid_utf8", "reason");
}
END_TEST

/* Unknown members were accepted; text after the JSON value too. */
START_TEST(input_unknown_fields_and_trailing_text)
{
	struct tenant t;
	struct t_resp r;
	char path[128];
	char before[64];

	tenant_new("in-unknown", &t);
	snprintf(path, sizeof(path), API "/credits/%ld/settings", t.org);
	snprintf(before, sizeof(before), "%s", org_settings(t.org));
	json_key(&t, "PATCH", path, "{\"allow_extra_tasks\":true,\"max_extra_taks\":5}", &r);
	want_error(&r, 400, "parameter_unknown", "max_extra_taks");
	json_key(&t, "PATCH", path, "{\"allow_extra_tasks\":true} GARBAGE", &r);
	want_error(&r, 400, "invalid_json", NULL);
	json_key(&t, "PATCH", path, "{\"allow_extra_tasks\":true}{}", &r);
	want_error(&r, 400, "invalid_json", NULL);
	ck_assert_str_eq(org_settings(t.org), before);
	/* A route that takes no fields refuses any. */
	snprintf(path, sizeof(path), API "/subscriptions/%ld/reactivate", t.org);
	json_key(&t, "POST", path, "{\"now\":true}", &r);
	want_error(&r, 400, "parameter_unknown", "now");
	/* A wrong Content-Type is a 415 in the same shape. */
	snprintf(path, sizeof(path), API "/credits/%ld/settings", t.org);
	send_key(&t, "PATCH", path, "allow_extra_tasks=true", 22, "application/x-www-form-urlencoded",
	    NULL, &r);
	want_error(&r, 415, "unsupported_media_type", NULL);
	ck_assert_str_eq(org_settings(t.org), before);
	/* And the good request still works. */
	ck_assert_int_eq(json_key(&t, "PATCH", path, "{\"allow_extra_tasks\":true}", &r), 200);
	t_resp_free(&r);
	ck_assert_str_eq(org_settings(t.org), "true/0");
}
END_TEST

/* "service":"abc\u0000DROP" was recorded as "abc". */
START_TEST(input_nul_is_refused_not_truncated)
{
	struct tenant t;
	struct t_resp r;
	char path[128];
	const char *idem = "Idempotency-Key: in-nul-1", *body;

	tenant_new("in-nul", &t);
	snprintf(path, sizeof(path), API "/credits/%ld/deduct", t.org);
	body = "{\"user_id\":1,\"amount\":1,\"service\":\"abc\\u0000DROP\"}";
	send_key(&t, "POST", path, body, strlen(body), "application/json", idem, &r);
	want_error(&r, 400, "nul_byte", "service");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM credit_usage WHERE org_id = %ld", t.org),
	    "0");
	/* In a console form: %00 is refused, not cut. */
	ck_assert_int_eq(t_form_as(t.s.cookie, "/api-keys",
	    "csrf=x&name=abc%00DROP&scope_read=1", NULL, &r), 400);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM api_keys WHERE org_id = %ld"
	    " AND name LIKE 'abc%%'", t.org), "0");
}
END_TEST

/* Invalid UTF-8 in text fields passed the checks and failed in PostgreSQL: 503. */
START_TEST(input_invalid_utf8_is_400_everywhere)
{
	struct tenant t;
	struct t_resp r;
	char path[128], body[256], csrf[128];
	const char *extra[2] = { csrf, NULL };

	tenant_new("in-utf8", &t);
	/* Invite e-mail (API). */
	snprintf(path, sizeof(path), API "/%ld/members", t.org);
	json_key(&t, "POST", path, "{\"email\":\"\xff@example.test\",\"role\":\"member\"}", &r);
	want_error(&r, 400, "invalid_utf8", "email");
	/* Billing details (API). */
	snprintf(path, sizeof(path), API "/billing-details/%ld", t.org);
	json_key(&t, "POST", path, "{\"po_number\":\"PO-1\",\"invoice_notes\":\"Caf\xe9 GmbH\"}", &r);
	want_error(&r, 400, "invalid_utf8", "invoice_notes");
	/* Surrogates and overlongs are not UTF-8 either. */
	json_key(&t, "POST", path, "{\"tax_id\":\"\xed\xa0\x80\"}", &r);
	want_error(&r, 400, "invalid_utf8", "tax_id");
	json_key(&t, "POST", path, "{\"address\":{\"city\":\"\xc0\xaf\"}}", &r);
	want_error(&r, 400, "invalid_utf8", "address");
	/* Key name (console form). */
	snprintf(body, sizeof(body), "csrf=%s&name=caf%%E9&scope_read=1", t.s.csrf);
	ck_assert_int_eq(t_form_as(t.s.cookie, "/api-keys", body, NULL, &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "invalid_utf8"));
	t_resp_free(&r);
	/* Billing details (console form). */
	snprintf(body, sizeof(body), "csrf=%s&po_number=%%C3%%28", t.s.csrf);
	ck_assert_int_eq(t_form_as(t.s.cookie, "/billing/details", body, NULL, &r), 400);
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM org_billing_details WHERE org_id = %ld",
	    t.org), "0");
	/* Sign-in e-mail. */
	t_reset_rate_limits();
	ck_assert_int_eq(t_form_as(NULL, "/login", "email=%FF%40x.test&password=x", NULL, &r), 400);
	t_resp_free(&r);
	/* A query parameter and a header. */
	snprintf(path, sizeof(path), API "/seats/%ld?q=caf%%E9", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_utf8", "q");
	snprintf(path, sizeof(path), API "/credits/%ld/deduct", t.org);
	snprintf(body, sizeof(body), "{\"user_id\":1,\"amount\":1,\"service\":\"x\"}");
	send_key(&t, "POST", path, body, strlen(body), "application/json", "Idempotency-Key: caf\xe9", &r);
	want_error(&r, 400, "invalid_utf8", "Idempotency-Key");
	/* A stray cookie of another app on the host locks nobody out. */
	snprintf(path, sizeof(path), API "/seats/%ld", t.org);
	ck_assert_int_eq(send_key(&t, "GET", path, NULL, 0, NULL, "Cookie: theme=caf\xe9", &r), 200);
	t_resp_free(&r);
	/* The same through a session (the API with a CSRF header). */
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", t.s.csrf);
	snprintf(path, sizeof(path), API "/billing-details/%ld", t.org);
	ck_assert_int_eq(t_call(t.s.cookie, NULL, "POST", path, "{\"email\":\"a\xff@b.test\"}",
	    "application/json", extra, &r), 400);
	want_error(&r, 400, "invalid_utf8", "email");
}
END_TEST

/* Unknown filter values were ignored; impossible dates failed in PostgreSQL (503). */
START_TEST(input_filters_dates_cursors_limits)
{
	struct tenant t;
	struct t_resp r;
	char path[160];

	tenant_new("in-filter", &t);
	snprintf(path, sizeof(path), API "/seats/%ld?status=bogus", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_status", "status");
	snprintf(path, sizeof(path), API "/invoices/%ld?status=bogus", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_status", "status");
	snprintf(path, sizeof(path), API "/invoices/%ld?from=2024-02-30", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_date", "from");
	snprintf(path, sizeof(path), API "/invoices/%ld?to=2023-02-29", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_date", "to");
	snprintf(path, sizeof(path), API "/invoices/%ld/export.csv?from=2024-02-30", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_date", "from");
	snprintf(path, sizeof(path), API "/invoices/%ld?from=2024-02-29&to=2024-04-30", t.org);
	ck_assert_int_eq(send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r), 200);
	t_resp_free(&r);
	/* The console's export: a page, not a 503. */
	ck_assert_int_eq(t_get_as(t.s.cookie, NULL, "/billing/export/invoices.csv?from=2024-02-30",
	    &r), 400);
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(t.s.cookie, NULL, "/invoices?to=2024-06-31", &r), 400);
	t_resp_free(&r);
	/* Credit usage ranges. */
	snprintf(path, sizeof(path), API "/credits/%ld/usage?from=2024-02-30", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "parameter_invalid", "from");
	snprintf(path, sizeof(path), API "/credits/%ld/usage?group_by=week", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "parameter_invalid", "group_by");
	/* Cursors and limits. */
	snprintf(path, sizeof(path), API "/%ld/history?limit=1e3", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_limit", "limit");
	snprintf(path, sizeof(path), API "/%ld/history?limit=0", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_limit", "limit");
	snprintf(path, sizeof(path), API "/refunds/%ld?starting_after=re_garbage", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_cursor", "starting_after");
	snprintf(path, sizeof(path), API "/credits/%ld/allocations?starting_after=99999999999999999999",
	    t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_cursor", "starting_after");
	/* A parameter the list does not take. */
	snprintf(path, sizeof(path), API "/invoices/%ld?stauts=paid", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "parameter_unknown", "stauts");
	/* A malformed query string. */
	snprintf(path, sizeof(path), API "/invoices/%ld?status=%%zz", t.org);
	send_key(&t, "GET", path, NULL, 0, NULL, NULL, &r);
	want_error(&r, 400, "invalid_query", NULL);
}
END_TEST

static size_t
collect(char *p, size_t sz, size_t n, void *ud)
{
	ob_buf_append(ud, p, sz * n);
	return sz * n;
}

/*
 * GET path over HTTP/1.1 (nginx's header and URI limits answer there; over
 * HTTP/2 it drops the stream) with one extra header line (may be NULL).
 */
static void
h1_get(const char *path, const char *header, struct t_resp *out)
{
	const char *base = t_env("OB_TEST_BASE_URL"), *host = strstr(base, "://localhost:");
	struct curl_slist *hl = NULL, *resolve = NULL;
	char *url = malloc(strlen(base) + strlen(path) + 1), ca[1024], entry[64];
	CURL *c = curl_easy_init();

	memset(out, 0, sizeof(*out));
	sprintf(url, "%s%s", base, path);
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", t_env("OB_TEST_RUN_DIR"));
	if (host != NULL) {
		snprintf(entry, sizeof(entry), "localhost:%d:127.0.0.1", atoi(host + 13));
		resolve = curl_slist_append(resolve, entry);
		curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
	}
	if (header != NULL)
		hl = curl_slist_append(hl, header);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	curl_slist_free_all(resolve);
	free(url);
	if (out->body.data == NULL)
		ob_buf_puts(&out->body, "");
}

/* nginx answered some malformed API requests with its own HTML page. */
START_TEST(input_nginx_errors_are_json_on_the_api)
{
	struct tenant t;
	struct t_resp r;
	char path[128];
	char *big, *hdr;
	size_t n = 2 * 1024 * 1024;

	tenant_new("in-nginx", &t);
	/* A body over the limit: 413 JSON on the API, a page on the console. */
	big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	snprintf(path, sizeof(path), API "/credits/%ld/settings", t.org);
	send_key(&t, "PATCH", path, big, n, "application/json", NULL, &r);
	want_error(&r, 413, "body_too_large", NULL);
	ck_assert_int_eq(t_http(NULL, "POST", "/members/invite", big, n, NULL, &r), 0);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "text/html"));
	t_resp_free(&r);
	free(big);
	/* Headers over nginx's buffers: 431 JSON on the API, a page on the console. */
	hdr = malloc(20000);
	snprintf(hdr, 20000, "X-Padding: ");
	memset(hdr + 11, 'b', 19000);
	hdr[19011] = '\0';
	h1_get(API "/plans", hdr, &r);
	want_error(&r, 431, "headers_too_large", NULL);
	h1_get("/login", hdr, &r);
	ck_assert_int_eq(r.status, 431);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "text/html"));
	t_resp_free(&r);
	/* A request line over nginx's buffers: 414 JSON (nginx cannot tell the path). */
	big = malloc(20000);
	snprintf(big, 20000, API "/plans?x=");
	memset(big + strlen(big), 'c', 19000 - strlen(big));
	big[19000] = '\0';
	h1_get(big, NULL, &r);
	ck_assert_msg(r.status == 414 || r.status == 400, "got %ld", r.status);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "application/json"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "{\"error\":{\"type\":"));
	t_resp_free(&r);
	free(big);
	free(hdr);
}
END_TEST

/* A payment method id Stripe does not know gave 502. */
START_TEST(input_unknown_payment_method_is_400)
{
	struct tenant t;
	struct t_resp r;
	char path[128];

	tenant_new("in-pm", &t);
	snprintf(path, sizeof(path), API "/subscriptions/%ld", t.org);
	json_key(&t, "POST", path, "{\"plan\":\"pro\",\"seats\":1,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_does_not_exist\"}", &r);
	want_error(&r, 400, "resource_missing", "payment_method");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM subscriptions WHERE org_id = %ld",
	    t.org), "0");
}
END_TEST

Suite *input_cases_suite(void)
{
	return t_suite("input_cases", 120, T_TESTS(input_cancel_wrongly_typed_flag_is_400,
	    input_unknown_fields_and_trailing_text, input_nul_is_refused_not_truncated,
	    input_invalid_utf8_is_400_everywhere, input_filters_dates_cursors_limits,
	    input_nginx_errors_are_json_on_the_api, input_unknown_payment_method_is_400));
}
