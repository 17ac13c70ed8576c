/*
 * ob_wh: Stripe webhook events — store (raw, once), apply (once, in its
 * own transaction, in any order), retry with backoff, replay. Parsing the
 * envelope is stripe/event.h; this is the sync layer, above the domains.
 *
 * The receiving worker verifies the signature (webhook_sig.h), stores the
 * event and applies it at once; whatever fails to apply stays stored and
 * is retried by `orgbill jobs`. Handlers (webhook_handlers.c) bring local
 * state in step with Stripe's current object, so an event delivered late
 * or twice can never overwrite newer state.
 */
#ifndef OB_SYNC_WEBHOOK_H
#define OB_SYNC_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "base/db.h"
#include "base/fail.h"
#include "stripe/event.h"

struct ob_stripe;

enum ob_wh_store {
	OB_WH_STORED,
	OB_WH_DUPLICATE,	/* the same event id was stored before */
	OB_WH_STORE_ERROR,
};

/** Store the verified event with its raw payload. */
enum ob_wh_store ob_wh_store(struct ob_db *db, const struct ob_whevent *ev,
    const char *payload, size_t len);

enum ob_wh_result {
	OB_WH_PROCESSED,
	OB_WH_SKIPPED,		/* no handler for the type, or superseded */
	OB_WH_FAILED,		/* stored for a retry */
	OB_WH_BUSY,		/* another worker holds it, or it is already done */
	OB_WH_ERROR,		/* the database failed */
};

/*
 * What a handler's fetch step brought from Stripe before the transaction
 * that applies the event began. Clear with ob_wh_pre_clear().
 */
struct ob_wh_pre {
	cJSON	*obj;		/* the event's object as Stripe has it now; NULL: use the event's */
	int64_t	 seen;		/* when obj's state was true (fetch time, else the event's creation) */
	cJSON	*rel[3];	/* related objects, in the handler's own order; NULL if not fetched */
};

/** Free what p holds and zero it. */
void ob_wh_pre_clear(struct ob_wh_pre *p);

struct ob_wh_ctx {
	struct ob_db *db;
	struct ob_stripe *stripe;	/* for fetch steps; NULL while an event is applied */
	const char *source;		/* "delivery", "retry", "replay" */
	const struct ob_wh_pre *pre;	/* the fetch step's objects, while applying */
};

/**
 * Apply one stored event now: claim it (committed), run its handler's
 * fetch step with no transaction open, then its apply step and the event's
 * outcome in one transaction. Must be called with no transaction open
 * (OB_WH_ERROR otherwise).
 */
enum ob_wh_result ob_wh_apply(struct ob_wh_ctx *cx, const char *event_id);

/**
 * Apply up to limit due events (received or failed, next attempt reached,
 * fewer than OB_WH_MAX_ATTEMPTS attempts). *applied counts processed and
 * skipped ones. Returns 0, or -1 on a database failure.
 */
int ob_wh_run_due(struct ob_wh_ctx *cx, int limit, int *applied);

/** Make an event due again now (replay). 0, -1 on failure, 1 if no such event. */
int ob_wh_rearm(struct ob_db *db, const char *event_id);

/** Seconds before retry number attempts (1, 2, …): 30 s doubling, 6 h cap. */
long ob_wh_backoff(int attempts);

#define OB_WH_MAX_ATTEMPTS 20

/**
 * The event log for the staff console: newest first, filtered by type,
 * status and org (each optional: "" / 0), after the cursor event id
 * (""), at most limit. A list object, or NULL on a database failure.
 */
cJSON *ob_wh_list(struct ob_db *db, const char *type, const char *status, int64_t org_id,
    const char *starting_after, int limit);

/**
 * One event with its raw payload and processing history, into *event (the
 * caller frees it). Returns 0; 1 if there is no such event (a read that
 * fails while the connection stays up counts as none); -1 when the database
 * cannot be reached.
 */
int ob_wh_get(struct ob_db *db, const char *event_id, cJSON **event);

/*
 * A handler brings local state in step for one event type, in two steps.
 * Its fetch step runs with NO transaction open (the event is claimed by a
 * committed lease, no row is locked) and is the only place that calls
 * Stripe: it puts the current objects into *pre (it may read the
 * database). Its apply step then runs inside the event's transaction with
 * cx->pre set and cx->stripe NULL, so it cannot call Stripe. Either returns
 * -1 with f set on failure (the event is retried later); apply may set
 * *org_id to the org the event concerns.
 */
typedef int (*ob_wh_fetch_fn)(struct ob_wh_ctx *cx, const cJSON *event,
    struct ob_wh_pre *pre, struct ob_fail *f);
typedef int (*ob_wh_handler_fn)(struct ob_wh_ctx *cx, const cJSON *event,
    int64_t *org_id, struct ob_fail *f);

struct ob_wh_handler {
	const char *type;
	ob_wh_fetch_fn fetch;
	ob_wh_handler_fn fn;
	int snapshot;	/* the event carries a full object: an older one is superseded */
};

/** A fetch step that fetches nothing (the event's own object is enough). */
int ob_wh_fetch_none(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);

/**
 * The fetch step's GET of path (e.g. "/v1/subscriptions/sub_1", escaped)
 * into *out (caller deletes). 0; 1 when Stripe says there is no such object
 * or cx has no client (*out NULL); -1 with f on any other failure.
 */
int ob_wh_stripe_get(struct ob_wh_ctx *cx, const char *path, cJSON **out, struct ob_fail *f);

/** The handler for type, or NULL (stored and skipped). */
const struct ob_wh_handler *ob_wh_handler_for(const char *type);

#endif
