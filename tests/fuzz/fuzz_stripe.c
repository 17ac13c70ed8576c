/*
 * libFuzzer target: reading a Stripe API answer (stripe/client_request.c)
 * without the network: the header lines libcurl hands the client
 * (ob_stripe_header_cb: Stripe-Should-Retry, Retry-After,
 * Idempotent-Replayed, Request-Id, the size limit) and the status with
 * the body (ob_stripe_read_answer: the JSON, Stripe's error object, the
 * outcome and whether to retry).
 *
 * Input: two bytes of HTTP status (little-endian, 100 to 699), the
 * header block up to the first empty line ("\n\n" or "\r\n\r\n", each
 * line fed as libcurl feeds it, with its line end), then the body. The
 * result's strings must be NUL-terminated within their arrays; an OK
 * outcome needs a 2xx status and a JSON object.
 */
#include "fuzz.h"

#include "stripe/client_int.h"

static void
strings_terminated(const struct ob_stripe_result *out)
{
	if (memchr(out->request_id, '\0', sizeof(out->request_id)) == NULL ||
	    memchr(out->err_type, '\0', sizeof(out->err_type)) == NULL ||
	    memchr(out->err_code, '\0', sizeof(out->err_code)) == NULL ||
	    memchr(out->err_decline_code, '\0', sizeof(out->err_decline_code)) == NULL ||
	    memchr(out->err_param, '\0', sizeof(out->err_param)) == NULL ||
	    memchr(out->err_message, '\0', sizeof(out->err_message)) == NULL)
		abort();
}

/* Feed the header block's lines; the body starts after its empty line. */
static size_t
headers(const char *p, size_t size, struct ob_stripe_attempt *a)
{
	size_t off = 0, len;
	const char *nl;
	char *line;

	while (off < size) {
		nl = memchr(p + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (p + off)) + 1 : size - off;
		line = fuzz_strndup(p + off, len);
		if (ob_stripe_header_cb(line, 1, len, a) != len && !a->too_big)
			abort();
		free(line);
		off += len;
		if (len <= 2 && (len == 1 || p[off - 2] == '\r'))
			break;	/* the empty line */
		if (a->too_big)
			break;
	}
	if (a->request_id[sizeof(a->request_id) - 1] != '\0' ||
	    memchr(a->request_id, '\0', sizeof(a->request_id)) == NULL)
		abort();
	if (a->retry_after_ms != -1 && (a->retry_after_ms < 0 || a->retry_after_ms > 86400000))
		abort();
	return off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ob_stripe_attempt a;
	struct ob_stripe_result out;
	long status;
	size_t off;

	if (size < 2)
		return 0;
	status = 100 + (data[0] | data[1] << 8) % 600;
	memset(&a, 0, sizeof(a));
	a.should_retry = -1;
	a.retry_after_ms = -1;
	off = 2 + headers((const char *)data + 2, size - 2, &a);
	ob_buf_append(&a.body, (const char *)data + off, size - off);
	memset(&out, 0, sizeof(out));
	(void)ob_stripe_read_answer(status, &a, &out);
	strings_terminated(&out);
	if (out.outcome == OB_STRIPE_OK && (status < 200 || status > 299 || !cJSON_IsObject(out.body)))
		abort();
	if (out.http_status != status)
		abort();
	ob_stripe_result_clear(&out);
	ob_buf_free(&a.body);
	return 0;
}
