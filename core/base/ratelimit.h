/*
 * ob_rl: the rate limiter, per identity and route class.
 *
 * Two backends, chosen by class (docs/RATELIMITS.md):
 *
 *   - READ, WRITE, METER: a fixed table in shared memory, mapped by the
 *     prefork master before it forks, so every worker on the host counts
 *     into the same slots. Sliding-window estimate, no system call and no
 *     database round trip (the metering hot path). Per host.
 *   - SUBSCRIPTION, REFUND, LOGIN: one atomic upsert in PostgreSQL per
 *     request, fixed windows on the database's clock. Exact across hosts.
 *
 * A caller that is denied answers 429 with the headers from ob_rl_headers
 * and the body from ob_rl_error_body.
 */
#ifndef OB_RATELIMIT_H
#define OB_RATELIMIT_H

#include <stddef.h>

#include "base/buf.h"

struct ob_db;
struct ob_rl;

enum ob_rl_class {
	OB_RL_READ,		/* GET: 100/60, shared memory */
	OB_RL_WRITE,		/* POST: 20/60, shared memory */
	OB_RL_METER,		/* metering calls: 100000/60 per key, shared memory */
	OB_RL_SUBSCRIPTION,	/* subscription changes: 5/3600, database */
	OB_RL_REFUND,		/* refunds: 3/60, database */
	OB_RL_LOGIN,		/* login attempts: 10/900, database */
	/* Staff console actions, per staff user (docs/ADMIN.md); fixed, not settings. */
	OB_RL_STAFF_SEATS,	/* seat quantity: 10/60, database */
	OB_RL_STAFF_SUBSCRIPTION, /* cancel, reactivate: 5/60, database */
	OB_RL_STAFF_SUSPEND,	/* suspend, activate: 5/60, database */
	OB_RL_STAFF_SYNC,	/* re-sync from Stripe: 10/60, database */
	OB_RL_STAFF_REPROCESS,	/* reprocess a webhook event: 10/60, database */
	OB_RL__MAX
};

#define OB_RL_LIMIT_MAX		1000000000L	/* requests per window */
#define OB_RL_WINDOW_MAX	86400L		/* seconds (the cleanup keeps a day) */
#define OB_RL_SLOTS_DEFAULT	65536

struct ob_rl_result {
	int  allowed;		/* 1: go on; 0: answer 429 */
	long limit;		/* the class's limit per window */
	long remaining;		/* requests left in the window after this one */
	long reset;		/* epoch seconds when the current window ends */
	long retry_after;	/* seconds (>= 1) when denied; 0 when allowed */
};

/**
 * Map a shared table of slots (rounded up to a power of two, at least 8;
 * 0 means OB_RL_SLOTS_DEFAULT) and set every class to its default. Call in
 * the master before forking: the workers inherit the mapping and share it.
 * Returns the limiter (free with ob_rl_destroy), or NULL if libsodium or
 * mmap failed or slots is larger than 2^24.
 */
struct ob_rl *ob_rl_create(size_t slots);

/** Unmap the table and free rl (NULL is allowed). Other processes keep theirs. */
void ob_rl_destroy(struct ob_rl *rl);

/**
 * Set class c to limit requests per window_s seconds (1..OB_RL_LIMIT_MAX,
 * 1..OB_RL_WINDOW_MAX). Affects this process only: configure before fork.
 * Returns 0, or -1 (nothing changed) for an unknown class or a value out
 * of range.
 */
int ob_rl_set(struct ob_rl *rl, enum ob_rl_class c, long limit, long window_s);

/** The class's name ("read", "write", "meter", "subscription", "refund", "login"), or NULL. */
const char *ob_rl_class_name(enum ob_rl_class c);

/** The class's environment variable ("ORGBILL_RATE_READ", …), or NULL (staff classes: fixed). */
const char *ob_rl_class_env(enum ob_rl_class c);

/** The class's default spec ("100/60", …), or NULL. */
const char *ob_rl_class_default(enum ob_rl_class c);

/** 1 if class c is counted in PostgreSQL (exact across hosts), 0 if in shared memory. */
int ob_rl_class_uses_db(enum ob_rl_class c);

/**
 * Parse "LIMIT/SECONDS" (digits only, e.g. "100/60", "10/900") into
 * *limit and *window_s. Returns 0, or -1 (outputs untouched) for anything
 * else or values outside 1..OB_RL_LIMIT_MAX and 1..OB_RL_WINDOW_MAX.
 */
int ob_rl_parse_spec(const char *s, long *limit, long *window_s);

/**
 * Configure every class from specs, indexed by class: a NULL or empty
 * entry means the class's default. All or nothing: returns 0, or -1 with
 * "ORGBILL_RATE_…: …" in err and no class changed.
 */
int ob_rl_configure(struct ob_rl *rl, const char *const specs[OB_RL__MAX],
    char *err, size_t errlen);

/**
 * ob_rl_configure with the specs from the environment variables
 * ORGBILL_RATE_READ … ORGBILL_RATE_LOGIN (unset: the default).
 * Returns 0, or -1 with a one-line reason in err.
 */
int ob_rl_configure_from_env(struct ob_rl *rl, char *err, size_t errlen);

/**
 * Replace the clock (epoch seconds) for tests; NULL restores time(). While
 * a test clock is set it is also sent to the database backend in place of
 * the server's clock. Affects this process (and children forked later).
 */
void ob_rl_set_clock(struct ob_rl *rl, long (*now)(void));

/**
 * Count one request of class c by identity (an API key id, a user id, an
 * address; any bytes; NULL counts as "") and fill *out. A request is
 * counted only when allowed.
 *
 * Shared-memory classes never fail and ignore db (which may be NULL).
 * Database classes run one statement on db, which must not be inside a
 * transaction (a rollback would undo the count). Returns 0, or -1 when the
 * database backend failed (db->lasterr says why), db is NULL or in a
 * transaction, or c is unknown; *out then describes a denial (retry_after
 * 1) so that failing closed (logins) needs no more work, and the caller
 * decides whether to fail open instead.
 */
int ob_rl_hit(struct ob_rl *rl, struct ob_db *db, enum ob_rl_class c,
    const char *identity, struct ob_rl_result *out);

/**
 * Append the response headers for r, each ending in CRLF:
 * X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, and
 * Retry-After when r denies.
 */
void ob_rl_headers(const struct ob_rl_result *r, struct ob_buf *out);

/**
 * Append the 429 body:
 * {"error":{"type":"rate_limit_error","code":"rate_limited","message":…,"param":null}}.
 */
void ob_rl_error_body(const struct ob_rl_result *r, struct ob_buf *out);

/**
 * Delete database windows that started more than a day ago (the jobs
 * runner calls this). Returns 0 with the row count in *deleted (if not
 * NULL), or -1 with db->lasterr set.
 */
int ob_rl_cleanup(struct ob_db *db, long *deleted);

#endif
