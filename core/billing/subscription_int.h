/*
 * Private to core/billing/subscription_*.c: what the subscription's files
 * share. Other modules use billing/subscription.h.
 *
 *   subscription_util.c     operation parameters, times, hex
 *   subscription_view.c     loading the mirror, the API view, audit pictures
 *   subscription_mirror.c   applying Stripe's subscription object locally
 *   subscription_request.c  checking a request, resolving it into an
 *                           operation's parameters
 *   subscription_preview.c  the proration preview
 *   subscription_ops.c      the operation queue: the per-org lock, running an
 *                           operation's Stripe call and recording its answer,
 *                           pending operations, renewal changes
 *   subscription_change.c   ob_subscription_change: idempotency, resolution,
 *                           queueing, running
 *   subscription_schedule.c changes at the period's end: the Stripe
 *                           Subscription Schedule made, updated, released
 *   subscription_portal.c   the billing-portal session
 */
#ifndef OB_SUBSCRIPTION_INT_H
#define OB_SUBSCRIPTION_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "billing/plans.h"
#include "billing/subscription.h"

struct ob_stripe;
struct ob_stripe_result;

/* Copy s (NULL: "") into dst of n bytes, truncating. */
static inline void
ob_sub_copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "");
}

/* ---- subscription_util.c ---- */

/** o[name] = v as a JSON string of decimal digits (operation parameters). */
void ob_sub_put_i64(cJSON *o, const char *name, int64_t v);

/** Unix seconds t as "YYYY-MM-DDTHH:MM:SSZ" into buf; "" when t <= 0. */
void ob_sub_iso_time(int64_t t, char *buf, size_t n);

/** o[name] = t as ob_sub_iso_time text, or null when t <= 0. */
void ob_sub_add_time(cJSON *o, const char *name, int64_t t);

/** n bytes of p as lower-case hex into out (2n + 1 bytes). */
void ob_sub_hex(const unsigned char *p, size_t n, char *out);

/* ---- subscription_view.c ---- */

/** The compact before/after picture of s for audit rows (a new object). */
cJSON *ob_sub_audit_state(const struct ob_sub *s);

/* ---- subscription_mirror.c ---- */

/**
 * Roll back ax's transaction and return -1; f gets a database failure
 * unless it already holds one.
 */
int ob_sub_tx_fail(const struct ob_actx *ax, struct ob_fail *f);

/**
 * Finish operation op_id as done with view (the org's subscription view,
 * kept as the answer a replay gives) and commit. 0, or -1 with f (a
 * database failure; the transaction is rolled back). view stays the caller's.
 */
int ob_sub_op_record_done(const struct ob_actx *ax, int64_t op_id, const cJSON *view,
    struct ob_fail *f);

/**
 * Apply a Stripe subscription object to org_id's row (0: the org in its
 * metadata), in one transaction with one audit row (action). cancel_reason:
 * set it (NULL: keep; "": clear); clear_schedule: forget a scheduled
 * change. A canceled old subscription never replaces a live newer one (0,
 * nothing written). 0, or -1 with f (rolled back).
 */
int ob_sub_apply(const struct ob_actx *ax, int64_t org_id, const cJSON *obj,
    const char *action, const char *cancel_reason, int clear_schedule, struct ob_fail *f);

/* ---- subscription_request.c ---- */

/**
 * Whether seats (used of them assigned) fit plan p: 1 to 100000, within
 * its user limit, not below the assigned ones. 0 or -1 with f.
 */
int ob_sub_seats_ok(const struct ob_plan *p, int64_t seats, int64_t used, struct ob_fail *f);

/**
 * The trial days a new subscription to p gets: the plan's trial_days when
 * the org never had a subscription (had: ob_subscription_load's answer, 1
 * for none), else 0.
 */
int ob_sub_trial_days(const struct ob_plan *p, int had);

/* What an update asks for, checked against the current subscription. */
struct ob_sub_change {
	struct ob_plan from, to;
	char cycle[8];
	int64_t seats;
	int64_t proration_date;
	int immediate;		/* 1: now with proration; 0: at period end */
};

/**
 * Check an update (body: plan, cycle, seats, proration_date, immediate)
 * against cur at time now into *c, deciding its timing: a cycle change,
 * fewer seats or a lower tier at the period's end (a lower tier keeping
 * its seats may ask for now), the rest now. Fewer seats with "immediate"
 * or with a higher tier are refused. 0 or -1 with f.
 */
int ob_sub_resolve_change(struct ob_db *db, int64_t org_id, const struct ob_sub *cur,
    const cJSON *body, int64_t now, struct ob_sub_change *c, struct ob_fail *f);

/**
 * Resolve a request of kind (create, update, cancel, reactivate) into an
 * operation's parameters (*params, a new object): checked, Stripe price
 * looked up or made. cur/had: the org's subscription as loaded (had 1:
 * none). *scheduled = 1 for an update at the period's end (run as a
 * "schedule" operation). 0 or -1 with f.
 */
int ob_sub_resolve(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *kind, const struct ob_sub *cur, int had, const cJSON *body,
    cJSON **params, int *scheduled, struct ob_fail *f);

/* ---- subscription_ops.c ---- */

/* One billing_operations row being run. */
struct ob_sub_op {
	int64_t id;
	char kind[24];		/* create, update, cancel, reactivate, schedule, unschedule */
	cJSON *params;		/* resolved parameters; owned by the caller */
};

/**
 * Try the org's change lock (a session advisory lock): *got 1 when taken.
 * 0, or -1 on a database failure.
 */
int ob_sub_lock(struct ob_db *db, int64_t org_id, int *got);

/** Release the org's change lock. */
void ob_sub_unlock(struct ob_db *db, int64_t org_id);

/** Fill op from a result row (columns id, kind, params). 0, or -1 on bad params. */
int ob_sub_op_from_row(const PGresult *res, int row, struct ob_sub_op *op);

/**
 * Write op (kind and params set) pending under (org_id, key) with the
 * request's hash (hex), in its own statement; sets op->id. 0 or -1 with f.
 */
int ob_sub_op_insert(struct ob_db *db, int64_t org_id, const char *key,
    const char *hash_hex, struct ob_sub_op *op, struct ob_fail *f);

/**
 * Run op's Stripe call(s) and apply the answer. 0: done (the answer in
 * *ans, op finished with it); 1: Stripe refused (op finished failed, f
 * set); -1: unknown outcome or database failure (op left pending, f set).
 */
int ob_sub_op_exec(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const struct ob_sub_op *op, struct ob_sub_answer *ans, struct ob_fail *f);

/**
 * op's Stripe call (method, path, params) with the idempotency key named
 * by what and the operation's id. 0 (*res holds the answer; clear it), or
 * -1 with f and *transient (1: outcome unknown, retry the same call).
 */
int ob_sub_op_call(struct ob_stripe *st, const char *method, const char *path,
    const cJSON *params, const char *what, int64_t op_id, struct ob_stripe_result *res,
    int *transient, struct ob_fail *f);

/**
 * Finish operation op_id as failed with the error answer f, in its own
 * transaction.
 */
void ob_sub_op_failed(struct ob_db *db, int64_t op_id, const struct ob_fail *f);

/**
 * The answer of a finished operation: org_id's view, op finished done with
 * it, in the caller's transaction, committed. 0 (*ans set) or -1 with f
 * (rolled back).
 */
int ob_sub_op_done(const struct ob_actx *ax, int64_t org_id, const struct ob_sub_op *op,
    struct ob_sub_answer *ans, struct ob_fail *f);

/* ---- subscription_schedule.c ---- */

/**
 * Run a "schedule" operation (make or update the subscription's schedule:
 * the current items until the period ends, then the new price and seats;
 * recorded as the scheduled change) or an "unschedule" one (release it,
 * forget the change). Returns as ob_sub_op_exec.
 */
int ob_sub_sched_exec(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const struct ob_sub_op *op, struct ob_sub_answer *ans, struct ob_fail *f);

/**
 * Release the schedule named by op's params.schedule, if any ("" or
 * absent: nothing to do), before a change that replaces the scheduled one.
 * 0, or -1 with f and *transient.
 */
int ob_sub_sched_release(struct ob_stripe *st, const struct ob_sub_op *op, int *transient,
    struct ob_fail *f);

/**
 * The recorded outcome of a finished operation (billing_operations.
 * outcome_kind, written by ob_sub_op_exec): OB_FAIL_NONE when it is
 * done, else the kind of its refusal.
 */
enum ob_fail_kind ob_sub_op_outcome(int64_t stored);

/**
 * Finish the org's oldest pending operation, if any (the caller holds the
 * org's lock). 0 (none, done, or refused and recorded), or -1 with f
 * (conflict "operation_pending" when its outcome is still unknown).
 */
int ob_sub_drain_pending(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f);

#endif
