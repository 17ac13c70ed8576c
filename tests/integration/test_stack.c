/*
 * The whole stack over real HTTPS: nginx → spawn-fcgi'd prefork workers →
 * PostgreSQL. Readiness, security headers, limits, error shapes, worker
 * respawn, and surviving a database restart without restarting workers.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integration/harness.h"
#include "unit/unit.h"

START_TEST(stack_ready_and_healthy)
{
	struct t_resp r;

	ck_assert_int_eq(t_get("/readyz", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"status\":\"ready\""));
	ck_assert_str_eq(t_header(&r, "Content-Type"), "application/json");
	t_resp_free(&r);
	ck_assert_int_eq(t_get("/healthz", &r), 200);
	ck_assert_str_eq(r.body.data, "{\"status\":\"ok\"}\n");
	t_resp_free(&r);
}
END_TEST

START_TEST(stack_landing_page_and_headers)
{
	struct t_resp r;
	const char *h;

	ck_assert_int_eq(t_get("/", &r), 200);
	ck_assert_str_eq(t_header(&r, "Content-Type"), "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body.data, "<h1>Organization billing</h1>"));
	/* The layout's frame: navigation (a visitor's: the overview only,
	 * docs/CONSOLE.md), sign-in and footer. */
	ck_assert_ptr_null(strstr(r.body.data, "href=\"/subscription\""));
	ck_assert_ptr_null(strstr(r.body.data, "href=\"/invoices\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "href=\"/login\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "class=\"footer\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "aria-current=\"page\">Overview"));
	/* Security headers from nginx, cache policy and request id from us. */
	h = t_header(&r, "Strict-Transport-Security");
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "max-age="));
	h = t_header(&r, "Content-Security-Policy");
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "frame-ancestors 'none'"));
	ck_assert_str_eq(t_header(&r, "X-Frame-Options"), "DENY");
	ck_assert_str_eq(t_header(&r, "X-Content-Type-Options"), "nosniff");
	ck_assert_str_eq(t_header(&r, "Cache-Control"), "no-store");
	h = t_header(&r, "X-Request-Id");
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(strlen(h), 32);
	/* No version numbers handed out. */
	ck_assert_str_eq(t_header(&r, "Server"), "nginx");
	t_resp_free(&r);
}
END_TEST

START_TEST(stack_static_assets_cached)
{
	struct t_resp r;

	ck_assert_int_eq(t_get("/static/css/app.css", &r), 200);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "text/css"));
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Cache-Control"), "max-age=3600"));
	ck_assert_ptr_nonnull(t_header(&r, "ETag"));
	ck_assert_str_eq(t_header(&r, "X-Content-Type-Options"), "nosniff");
	t_resp_free(&r);
	ck_assert_int_eq(t_get("/static/nope.css", &r), 404);
	t_resp_free(&r);
	ck_assert_int_eq(t_get("/static/../Makefile", &r), 404);
	t_resp_free(&r);
}
END_TEST

START_TEST(stack_http_redirects_to_https)
{
	struct t_resp r;
	const char *loc;

	ck_assert_int_eq(t_http(t_env("OB_TEST_HTTP_URL"), "GET", "/readyz?x=1",
	    NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 308);
	ck_assert_str_eq(t_header(&r, "Server"), "nginx");
	loc = t_header(&r, "Location");
	ck_assert_ptr_nonnull(loc);
	ck_assert_msg(strncmp(loc, "https://", 8) == 0 && strstr(loc, "/readyz?x=1"),
	    "Location: %s", loc);
	t_resp_free(&r);
}
END_TEST

START_TEST(stack_body_over_limit_is_413)
{
	static const char *hdr[] = { "Content-Type: application/json", NULL };
	size_t n = 1048576 + 1;
	char *big = malloc(n);
	struct t_resp r;

	memset(big, 'a', n);
	ck_assert_int_eq(t_http(NULL, "POST", "/api/v1/org-billing/anything", big, n, hdr, &r), 0);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"code\":\"body_too_large\""));
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "application/json"));
	t_resp_free(&r);
	/* At the limit it is accepted by both nginx and the worker (and then
	 * routed: this path does not exist). */
	ck_assert_int_eq(t_http(NULL, "POST", "/api/v1/org-billing/anything", big, n - 1, hdr, &r), 0);
	ck_assert_int_eq(r.status, 404);
	t_resp_free(&r);
	free(big);
}
END_TEST

START_TEST(stack_errors_have_the_api_shape)
{
	struct t_resp r;

	ck_assert_int_eq(t_get("/api/v1/nope", &r), 404);
	ck_assert_ptr_nonnull(strstr(r.body.data,
	    "{\"error\":{\"type\":\"invalid_request_error\",\"code\":\"not_found\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":null"));
	t_resp_free(&r);

	/* The console answers a readable page instead. */
	ck_assert_int_eq(t_get("/no-such-page", &r), 404);
	ck_assert_str_eq(t_header(&r, "Content-Type"), "text/html; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body.data, "404"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "class=\"sidenav\""));
	t_resp_free(&r);

	ck_assert_int_eq(t_http(NULL, "POST", "/readyz", "", 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(t_header(&r, "Allow"), "GET");
	t_resp_free(&r);
}
END_TEST

START_TEST(stack_webhook_route_goes_to_webhook_pool)
{
	static const char *hdr[] = { "Content-Type: application/json", NULL };
	struct t_resp r;

	/* Only the webhook pool answers with the signature check's error. */
	ck_assert_int_eq(t_http(NULL, "POST", "/stripe/webhook", "{}", 2, hdr, &r), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"code\":\"signature_malformed\""));
	t_resp_free(&r);
}
END_TEST

START_TEST(stack_access_log_has_request_id)
{
	char path[2048], line[8192], want[64];
	struct t_resp r;
	FILE *f;
	int found = 0, tries;

	ck_assert_int_eq(t_get("/healthz", &r), 200);
	snprintf(want, sizeof(want), "\"request_id\":\"%s\"", t_header(&r, "X-Request-Id"));
	t_resp_free(&r);
	snprintf(path, sizeof(path), "%s/logs/app.log", t_env("OB_TEST_RUN_DIR"));
	/* The line is written after the answer: allow it a moment. */
	for (tries = 0; tries < 20 && !found; tries++) {
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, want) && strstr(line, "\"event\":\"access\"") &&
			    strstr(line, "\"path\":\"/healthz\"") && strstr(line, "\"status\":200"))
				found = 1;
		fclose(f);
		if (!found)
			t_sleep_ms(100);
	}
	ck_assert_msg(found, "no access line with %s", want);
}
END_TEST

START_TEST(stack_killed_worker_is_respawned)
{
	pid_t master = t_pidfile("app"), before[64], after[64];
	struct t_resp r;
	int n, m, i, waited, ok = 0;

	ck_assert_int_gt(master, 0);
	n = t_children(master, before, 64);
	ck_assert_int_ge(n, 2);
	ck_assert_int_eq(kill(before[0], SIGKILL), 0);
	/* Requests keep succeeding while and after it is replaced. */
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(t_get("/healthz", &r), 200);
		t_resp_free(&r);
	}
	for (waited = 0; waited < 10000; waited += 100) {
		m = t_children(master, after, 64);
		if (m == n) {
			ok = 1;
			for (i = 0; i < m; i++)
				if (after[i] == before[0])
					ok = 0;
			if (ok)
				break;
		}
		t_sleep_ms(100);
	}
	ck_assert_msg(ok, "worker not respawned (%d of %d)", m, n);
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(t_get("/readyz", &r), 200);
		t_resp_free(&r);
	}
}
END_TEST

START_TEST(stack_survives_database_restart)
{
	pid_t master = t_pidfile("app"), before[64], after[64];
	struct t_resp r;
	int n, m, i;

	n = t_children(master, before, 64);
	ck_assert_int_eq(t_stack("pg-stop"), 0);
	ck_assert_int_eq(t_get("/readyz", &r), 503);
	ck_assert_ptr_nonnull(strstr(r.body.data, "database unreachable"));
	ck_assert_str_eq(t_header(&r, "Retry-After"), "1");
	t_resp_free(&r);
	/* Liveness is not readiness: the process is fine. */
	ck_assert_int_eq(t_get("/healthz", &r), 200);
	t_resp_free(&r);
	ck_assert_int_eq(t_stack("pg-start"), 0);
	ck_assert_int_eq(t_wait_status("/readyz", 200, 15000), 0);
	/* Every worker reconnects on its own: several requests, all ready. */
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(t_get("/readyz", &r), 200);
		t_resp_free(&r);
	}
	m = t_children(master, after, 64);
	ck_assert_int_eq(m, n);
	for (i = 0; i < n; i++)
		ck_assert_msg(before[i] == after[i], "a worker was restarted");
}
END_TEST

Suite *stack_suite(void)
{
	return t_suite("stack", 60, T_TESTS(stack_ready_and_healthy,
	    stack_landing_page_and_headers, stack_static_assets_cached,
	    stack_http_redirects_to_https, stack_body_over_limit_is_413,
	    stack_errors_have_the_api_shape, stack_webhook_route_goes_to_webhook_pool,
	    stack_access_log_has_request_id, stack_killed_worker_is_respawned,
	    stack_survives_database_restart));
}
