/*
 * The Stripe API client: making and freeing one, idempotency keys,
 * outcome names. Sending a request is client_request.c; the contract is
 * in client.h, the policy in docs/STRIPE.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stripe/client_int.h"
#include "base/mem.h"

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
ob_stripe_new_default(const char *api_base, const char *secret_key)
{
	if (secret_key == NULL || secret_key[0] == '\0')
		return NULL;
	return ob_stripe_new(api_base, secret_key, OB_STRIPE_CONNECT_MS, OB_STRIPE_TOTAL_MS,
	    OB_STRIPE_TRIES);
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
ob_stripe_set_guard(struct ob_stripe *s, ob_stripe_guard_fn guard, void *arg)
{
	s->guard = guard;
	s->guard_arg = arg;
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

int
ob_stripe_idem_part_ok(const char *p)
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
	if (!ob_stripe_idem_part_ok(op) || !ob_stripe_idem_part_ok(id))
		return -1;
	len = snprintf(dst, n, "orgbill-%s-%s", op, id);
	if (len < 0 || (size_t)len >= n || len > OB_STRIPE_IDEM_KEY_MAX) {
		dst[0] = '\0';
		return -1;
	}
	return 0;
}
