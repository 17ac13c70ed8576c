/*
 * ob_stripe: the Stripe API client. One struct ob_stripe per worker; it
 * owns one libcurl easy handle (so connections are reused) and is not
 * thread-safe. Every request:
 *
 *   - goes to api_base + path ("/v1/customers"), with
 *     "Authorization: Bearer <secret key>" and
 *     "Stripe-Version: " OB_STRIPE_API_VERSION;
 *   - sends params form-encoded (stripe/form.h): as the body of a POST, as
 *     the query string of a GET or DELETE;
 *   - carries, when it is a POST or DELETE, the caller's Idempotency-Key
 *     (derive it from our own operation id with ob_stripe_idem_key(), so a
 *     retry, even from another process, cannot charge or change twice);
 *   - is retried as Stripe's own libraries retry: connection errors and
 *     timeouts, 409 and 5xx are retried; "Stripe-Should-Retry: true|false"
 *     overrides that either way; a 429 is retried only when told to; at
 *     most max_tries attempts in all, with jittered exponential backoff
 *     (initial 500 ms, doubled per retry, capped at 5 s, then multiplied by
 *     a random factor in [0.5, 1), never below the initial delay) and a
 *     Retry-After header honoured up to the cap.
 *
 * Response bodies are capped at OB_STRIPE_MAX_BODY bytes and headers at
 * OB_STRIPE_MAX_HEADERS bytes. The secret key is never logged or copied
 * into a result. See docs/STRIPE.md.
 */
#ifndef OB_STRIPE_CLIENT_H
#define OB_STRIPE_CLIENT_H

#include <stddef.h>

#include <cJSON.h>

/* The Stripe API version every request is pinned to (docs/STRIPE.md). */
#define OB_STRIPE_API_VERSION "2026-10-28.endive"

#define OB_STRIPE_MAX_BODY	(4u * 1024 * 1024)
#define OB_STRIPE_MAX_HEADERS	(64u * 1024)
#define OB_STRIPE_MAX_TRIES	10
#define OB_STRIPE_IDEM_KEY_MAX	255	/* Stripe's limit, without the NUL */

struct ob_stripe;

/* What became of a request, after any retries. */
enum ob_stripe_outcome {
	OB_STRIPE_OK = 0,		/* 2xx with a JSON body */
	OB_STRIPE_INVALID_REQUEST,	/* 400 (or other 4xx): invalid_request_error */
	OB_STRIPE_AUTHENTICATION,	/* 401: bad or missing API key */
	OB_STRIPE_CARD,			/* 402: card_error (declined ...) */
	OB_STRIPE_PERMISSION,		/* 403 */
	OB_STRIPE_NOT_FOUND,		/* 404: resource_missing */
	OB_STRIPE_CONFLICT,		/* 409 after the allowed retries */
	OB_STRIPE_IDEMPOTENCY,		/* 400 idempotency_error: key reused
					   with other parameters */
	OB_STRIPE_RATE_LIMITED,		/* 429 not retried or retries exhausted */
	OB_STRIPE_SERVER,		/* 5xx after the allowed retries */
	OB_STRIPE_NETWORK,		/* no HTTP answer: connect failure,
					   timeout, dropped connection */
	OB_STRIPE_PROTOCOL,		/* an answer we cannot use: not JSON,
					   body or headers over the limits */
	OB_STRIPE_USAGE			/* bad arguments (no idempotency key
					   on a POST, bad method or path) */
};

/* The result of one ob_stripe_request(); clear it with
 * ob_stripe_result_clear(). Strings are NUL-terminated, truncated to fit. */
struct ob_stripe_result {
	enum ob_stripe_outcome outcome;
	long	 http_status;		/* of the last attempt; 0 if none */
	cJSON	*body;			/* owned: parsed JSON of the last answer,
					   or NULL */
	int	 tries;			/* attempts made, >= 1 once sent */
	int	 replayed;		/* Idempotent-Replayed: true was seen */
	char	 request_id[128];	/* Request-Id header of the last answer */
	char	 err_type[64];		/* error.type, or "network"/"protocol"/
					   "usage" for our own failures */
	char	 err_code[64];		/* error.code (e.g. resource_missing) */
	char	 err_decline_code[64];	/* error.decline_code (card errors) */
	char	 err_param[128];	/* error.param */
	char	 err_message[256];	/* error.message, or what went wrong */
};

/**
 * Create a client for api_base (e.g. "https://api.stripe.com", no trailing
 * path; a trailing '/' is dropped) authenticating with secret_key. Timeouts
 * are per attempt, in milliseconds (connect, whole transfer); max_tries is
 * clamped to 1..OB_STRIPE_MAX_TRIES. Calls curl_global_init(). Returns
 * NULL if an argument is NULL or empty or curl cannot make a handle. Free
 * with ob_stripe_free().
 */
struct ob_stripe *ob_stripe_new(const char *api_base, const char *secret_key,
    long connect_timeout_ms, long total_timeout_ms, int max_tries);

/*
 * The one set of timeouts every orgbill process uses: connect 5 s, the
 * whole transfer 20 s, 3 tries (docs/STRIPE.md).
 */
#define OB_STRIPE_CONNECT_MS	5000
#define OB_STRIPE_TOTAL_MS	20000
#define OB_STRIPE_TRIES		3

/**
 * ob_stripe_new with the timeouts above; NULL when secret_key is empty
 * (no Stripe configured) or the client cannot be made.
 */
struct ob_stripe *ob_stripe_new_default(const char *api_base, const char *secret_key);

/**
 * Create a client from the environment: STRIPE_API_BASE (default
 * https://api.stripe.com) and STRIPE_SECRET_KEY (required), with the
 * default timeouts (connect 5 s, total 30 s) and 3 tries. NULL if
 * STRIPE_SECRET_KEY is unset or empty.
 */
struct ob_stripe *ob_stripe_new_from_env(void);

/** Release s (NULL is fine); the copy of the secret key is wiped. */
void ob_stripe_free(struct ob_stripe *s);

/**
 * Change the backoff: first retry delay initial_ms, cap max_ms (defaults
 * 500 and 5000, as Stripe's libraries). For tests. Values < 0 are ignored;
 * max_ms is raised to initial_ms if below it.
 */
void ob_stripe_set_backoff(struct ob_stripe *s, long initial_ms, long max_ms);

/**
 * Send one API request and wait for its outcome, retrying as described
 * above. method is "GET", "POST" or "DELETE"; path starts with '/' (e.g.
 * "/v1/subscriptions/sub_123"; escape ids with ob_stripe_form_escape());
 * params is a cJSON object or NULL; idempotency_key is required (non-empty,
 * printable ASCII, <= OB_STRIPE_IDEM_KEY_MAX) for POST and DELETE and
 * ignored for GET. The same key is sent on every attempt.
 *
 * out is overwritten (any previous content is not freed: clear it first).
 * Returns 0 when out->outcome is OB_STRIPE_OK, -1 otherwise; either way
 * out must be released with ob_stripe_result_clear().
 */
int ob_stripe_request(struct ob_stripe *s, const char *method,
    const char *path, const cJSON *params, const char *idempotency_key,
    struct ob_stripe_result *out);

/*
 * A guard asked before every request is sent: it returns nonzero when no
 * Stripe call may be made now (the process's database connection is inside
 * a transaction: docs/ARCHITECTURE.md, "No Stripe call inside a
 * transaction"). arg is the guard's own.
 */
typedef int (*ob_stripe_guard_fn)(void *arg);

/**
 * Install guard (NULL: none) on s. A request the guard refuses is not
 * sent: it is logged (stripe_in_transaction) and fails with
 * OB_STRIPE_USAGE; a build with OB_STRICT_TX (the sanitizer build the
 * tests run) aborts instead, so every test that reaches such a call fails.
 */
void ob_stripe_set_guard(struct ob_stripe *s, ob_stripe_guard_fn guard, void *arg);

/** Free out->body and zero out. */
void ob_stripe_result_clear(struct ob_stripe_result *out);

/**
 * Write into dst (size n) the idempotency key for one of our operations:
 * "orgbill-" op "-" id, e.g. ob_stripe_idem_key(k, sizeof k,
 * "sub-update", "7f1c...:42") gives "orgbill-sub-update-7f1c...:42". The
 * same (op, id) always gives the same key. op and id must be non-empty
 * printable ASCII without spaces. Returns 0, or -1 (dst set to "") when
 * they are not or the key would exceed OB_STRIPE_IDEM_KEY_MAX or n - 1.
 */
int ob_stripe_idem_key(char *dst, size_t n, const char *op, const char *id);

/** A short stable name for an outcome ("ok", "rate_limited", ...). */
const char *ob_stripe_outcome_name(enum ob_stripe_outcome o);

#endif
