/*
 * The Stripe API client; the contract is in client.h, the policy in
 * docs/STRIPE.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "base/buf.h"
#include "stripe/client.h"
#include "stripe/form.h"
#include "base/mem.h"

#define STRIPE_USER_AGENT	"orgbill-stripe/1.0"
#define STRIPE_PATH_MAX		2048

struct ob_stripe {
	CURL		*curl;
	char		*api_base;	/* without a trailing '/' */
	char		*secret_key;
	size_t		 secret_len;
	long		 connect_timeout_ms;
	long		 total_timeout_ms;
	int		 max_tries;
	long		 backoff_initial_ms;
	long		 backoff_max_ms;
	unsigned long long rng;		/* xorshift64 state for jitter */
};

/* What one attempt brought back. */
struct attempt {
	struct ob_buf	 body;
	size_t		 header_bytes;
	int		 too_big;	/* body or headers over the limits */
	int		 should_retry;	/* -1 absent, 0 "false", 1 "true" */
	long		 retry_after_ms;/* -1 absent */
	int		 replayed;
	char		 request_id[128];
};

static void
attempt_reset(struct attempt *a)
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
	struct attempt *a = arg;
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

static size_t
client_header_cb(char *line, size_t size, size_t nitems, void *arg)
{
	struct attempt *a = arg;
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

static unsigned long long
client_rand(struct ob_stripe *s)
{
	unsigned long long x = s->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	s->rng = x;
	return x;
}

struct ob_stripe *
ob_stripe_new(const char *api_base, const char *secret_key,
    long connect_timeout_ms, long total_timeout_ms, int max_tries)
{
	struct ob_stripe *s = NULL;
	struct timespec ts;
	size_t n;

	if (api_base == NULL || *api_base == '\0' || secret_key == NULL ||
	    *secret_key == '\0')
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	s = ob_xcalloc(1, sizeof(*s));
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		free(s);
		curl_global_cleanup();
		return NULL;
	}
	s->api_base = ob_xstrdup(api_base);
	n = strlen(s->api_base);
	while (n > 0 && s->api_base[n - 1] == '/')
		s->api_base[--n] = '\0';
	s->secret_key = ob_xstrdup(secret_key);
	s->secret_len = strlen(secret_key);
	s->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 5000;
	s->total_timeout_ms = total_timeout_ms > 0 ? total_timeout_ms : 30000;
	if (max_tries < 1)
		max_tries = 1;
	if (max_tries > OB_STRIPE_MAX_TRIES)
		max_tries = OB_STRIPE_MAX_TRIES;
	s->max_tries = max_tries;
	s->backoff_initial_ms = 500;
	s->backoff_max_ms = 5000;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->rng = ((unsigned long long)ts.tv_sec * 1000000007ULL) ^
	    (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
	if (s->rng == 0)
		s->rng = 0x9e3779b97f4a7c15ULL;
	return s;
}

struct ob_stripe *
ob_stripe_new_from_env(void)
{
	const char *base = getenv("STRIPE_API_BASE");
	const char *key = getenv("STRIPE_SECRET_KEY");

	if (base == NULL || *base == '\0')
		base = "https://api.stripe.com";
	return ob_stripe_new(base, key, 5000, 30000, 3);
}

void
ob_stripe_free(struct ob_stripe *s)
{
	if (s == NULL)
		return;
	curl_easy_cleanup(s->curl);
	curl_global_cleanup();
	explicit_bzero(s->secret_key, s->secret_len);
	free(s->secret_key);
	free(s->api_base);
	free(s);
}

void
ob_stripe_set_backoff(struct ob_stripe *s, long initial_ms, long max_ms)
{
	if (initial_ms >= 0)
		s->backoff_initial_ms = initial_ms;
	if (max_ms >= 0)
		s->backoff_max_ms = max_ms;
	if (s->backoff_max_ms < s->backoff_initial_ms)
		s->backoff_max_ms = s->backoff_initial_ms;
}

void
ob_stripe_result_clear(struct ob_stripe_result *out)
{
	if (out == NULL)
		return;
	cJSON_Delete(out->body);
	memset(out, 0, sizeof(*out));
}

const char *
ob_stripe_outcome_name(enum ob_stripe_outcome o)
{
	switch (o) {
	case OB_STRIPE_OK:		return "ok";
	case OB_STRIPE_INVALID_REQUEST:	return "invalid_request";
	case OB_STRIPE_AUTHENTICATION:	return "authentication";
	case OB_STRIPE_CARD:		return "card";
	case OB_STRIPE_PERMISSION:	return "permission";
	case OB_STRIPE_NOT_FOUND:	return "not_found";
	case OB_STRIPE_CONFLICT:	return "conflict";
	case OB_STRIPE_IDEMPOTENCY:	return "idempotency";
	case OB_STRIPE_RATE_LIMITED:	return "rate_limited";
	case OB_STRIPE_SERVER:		return "server";
	case OB_STRIPE_NETWORK:		return "network";
	case OB_STRIPE_PROTOCOL:	return "protocol";
	case OB_STRIPE_USAGE:		return "usage";
	}
	return "unknown";
}

static int
idem_part_ok(const char *p)
{
	if (p == NULL || *p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return 1;
}

int
ob_stripe_idem_key(char *dst, size_t n, const char *op, const char *id)
{
	int len;

	if (dst == NULL || n == 0)
		return -1;
	dst[0] = '\0';
	if (!idem_part_ok(op) || !idem_part_ok(id))
		return -1;
	len = snprintf(dst, n, "orgbill-%s-%s", op, id);
	if (len < 0 || (size_t)len >= n || len > OB_STRIPE_IDEM_KEY_MAX) {
		dst[0] = '\0';
		return -1;
	}
	return 0;
}

/* Connection-level failures worth another attempt (the request may or may
 * not have reached Stripe: the idempotency key makes that safe). */
static int
curl_code_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Stripe's rule (stripe-node RequestSender._shouldRetry). */
static int
status_retryable(long status, int should_retry)
{
	if (should_retry == 0)
		return 0;
	if (should_retry == 1)
		return 1;
	return status == 409 || status >= 500;
}

/* Delay before retry number n (1 for the first retry). */
static long
backoff_ms(struct ob_stripe *s, int n, long retry_after_ms)
{
	long d = s->backoff_initial_ms;
	int i;

	for (i = 1; i < n && d < s->backoff_max_ms; i++)
		d *= 2;
	if (d > s->backoff_max_ms)
		d = s->backoff_max_ms;
	/* Jitter: d * [0.5, 1), but never below the initial delay. */
	d = d / 2 + (long)(client_rand(s) % (unsigned long long)(d / 2 + 1));
	if (d < s->backoff_initial_ms)
		d = s->backoff_initial_ms;
	if (retry_after_ms >= 0) {
		if (retry_after_ms > s->backoff_max_ms)
			retry_after_ms = s->backoff_max_ms;
		if (retry_after_ms > d)
			d = retry_after_ms;
	}
	return d;
}

static void
sleep_ms(long ms)
{
	struct timespec ts, rem;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
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
	copy_str(out->err_type, sizeof(out->err_type), cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "type")));
	copy_str(out->err_code, sizeof(out->err_code), cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "code")));
	copy_str(out->err_decline_code, sizeof(out->err_decline_code),
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e,
	    "decline_code")));
	copy_str(out->err_param, sizeof(out->err_param), cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(e, "param")));
	copy_str(out->err_message, sizeof(out->err_message),
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e,
	    "message")));
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

int
ob_stripe_request(struct ob_stripe *s, const char *method, const char *path,
    const cJSON *params, const char *idempotency_key,
    struct ob_stripe_result *out)
{
	struct ob_buf url = OB_BUF_INIT, form = OB_BUF_INIT, hdr = OB_BUF_INIT;
	struct attempt a;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	int is_post, is_delete, retry;
	CURLcode rc;
	long status;

	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	if (s == NULL || method == NULL) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "no client or method");
		goto out;
	}
	is_post = strcmp(method, "POST") == 0;
	is_delete = strcmp(method, "DELETE") == 0;
	if (!is_post && !is_delete && strcmp(method, "GET") != 0) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "unsupported method");
		goto out;
	}
	if (!path_ok(path)) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "bad request path");
		goto out;
	}
	if ((is_post || is_delete) && (!idem_part_ok(idempotency_key) ||
	    strlen(idempotency_key) > OB_STRIPE_IDEM_KEY_MAX)) {
		set_own_error(out, OB_STRIPE_USAGE, "usage",
		    "POST and DELETE need a valid Idempotency-Key");
		goto out;
	}
	if (ob_stripe_form_encode(&form, params) != 0) {
		set_own_error(out, OB_STRIPE_USAGE, "usage",
		    "params are not an encodable object");
		goto out;
	}

	ob_buf_puts(&url, s->api_base);
	ob_buf_puts(&url, path);
	if (!is_post && form.len > 0) {
		ob_buf_putc(&url, strchr(path, '?') != NULL ? '&' : '?');
		ob_buf_append(&url, form.data, form.len);
	}

	ob_buf_printf(&hdr, "Authorization: Bearer %s", s->secret_key);
	headers = curl_slist_append(headers, hdr.data);
	explicit_bzero(hdr.data, hdr.len);
	ob_buf_reset(&hdr);
	headers = curl_slist_append(headers,
	    "Stripe-Version: " OB_STRIPE_API_VERSION);
	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Expect:");
	if (is_post)
		headers = curl_slist_append(headers,
		    "Content-Type: application/x-www-form-urlencoded");
	if (is_post || is_delete) {
		ob_buf_printf(&hdr, "Idempotency-Key: %s", idempotency_key);
		headers = curl_slist_append(headers, hdr.data);
	}
	if (headers == NULL) {
		set_own_error(out, OB_STRIPE_USAGE, "usage", "out of memory");
		goto out;
	}

	for (;;) {
		attempt_reset(&a);
		errbuf[0] = '\0';
		curl_easy_reset(s->curl);
		curl_easy_setopt(s->curl, CURLOPT_URL, url.data);
		curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(s->curl, CURLOPT_USERAGENT, STRIPE_USER_AGENT);
		curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
		    s->connect_timeout_ms);
		curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, s->total_timeout_ms);
		curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, client_write_cb);
		curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &a);
		curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, client_header_cb);
		curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, &a);
		if (is_post) {
			curl_easy_setopt(s->curl, CURLOPT_POST, 1L);
			curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS,
			    form.data != NULL ? form.data : "");
			curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE,
			    (long)form.len);
		} else if (is_delete) {
			curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
		} else {
			curl_easy_setopt(s->curl, CURLOPT_HTTPGET, 1L);
		}

		out->tries++;
		rc = curl_easy_perform(s->curl);
		status = 0;
		cJSON_Delete(out->body);
		out->body = NULL;
		out->replayed = a.replayed;
		copy_str(out->request_id, sizeof(out->request_id), a.request_id);
		if (rc != CURLE_OK) {
			out->http_status = 0;
			if (a.too_big) {
				set_own_error(out, OB_STRIPE_PROTOCOL, "protocol",
				    "response over the size limit");
				break;
			}
			set_own_error(out, OB_STRIPE_NETWORK, "network",
			    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
			retry = curl_code_retryable(rc);
		} else {
			curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
			out->http_status = status;
			out->body = cJSON_ParseWithLength(
			    a.body.data != NULL ? a.body.data : "", a.body.len);
			set_own_error(out, OB_STRIPE_OK, "", "");
			if (out->body != NULL)
				parse_error(out->body, out);
			out->outcome = status_outcome(status, out->err_type);
			if (out->outcome == OB_STRIPE_OK && !cJSON_IsObject(out->body))
				set_own_error(out, OB_STRIPE_PROTOCOL, "protocol",
				    "2xx answer without a JSON object");
			else if (out->outcome != OB_STRIPE_OK &&
			    out->err_message[0] == '\0')
				snprintf(out->err_message, sizeof(out->err_message),
				    "HTTP %ld without a Stripe error body", status);
			retry = out->outcome != OB_STRIPE_OK &&
			    out->outcome != OB_STRIPE_PROTOCOL &&
			    status_retryable(status, a.should_retry);
		}
		if (!retry || out->tries >= s->max_tries)
			break;
		sleep_ms(backoff_ms(s, out->tries, a.retry_after_ms));
	}

out:
	slist_wipe_free(headers);
	ob_buf_free(&url);
	ob_buf_free(&form);
	ob_buf_free(&hdr);
	ob_buf_free(&a.body);
	return out->outcome == OB_STRIPE_OK ? 0 : -1;
}
