/*
 * The Stripe client's own internals, shared by its files only:
 * stripe/client.c (the client, keys), stripe/client_request.c (one
 * request and its attempts), stripe/client_retry.c (when and how long to
 * wait before another attempt). Nothing outside stripe/client*.c includes
 * this but tests/fuzz/fuzz_stripe.c (reading answers without the network);
 * the contract is stripe/client.h.
 */
#ifndef OB_STRIPE_CLIENT_INT_H
#define OB_STRIPE_CLIENT_INT_H

#include <curl/curl.h>

#include "base/buf.h"
#include "stripe/client.h"

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
	ob_stripe_guard_fn guard;	/* asked before sending; NULL: none */
	void		*guard_arg;
};

/** 1 if p is non-empty printable ASCII without spaces (a key part), else 0. */
int ob_stripe_idem_part_ok(const char *p);

/**
 * 1 if a transfer that failed with rc is worth another attempt (the
 * request may or may not have reached Stripe: the idempotency key makes
 * that safe), else 0.
 */
int ob_stripe_retry_curl(CURLcode rc);

/**
 * 1 if an HTTP answer with status is worth another attempt, given the
 * Stripe-Should-Retry header (-1 absent, 0 "false", 1 "true"), else 0.
 */
int ob_stripe_retry_status(long status, int should_retry);

/**
 * The delay in milliseconds before retry number n (1 for the first):
 * jittered exponential backoff within s's bounds, at least retry_after_ms
 * (-1: none) up to the cap.
 */
long ob_stripe_backoff_ms(struct ob_stripe *s, int n, long retry_after_ms);

/** Sleep ms milliseconds, resuming after signals. */
void ob_stripe_sleep_ms(long ms);

/* What one attempt brought back (client_request.c). */
struct ob_stripe_attempt {
	struct ob_buf	 body;
	size_t		 header_bytes;
	int		 too_big;	/* body or headers over the limits */
	int		 should_retry;	/* -1 absent, 0 "false", 1 "true" */
	long		 retry_after_ms;/* -1 absent */
	int		 replayed;
	char		 request_id[128];
};

/**
 * libcurl's header callback for an attempt (arg): counts the header bytes
 * against OB_STRIPE_MAX_HEADERS (0 when over: the transfer stops) and reads
 * Stripe-Should-Retry, Retry-After, Idempotent-Replayed and Request-Id. A
 * new status line starts over. Returns the bytes taken.
 */
size_t ob_stripe_header_cb(char *line, size_t size, size_t nitems, void *arg);

/**
 * Read an HTTP answer: status and a's body (parsed as JSON into
 * out->body, Stripe's {"error":{...}} into err_*) into out's outcome.
 * Returns 1 if another attempt may help (a's Stripe-Should-Retry taken
 * into account), else 0.
 */
int ob_stripe_read_answer(long status, const struct ob_stripe_attempt *a,
    struct ob_stripe_result *out);

#endif
