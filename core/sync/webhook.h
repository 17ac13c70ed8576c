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

struct ob_wh_ctx {
	struct ob_db *db;
	struct ob_stripe *stripe;	/* for handlers that fetch current objects; may be NULL */
	const char *source;		/* "delivery", "retry", "replay" */
};

/** Apply one stored event now. */
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
 * A handler brings local state in step for one event type. It runs inside
 * the event's transaction; on failure it returns -1 with f set (the event
 * is retried later). It may set *org_id to the org the event concerns.
 */
typedef int (*ob_wh_handler_fn)(struct ob_wh_ctx *cx, const cJSON *event,
    int64_t *org_id, struct ob_fail *f);

struct ob_wh_handler {
	const char *type;
	ob_wh_handler_fn fn;
	int snapshot;	/* the event carries a full object: an older one is superseded */
};

/** The handler for type, or NULL (stored and skipped). */
const struct ob_wh_handler *ob_wh_handler_for(const char *type);

#endif
