/*
 * One Stripe API request: checking and building it, each attempt, reading
 * the answer, retrying (client.h: the contract).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "stripe/client_int.h"
#include "stripe/form.h"

#define STRIPE_USER_AGENT	"orgbill-stripe/1.0"
#define STRIPE_PATH_MAX		2048

static void
attempt_reset(struct ob_stripe_attempt *a)
{
	ob_buf_reset(&a->body);
	a->header_bytes = 0;
	a->too_big = 0;
	a->should_retry = -1;
	a->retry_after_ms = -1;
	a->replayed = 0;
	a->request_id[0] = '\0';
}

static size_t
client_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct ob_stripe_attempt *a = arg;
	size_t n = size * nmemb;

	if (a->body.len + n > OB_STRIPE_MAX_BODY) {
		a->too_big = 1;
		return 0;		/* aborts the transfer */
	}
	ob_buf_append(&a->body, ptr, n);
	return n;
}

/* Copy the trimmed value of header line (name: value) into dst. */
static void
header_value(const char *line, size_t len, size_t namelen, char *dst,
    size_t dstsz)
{
	const char *v = line + namelen + 1, *end = line + len;
	size_t n;

	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - v);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static int
header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

size_t
ob_stripe_header_cb(char *line, size_t size, size_t nitems, void *arg)
{
	struct ob_stripe_attempt *a = arg;
	size_t len = size * nitems;
	char val[128];

	/* A new status line (e.g. after "100 Continue"): start over. */
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		a->should_retry = -1;
		a->retry_after_ms = -1;
		a->replayed = 0;
		a->request_id[0] = '\0';
	}
	a->header_bytes += len;
	if (a->header_bytes > OB_STRIPE_MAX_HEADERS) {
		a->too_big = 1;
		return 0;
	}
	if (header_is(line, len, "Stripe-Should-Retry")) {
		header_value(line, len, strlen("Stripe-Should-Retry"), val,
		    sizeof(val));
		if (strcmp(val, "true") == 0)
			a->should_retry = 1;
		else if (strcmp(val, "false") == 0)
			a->should_retry = 0;
	} else if (header_is(line, len, "Retry-After")) {
		char *end;
		long secs;

		header_value(line, len, strlen("Retry-After"), val, sizeof(val));
		errno = 0;
		secs = strtol(val, &end, 10);
		/* Seconds only; an HTTP-date is ignored. */
		if (errno == 0 && end != val && *end == '\0' && secs >= 0 &&
		    secs <= 86400)
			a->retry_after_ms = secs * 1000;
	} else if (header_is(line, len, "Idempotent-Replayed")) {
		header_value(line, len, strlen("Idempotent-Replayed"), val,
		    sizeof(val));
		a->replayed = strcmp(val, "true") == 0;
	} else if (header_is(line, len, "Request-Id")) {
		header_value(line, len, strlen("Request-Id"), a->request_id,
		    sizeof(a->request_id));
	}
	return len;
}

static void
copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src != NULL ? src : "");
}

static enum ob_stripe_outcome
status_outcome(long status, const char *err_type)
{
	if (status >= 200 && status < 300)
		return OB_STRIPE_OK;
	if (strcmp(err_type, "idempotency_error") == 0)
		return OB_STRIPE_IDEMPOTENCY;
	switch (status) {
	case 401: return OB_STRIPE_AUTHENTICATION;
	case 402: return OB_STRIPE_CARD;
	case 403: return OB_STRIPE_PERMISSION;
	case 404: return OB_STRIPE_NOT_FOUND;
	case 409: return OB_STRIPE_CONFLICT;
	case 429: return OB_STRIPE_RATE_LIMITED;
	default:
		break;
	}
	if (status >= 500)
		return OB_STRIPE_SERVER;
	if (status >= 400)
		return OB_STRIPE_INVALID_REQUEST;
	return OB_STRIPE_PROTOCOL;	/* 1xx/3xx: not from Stripe's API */
}

/* Fill the err_* fields from Stripe's {"error":{...}} shape. */
static void
parse_error(const cJSON *body, struct ob_stripe_result *out)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");

	if (!cJSON_IsObject(e))
		return;
	copy_str(out->err_type, sizeof(out->err_type), ob_json_str(e, "type"));
	copy_str(out->err_code, sizeof(out->err_code), ob_json_str(e, "code"));
	copy_str(out->err_decline_code, sizeof(out->err_decline_code),
	    ob_json_str(e, "decline_code"));
	copy_str(out->err_param, sizeof(out->err_param), ob_json_str(e, "param"));
	copy_str(out->err_message, sizeof(out->err_message), ob_json_str(e, "message"));
}

static void
set_own_error(struct ob_stripe_result *out, enum ob_stripe_outcome o,
    const char *type, const char *msg)
{
	out->outcome = o;
	copy_str(out->err_type, sizeof(out->err_type), type);
	copy_str(out->err_message, sizeof(out->err_message), msg);
	out->err_code[0] = out->err_param[0] = out->err_decline_code[0] = '\0';
}

static int
path_ok(const char *path)
{
	size_t n = 0;

	if (path == NULL || path[0] != '/')
		return 0;
	for (; path[n] != '\0'; n++)
		if ((unsigned char)path[n] <= ' ' || path[n] == 0x7f ||
		    path[n] == '#' || n >= STRIPE_PATH_MAX)
			return 0;
	return 1;
}

/* Free a header list after wiping it: one entry holds the secret key. */
static void
slist_wipe_free(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p != NULL; p = p->next)
		if (p->data != NULL)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

/* A request checked and built once, then sent on every attempt. */
struct request {
	int		 is_post;
	int		 is_delete;
	struct ob_buf	 url;
	struct ob_buf	 form;
	struct curl_slist *headers;	/* one entry holds the secret key */
};

/* Check the arguments; on a bad one set out (usage) and return -1. */
static int
check_args(struct ob_stripe *s, const char *method, const char *path,
    const char *idempotency_key, struct request *rq,
    struct ob_stripe_result *out)
{
	if (s == NULL || method == NULL) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "no client or method");
		return -1;
	}
	rq->is_post = strcmp(method, "POST") == 0;
	rq->is_delete = strcmp(method, "DELETE") == 0;
	if (!rq->is_post && !rq->is_delete && strcmp(method, "GET") != 0) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "unsupported method");
		return -1;
	}
	if (!path_ok(path)) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "bad request path");
		return -1;
	}
	if ((rq->is_post || rq->is_delete) &&
	    (!ob_stripe_idem_part_ok(idempotency_key) ||
	    strlen(idempotency_key) > OB_STRIPE_IDEM_KEY_MAX)) {
		set_own_error(out, OB_STRIPE_USAGE, "usage",
		    "POST and DELETE need a valid Idempotency-Key");
		return -1;
	}
	return 0;
}

/* The headers of every attempt; NULL if out of memory. */
static struct curl_slist *
request_headers(struct ob_stripe *s, const struct request *rq,
    const char *idempotency_key)
{
	struct ob_buf hdr = OB_BUF_INIT;
	struct curl_slist *headers = NULL;

	ob_buf_printf(&hdr, "Authorization: Bearer %s", s->secret_key);
	headers = curl_slist_append(headers, hdr.data);
	explicit_bzero(hdr.data, hdr.len);
	ob_buf_reset(&hdr);
	headers = curl_slist_append(headers,
	    "Stripe-Version: " OB_STRIPE_API_VERSION);
	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Expect:");
	if (rq->is_post)
		headers = curl_slist_append(headers,
		    "Content-Type: application/x-www-form-urlencoded");
	if (rq->is_post || rq->is_delete) {
		ob_buf_printf(&hdr, "Idempotency-Key: %s", idempotency_key);
		headers = curl_slist_append(headers, hdr.data);
	}
	ob_buf_free(&hdr);
	return headers;
}

/* Encode params, then the URL and headers; -1 with out set on failure. */
static int
build_request(struct ob_stripe *s, const char *path, const cJSON *params,
    const char *idempotency_key, struct request *rq,
    struct ob_stripe_result *out)
{
	if (ob_stripe_form_encode(&rq->form, params) != 0) {
		set_own_error(out, OB_STRIPE_USAGE, "usage",
		    "params are not an encodable object");
		return -1;
	}
	ob_buf_puts(&rq->url, s->api_base);
	ob_buf_puts(&rq->url, path);
	if (!rq->is_post && rq->form.len > 0) {
		ob_buf_putc(&rq->url, strchr(path, '?') != NULL ? '&' : '?');
		ob_buf_append(&rq->url, rq->form.data, rq->form.len);
	}
	if ((rq->headers = request_headers(s, rq, idempotency_key)) == NULL) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "out of memory");
		return -1;
	}
	return 0;
}

/* Set the handle up for one attempt of rq, its answer going into a. */
static void
setup_attempt(struct ob_stripe *s, const struct request *rq,
    struct ob_stripe_attempt *a, char *errbuf)
{
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, rq->url.data);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, rq->headers);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, STRIPE_USER_AGENT);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    s->connect_timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, s->total_timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, client_write_cb);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, ob_stripe_header_cb);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, a);
	if (rq->is_post) {
		curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS,
		    rq->form.data != NULL ? rq->form.data : "");
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE,
		    (long)rq->form.len);
	} else if (rq->is_delete) {
		curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
	}
}

/* No HTTP answer (rc): fill out; 1 if another attempt may help. */
static int
read_failure(CURLcode rc, const struct ob_stripe_attempt *a, const char *errbuf,
    struct ob_stripe_result *out)
{
	out->http_status = 0;
	if (a->too_big) {
		set_own_error(out, OB_STRIPE_PROTOCOL, "protocol",
		    "response over the size limit");
		return 0;
	}
	set_own_error(out, OB_STRIPE_NETWORK, "network",
	    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	return ob_stripe_retry_curl(rc);
}

int
ob_stripe_read_answer(long status, const struct ob_stripe_attempt *a,
    struct ob_stripe_result *out)
{
	out->http_status = status;
	out->body = cJSON_ParseWithLength(
	    a->body.data != NULL ? a->body.data : "", a->body.len);
	set_own_error(out, OB_STRIPE_OK, "", "");
	if (out->body != NULL)
		parse_error(out->body, out);
	out->outcome = status_outcome(status, out->err_type);
	if (out->outcome == OB_STRIPE_OK && !cJSON_IsObject(out->body))
		set_own_error(out, OB_STRIPE_PROTOCOL, "protocol",
		    "2xx answer without a JSON object");
	else if (out->outcome != OB_STRIPE_OK && out->err_message[0] == '\0')
		snprintf(out->err_message, sizeof(out->err_message),
		    "HTTP %ld without a Stripe error body", status);
	return out->outcome != OB_STRIPE_OK &&
	    out->outcome != OB_STRIPE_PROTOCOL &&
	    ob_stripe_retry_status(status, a->should_retry);
}

/* An HTTP answer: fill out from it; 1 if another attempt may help. */
static int
read_answer(struct ob_stripe *s, const struct ob_stripe_attempt *a,
    struct ob_stripe_result *out)
{
	long status = 0;

	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	return ob_stripe_read_answer(status, a, out);
}

/*
 * One attempt of rq: out holds what it brought back (the last answer's
 * body and error), a its headers. 1 if another attempt may help.
 */
static int
attempt_once(struct ob_stripe *s, const struct request *rq,
    struct ob_stripe_attempt *a, struct ob_stripe_result *out)
{
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc;

	attempt_reset(a);
	errbuf[0] = '\0';
	setup_attempt(s, rq, a, errbuf);
	out->tries++;
	rc = curl_easy_perform(s->curl);
	cJSON_Delete(out->body);
	out->body = NULL;
	out->replayed = a->replayed;
	copy_str(out->request_id, sizeof(out->request_id), a->request_id);
	if (rc != CURLE_OK)
		return read_failure(rc, a, errbuf, out);
	return read_answer(s, a, out);
}

/* 0 if s's guard lets a request go now; else -1 with out set (or abort, OB_STRICT_TX). */
static int
guard_ok(struct ob_stripe *s, const char *method, const char *path, struct ob_stripe_result *out)
{
	if (s->guard == NULL || s->guard(s->guard_arg) == 0)
		return 0;
	ob_log(OB_LOG_ERROR, "stripe_in_transaction", "%s %s refused: a database transaction is open",
	    method, path);
#ifdef OB_STRICT_TX
	abort();
#endif
	set_own_error(out, OB_STRIPE_USAGE, "usage", "refused: a database transaction is open");
	return -1;
}

int
ob_stripe_request(struct ob_stripe *s, const char *method, const char *path,
    const cJSON *params, const char *idempotency_key,
    struct ob_stripe_result *out)
{
	struct request rq = { 0, 0, OB_BUF_INIT, OB_BUF_INIT, NULL };
	struct ob_stripe_attempt a;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (check_args(s, method, path, idempotency_key, &rq, out) != 0 ||
	    guard_ok(s, method, path, out) != 0 ||
	    build_request(s, path, params, idempotency_key, &rq, out) != 0)
		goto out;
	while (attempt_once(s, &rq, &a, out) && out->tries < s->max_tries)
		ob_stripe_sleep_ms(ob_stripe_backoff_ms(s, out->tries,
		    a.retry_after_ms));
out:
	slist_wipe_free(rq.headers);
	ob_buf_free(&rq.url);
	ob_buf_free(&rq.form);
	ob_buf_free(&a.body);
	return out->outcome == OB_STRIPE_OK ? 0 : -1;
}
