/*
 * The entry points the fuzz targets drive without I/O (tests/fuzz/), held
 * to their contracts: reading a Stripe answer (ob_stripe_read_answer,
 * ob_stripe_header_cb; stripe/client.h's outcomes and retry rules) and the
 * OIDC claim checks (ob_oidc_claims_check; docs/SSO.md). Expected answers
 * are written from the contracts.
 */
#include <check.h>
#include <string.h>

#include <cJSON.h>

#include "base/buf.h"
#include "identity/oidc_jwt.h"
#include "stripe/client_int.h"
#include "unit/unit.h"

static void
attempt_init(struct ob_stripe_attempt *a, const char *body)
{
	memset(a, 0, sizeof(*a));
	a->should_retry = -1;
	a->retry_after_ms = -1;
	if (body != NULL)
		ob_buf_append(&a->body, body, strlen(body));
}

static size_t
header(struct ob_stripe_attempt *a, const char *line)
{
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", line);
	return ob_stripe_header_cb(copy, 1, strlen(copy), a);
}

START_TEST(stripe_answer_card_error)
{
	struct ob_stripe_attempt a;
	struct ob_stripe_result out = { 0 };

	attempt_init(&a, "{\"error\":{\"type\":\"card_error\",\"code\":\"card_declined\","
	    "\"decline_code\":\"insufficient_funds\",\"param\":\"source\",\"message\":\"Declined.\"}}");
	ck_assert_int_eq(ob_stripe_read_answer(402, &a, &out), 0);
	ck_assert_int_eq(out.outcome, OB_STRIPE_CARD);
	ck_assert_int_eq(out.http_status, 402);
	ck_assert_str_eq(out.err_type, "card_error");
	ck_assert_str_eq(out.err_code, "card_declined");
	ck_assert_str_eq(out.err_decline_code, "insufficient_funds");
	ck_assert_str_eq(out.err_param, "source");
	ck_assert_str_eq(out.err_message, "Declined.");
	ob_stripe_result_clear(&out);
	ob_buf_free(&a.body);
}
END_TEST

START_TEST(stripe_answer_outcomes)
{
	struct ob_stripe_attempt a;
	struct ob_stripe_result out = { 0 };

	/* 2xx with a JSON object: OK; without one: protocol, not retried. */
	attempt_init(&a, "{\"id\":\"cus_1\"}");
	ck_assert_int_eq(ob_stripe_read_answer(200, &a, &out), 0);
	ck_assert_int_eq(out.outcome, OB_STRIPE_OK);
	ob_stripe_result_clear(&out);
	ob_buf_free(&a.body);
	attempt_init(&a, "[1]");
	ck_assert_int_eq(ob_stripe_read_answer(200, &a, &out), 0);
	ck_assert_int_eq(out.outcome, OB_STRIPE_PROTOCOL);
	ob_stripe_result_clear(&out);
	ob_buf_free(&a.body);
	/* 5xx is retried unless Stripe-Should-Retry says false. */
	attempt_init(&a, "<html>down</html>");
	ck_assert_int_eq(ob_stripe_read_answer(503, &a, &out), 1);
	ck_assert_int_eq(out.outcome, OB_STRIPE_SERVER);
	ck_assert_str_eq(out.err_message, "HTTP 503 without a Stripe error body");
	ob_stripe_result_clear(&out);
	a.should_retry = 0;
	ck_assert_int_eq(ob_stripe_read_answer(503, &a, &out), 0);
	ob_stripe_result_clear(&out);
	ob_buf_free(&a.body);
	/* A 400 idempotency_error is its own outcome. */
	attempt_init(&a, "{\"error\":{\"type\":\"idempotency_error\",\"message\":\"m\"}}");
	ck_assert_int_eq(ob_stripe_read_answer(400, &a, &out), 0);
	ck_assert_int_eq(out.outcome, OB_STRIPE_IDEMPOTENCY);
	ob_stripe_result_clear(&out);
	ob_buf_free(&a.body);
}
END_TEST

START_TEST(stripe_header_lines)
{
	struct ob_stripe_attempt a;

	attempt_init(&a, NULL);
	ck_assert_uint_eq(header(&a, "HTTP/1.1 429 Too Many Requests\r\n"), 32);
	header(&a, "retry-after:  2 \r\n");
	header(&a, "Stripe-Should-Retry: true\r\n");
	header(&a, "Idempotent-Replayed: true\r\n");
	header(&a, "Request-Id: req_123\r\n");
	ck_assert_int_eq(a.retry_after_ms, 2000);
	ck_assert_int_eq(a.should_retry, 1);
	ck_assert_int_eq(a.replayed, 1);
	ck_assert_str_eq(a.request_id, "req_123");
	/* An HTTP-date and more than a day are ignored. */
	header(&a, "HTTP/1.1 503\r\n");
	ck_assert_int_eq(a.retry_after_ms, -1);
	ck_assert_int_eq(a.should_retry, -1);
	ck_assert_str_eq(a.request_id, "");
	header(&a, "Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n");
	ck_assert_int_eq(a.retry_after_ms, -1);
	header(&a, "Retry-After: 86401\r\n");
	ck_assert_int_eq(a.retry_after_ms, -1);
	/* Past OB_STRIPE_MAX_HEADERS bytes the transfer stops. */
	a.header_bytes = OB_STRIPE_MAX_HEADERS;
	ck_assert_uint_eq(header(&a, "X: y\r\n"), 0);
	ck_assert_int_eq(a.too_big, 1);
}
END_TEST

static int
claims(const char *json, char *err, size_t errlen, struct ob_oidc_claims *out)
{
	static const struct ob_oidc_expect x = {
		.issuer = "https://idp.example", .client_id = "orgbill", .nonce = "n1",
		.now = 1795000000, .skew_s = 60,
	};
	cJSON *c = cJSON_Parse(json);
	int rc;

	ck_assert_ptr_nonnull(c);
	memset(out, 0, sizeof(*out));
	rc = ob_oidc_claims_check(c, &x, out, err, errlen);
	cJSON_Delete(c);
	return rc;
}

START_TEST(oidc_claims)
{
	struct ob_oidc_claims out;
	char err[128];

	ck_assert_int_eq(claims("{\"iss\":\"https://idp.example\",\"aud\":\"orgbill\",\"sub\":\"u1\","
	    "\"nonce\":\"n1\",\"iat\":1794999990,\"exp\":1795000300,\"email\":\"a@b.c\","
	    "\"email_verified\":true}", err, sizeof(err), &out), OB_OIDC_OK);
	ck_assert_str_eq(out.sub, "u1");
	ck_assert_str_eq(out.email, "a@b.c");
	ck_assert_int_eq(out.email_verified, 1);
	/* Expired beyond the skew. */
	ck_assert_int_eq(claims("{\"iss\":\"https://idp.example\",\"aud\":\"orgbill\",\"sub\":\"u1\","
	    "\"nonce\":\"n1\",\"iat\":1794990000,\"exp\":1794999940}", err, sizeof(err), &out),
	    OB_OIDC_INVALID);
	ck_assert_str_eq(err, "the token has expired (exp)");
	/* Several audiences need azp. */
	ck_assert_int_eq(claims("{\"iss\":\"https://idp.example\",\"aud\":[\"orgbill\",\"x\"],"
	    "\"sub\":\"u1\",\"nonce\":\"n1\",\"iat\":1794999990,\"exp\":1795000300}", err,
	    sizeof(err), &out), OB_OIDC_INVALID);
	ck_assert_str_eq(err, "several audiences and no azp");
	/* A NumericDate far out of range is refused, not converted. */
	ck_assert_int_eq(claims("{\"iss\":\"https://idp.example\",\"aud\":\"orgbill\",\"sub\":\"u1\","
	    "\"nonce\":\"n1\",\"iat\":1794999990,\"exp\":1e300}", err, sizeof(err), &out),
	    OB_OIDC_INVALID);
	ck_assert_str_eq(err, "exp is missing or not a number");
}
END_TEST

Suite *fuzzreg_seams_suite(void)
{
	return t_suite("fuzzreg_seams", 0, T_TESTS(stripe_answer_card_error, stripe_answer_outcomes,
	    stripe_header_lines, oidc_claims));
}
