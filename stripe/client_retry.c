/*
 * When the Stripe client tries again, and after how long (client.h: the
 * policy; docs/STRIPE.md).
 */
#include <errno.h>
#include <time.h>

#include "stripe/client_int.h"

/* The next jitter value (xorshift64). */
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

/* Connection-level failures; see client_int.h. */
int
ob_stripe_retry_curl(CURLcode rc)
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
int
ob_stripe_retry_status(long status, int should_retry)
{
	if (should_retry == 0)
		return 0;
	if (should_retry == 1)
		return 1;
	return status == 409 || status >= 500;
}

long
ob_stripe_backoff_ms(struct ob_stripe *s, int n, long retry_after_ms)
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

void
ob_stripe_sleep_ms(long ms)
{
	struct timespec ts, rem;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}
