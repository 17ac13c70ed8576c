/*
 * ob_subscription: an org's subscription, kept in step with Stripe.
 *
 * Every change that reaches Stripe is an operation (billing_operations):
 *   1. a short transaction writes it, pending, keyed by the caller's
 *      Idempotency-Key (or a random one), with the resolved parameters;
 *   2. ONE Stripe call is made with an Idempotency-Key derived from the
 *      operation's id ("orgbill-<kind>-op<id>"), so retries replay;
 *   3. one transaction applies Stripe's answer to the local rows, writes
 *      the audit row and marks the operation done with the answer given.
 * A Stripe refusal marks it failed (the answer is kept and replayed); an
 * unknown outcome (network, 5xx) leaves it pending and the local rows
 * untouched: a retry with the same key, or the org's next change, replays
 * the same Stripe call. A per-org advisory lock lets one change run at a
 * time. Downgrades, cycle changes and fewer seats at the period's end are
 * Stripe Subscription Schedules (two phases: the current items until the
 * period ends, then the new ones), which Stripe applies itself at renewal;
 * the webhook mirror then clears the scheduled change. Changes made now
 * (upgrades, more seats) are made only when their proration invoice is
 * paid (pending_if_incomplete; a declined card is a 402). See
 * docs/BILLING.md.
 */
#ifndef OB_SUBSCRIPTION_H
#define OB_SUBSCRIPTION_H

#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/db.h"
#include "base/fail.h"

struct ob_stripe;

/* The local mirror of an org's subscription. */
struct ob_sub {
	int64_t org_id;
	char plan[32];
	char cycle[8];
	int64_t seats;
	int64_t unit_amount;
	char currency[4];
	char status[24];
	char customer[96];
	char subscription[96];
	char item[96];
	char price[96];
	int64_t period_start;		/* Unix seconds */
	int64_t period_end;
	int64_t trial_end;		/* 0: none */
	int cancel_at_period_end;
	char cancel_reason[512];
	int64_t canceled_at;		/* 0: none */
	char sched_plan[32];		/* "" : no scheduled change */
	char sched_cycle[8];
	int64_t sched_seats;
	char schedule[96];		/* Stripe schedule id; "" : none */
	int64_t credits_period;		/* period start plan credits were granted for */
};

/** Load org_id's subscription: 0, 1 when it has none, -1 on a database failure. */
int ob_subscription_load(struct ob_db *db, int64_t org_id, struct ob_sub *s);

/** True for a subscription that still bills (not canceled or expired). */
int ob_subscription_live(const struct ob_sub *s);

/**
 * The org's subscription as the API shows it (plan, seats purchased /
 * assigned / available, period, status, scheduled change, cancellation),
 * or {"object":"subscription","status":"none"} when it has none. NULL on a
 * database failure.
 */
cJSON *ob_subscription_view(struct ob_db *db, int64_t org_id);

/*
 * The answer to a subscription change, for the caller to present: the
 * subscription as ob_subscription_view shows it after the change (an
 * update made now adds its "invoice"), or — replayed only — the error body
 * {"error":{type, code, message, param}} of a change Stripe refused.
 */
struct ob_sub_answer {
	cJSON *body;			/* a new object; the caller frees it */
	enum ob_fail_kind fail;		/* OB_FAIL_NONE, or the refusal's kind */
	int created;			/* the change made a new subscription */
	int replayed;			/* the answer recorded for an earlier request */
};

/**
 * Make a change. kind: "create" (body: plan, seats, cycle, payment_method,
 * email; the plan's trial_days on the org's first subscription; a
 * trial_days in the body is refused, parameter_unknown), "update" (plan, seats, cycle, proration_date,
 * immediate), "cancel" (reason, at_period_end), "reactivate", "unschedule"
 * (cancel the scheduled change: its schedule released). idem_key may
 * be NULL (a random one is used); hash is the request's hash (32 bytes,
 * may be NULL when idem_key is NULL). On 0, *ans holds the answer —
 * possibly one recorded for an earlier request with the same key
 * (ans->replayed), which may be a refusal (ans->fail set, ans->body the
 * error). -1 with f set when nothing was done, or when Stripe refused the
 * change now (the refusal is recorded for replays).
 */
int ob_subscription_change(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *kind, const char *idem_key, const unsigned char *hash, const cJSON *body,
    struct ob_sub_answer *ans, struct ob_fail *f);

/**
 * The exact proration lines a change (body as for "update") would produce
 * now or at body's proration_date, Stripe's to-the-second rule, plus the
 * plain per-day formula for people. No Stripe call. *out: new object.
 */
int ob_subscription_preview(struct ob_db *db, int64_t org_id, const cJSON *body,
    int64_t now, cJSON **out, struct ob_fail *f);

/**
 * Reconcile the local mirror from a Stripe subscription object (an API
 * answer or a webhook's data.object), in one transaction with one audit row
 * (action, e.g. "subscription.stripe_sync"). org_id 0: taken from the
 * object's metadata.orgbill_org. The price must be one of ours
 * (plan_stripe_prices). When the period moved on, calls
 * ob_subscription_on_new_period. For the webhook worker. 0 or -1 with f.
 */
int ob_subscription_apply_stripe(const struct ob_actx *ax, int64_t org_id,
    const cJSON *stripe_sub, const char *action, struct ob_fail *f);

/**
 * A new billing period started (or the subscription was created): grant
 * the plan's included credits (credits_per_seat × seats) for it, once per
 * period (ob_credits_grant_plan_period, idempotent per org and period),
 * and record the period. Runs inside the caller's transaction. 0 or -1.
 */
int ob_subscription_on_new_period(const struct ob_actx *ax, const struct ob_sub *s);

/**
 * Replay every pending operation older than min_age_s seconds (a crash
 * between the Stripe call and its local transaction). *done counts the
 * operations finished. 0 or -1 with f (the first failure).
 */
int ob_subscription_reconcile(const struct ob_actx *ax, struct ob_stripe *st,
    long min_age_s, int *done, struct ob_fail *f);

/**
 * A billing-portal session for the org's Stripe customer, returning to
 * return_url; *url (len >= 512) receives its address. 0 or -1 with f.
 */
int ob_subscription_portal(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    const char *return_url, const char *idem_key, char *url, size_t len, struct ob_fail *f);

#endif
