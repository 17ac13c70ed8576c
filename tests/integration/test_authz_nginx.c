/*
 * nginx limits unauthenticated traffic per client address before a worker
 * sees it (docs/RATELIMITS.md). The test stack exempts its own loopback
 * clients and trusts loopback's X-Forwarded-For (deploy/stack.sh), so these
 * tests speak as other addresses, as clients behind a load balancer would,
 * and meet the default limits: /login 10r/m with a burst of 20, anonymous
 * /api/ 10r/s with a burst of 20 (only a well-formed key or session cookie
 * is not anonymous), every /api/ request 50r/s with a burst of 200.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "integration/harness.h"
#include "unit/unit.h"

/* An address of a documentation range no other test or run uses. */
static void
client_addr(char *out, size_t len, int net, int n)
{
	snprintf(out, len, "X-Forwarded-For: 198.51.%d.%d", net, (int)(getpid() % 200) + n);
}

/* n GETs of path as client hdr (and bearer, may be NULL): how many got 429; the last 429 into last. */
static int
burst(const char *path, const char *hdr, const char *bearer, int n, struct t_resp *last)
{
	const char *h[3] = { hdr, NULL, NULL };
	char auth[192];
	struct t_resp r;
	int i, limited = 0;

	if (bearer != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
		h[1] = auth;
	}
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(t_http(NULL, "GET", path, NULL, 0, h, &r), 0);
		if (r.status == 429) {
			limited++;
			if (last != NULL) {
				t_resp_free(last);
				*last = r;
				continue;
			}
		} else {
			ck_assert_msg(r.status == 200, "GET %s answered %ld", path, r.status);
		}
		t_resp_free(&r);
	}
	return limited;
}

/*
 * n GETs of path with headers h (NULL-terminated): how many nginx refused
 * (its JSON 429, "from this address"); answers from the workers (401, their
 * own 429) are not counted. *first: the index of the first refusal (-1: none).
 */
static int
burst_nginx(const char *path, const char *const *h, int n, int *first)
{
	struct t_resp r;
	int i, limited = 0;

	*first = -1;
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(t_http(NULL, "GET", path, NULL, 0, h, &r), 0);
		ck_assert_msg(r.status < 500, "GET %s answered %ld", path, r.status);
		if (r.status == 429 && r.body.data != NULL &&
		    strstr(r.body.data, "from this address") != NULL) {
			ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "application/json"));
			if (*first < 0)
				*first = i;
			limited++;
		}
		t_resp_free(&r);
	}
	return limited;
}

START_TEST(nginx_limits_sign_in_per_address)
{
	char a[64], b[64];
	struct t_resp last;
	int limited;

	memset(&last, 0, sizeof(last));
	client_addr(a, sizeof(a), 100, 1);
	client_addr(b, sizeof(b), 100, 2);
	/* 1 + a burst of 20 pass; a refill takes 6 s, far longer than this. */
	limited = burst("/login", a, NULL, 40, &last);
	ck_assert_msg(limited >= 17 && limited <= 19, "%d of 40 sign-in requests limited", limited);
	ck_assert_int_eq(last.status, 429);
	/* nginx's answer: no worker's request id, no sign-in form. */
	ck_assert_ptr_eq(strstr(last.body.data, "csrf"), NULL);
	t_resp_free(&last);
	/* Another address has its own allowance; loopback (exempt) too. */
	ck_assert_int_eq(burst("/login", b, NULL, 5, NULL), 0);
	ck_assert_int_eq(burst("/login", "X-Unused: 1", NULL, 30, NULL), 0);
}
END_TEST

START_TEST(nginx_limits_anonymous_api_with_json)
{
	char a[64], key[128];
	struct t_resp last;
	int limited;

	memset(&last, 0, sizeof(last));
	client_addr(a, sizeof(a), 100, 3);
	limited = burst("/api/v1/org-billing/plans", a, NULL, 80, &last);
	ck_assert_msg(limited >= 10, "only %d of 80 anonymous API requests limited", limited);
	ck_assert_int_eq(last.status, 429);
	ck_assert_ptr_nonnull(strstr(t_header(&last, "Content-Type"), "application/json"));
	ck_assert_ptr_nonnull(strstr(last.body.data,
	    "{\"error\":{\"type\":\"rate_limit_error\",\"code\":\"rate_limited\""));
	t_resp_free(&last);
	/* A request with an API key is the workers' to limit (per key), not nginx's. */
	t_apikey_new(t_org_id("acme"), "read", key, sizeof(key));
	ck_assert_int_eq(burst("/api/v1/org-billing/plans", a, key, 30, NULL), 0);
}
END_TEST

/* A made-up Authorization header or session cookie is anonymous to nginx. */
START_TEST(nginx_made_up_credentials_are_anonymous)
{
	static const char *const shapes[] = {
		"Authorization: Bearer x",
		"Authorization: Bearer ob_aaaaaaaaaaaa_short",
		"Cookie: __Host-ob_session=x",
		"Cookie: a=1; __Host-ob_session=; b=2",
	};
	char a[64];
	const char *h[3] = { a, NULL, NULL };
	size_t i;
	int limited, first;

	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		client_addr(a, sizeof(a), 101, (int)i + 1);
		h[1] = shapes[i];
		limited = burst_nginx("/api/v1/org-billing/plans", h, 60, &first);
		ck_assert_msg(limited >= 10, "%s: only %d of 60 requests limited", shapes[i],
		    limited);
	}
}
END_TEST

/* Well-formed keys and sessions skip the anonymous zone, not the all-API one. */
START_TEST(nginx_limits_all_api_per_address)
{
	static const char key[] = "Authorization: Bearer ob_zzzzzzzzzzzz_"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char a[64];
	const char *h[3] = { a, key, NULL };
	int limited, first;

	client_addr(a, sizeof(a), 102, 1);
	/* 1 + a burst of 200 pass at once, then 50 a second. */
	limited = burst_nginx("/api/v1/org-billing/plans", h, 700, &first);
	ck_assert_msg(limited >= 1, "none of 700 requests with a key limited");
	ck_assert_msg(first >= 190, "the first refusal came after only %d requests", first);
}
END_TEST

Suite *authz_nginx_suite(void)
{
	return t_suite("authz_nginx", 90, T_TESTS(nginx_limits_sign_in_per_address,
	    nginx_limits_anonymous_api_with_json, nginx_made_up_credentials_are_anonymous,
	    nginx_limits_all_api_per_address));
}
