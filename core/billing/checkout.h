/*
 * ob_checkout: a new subscription bought through Stripe Checkout. The
 * console shows the order summary (ob_checkout_summary), then starts a
 * Checkout Session in subscription mode for the org's Stripe customer
 * (ob_checkout_start) and hands the browser to its page. The subscription
 * exists locally only once checkout.session.completed is applied
 * (ob_checkout_finish, from the webhook worker); until then the return
 * page shows the order as pending (ob_checkout_get). See docs/BILLING.md.
 */
#ifndef OB_CHECKOUT_H
#define OB_CHECKOUT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/db.h"
#include "base/fail.h"

struct ob_stripe;

/**
 * The order summary of a new subscription (body: plan, cycle, seats, as a
 * create checks them; the org must have no live subscription): plan,
 * plan_name, cycle, seats, currency, unit_amount, subtotal, tax (null: no
 * tax is collected), recurring_total (each period), trial (the plan's
 * trial applies: the org never had a subscription), trial_days,
 * first_charge_date ("YYYY-MM-DD" when trial, else null), total_due_today
 * (0 with a trial), all money in minor units. No Stripe call. *out: a new object. 0 or -1 with f.
 */
int ob_checkout_summary(struct ob_db *db, int64_t org_id, const cJSON *body, cJSON **out,
    struct ob_fail *f);

/**
 * Start a Checkout Session (mode subscription, the plan's Stripe price,
 * seats as quantity) for the org's Stripe customer `customer`, returning
 * to base_url + "/subscription/checkout/return" (success) or
 * "/subscription?done=checkout_canceled" (cancel), and record it. idem_key
 * (may be NULL: random) makes a retried form post replay the same session.
 * sid (len >= 256) receives the session's id. Once it is recorded, the
 * org's other sessions still open are expired at Stripe (one checkout at
 * a time). Call with no transaction open. 0 or -1 with f.
 */
int ob_checkout_start(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *customer, const cJSON *body, const char *base_url, const char *idem_key,
    char *sid, size_t len, struct ob_fail *f);

/**
 * The org's Checkout Session sid as our records show it: id, url (its
 * Stripe page), plan, cycle, seats, currency, unit_amount, total, and
 * status: "pending" until checkout.session.completed was applied, then
 * the local subscription's status ("active", "trialing", …), or
 * "expired". *out: a new object. 0, 1 when the org has no such session,
 * -1 on a database failure.
 */
int ob_checkout_get(struct ob_db *db, int64_t org_id, const char *sid, cJSON **out);

/**
 * Whether the completed session sess (its subscription stripe_sub, both
 * as fetched from Stripe) is a second purchase: the order is ours and its
 * org already has a different live subscription (two Checkout tabs both
 * paid), or it was recorded as such before. Reads only (no Stripe call,
 * no lock). 1: a duplicate, which the caller undoes at Stripe (cancel the
 * subscription, refund or void its first invoice) before finishing it; 0:
 * not; -1 on a database failure.
 */
int ob_checkout_duplicate(struct ob_db *db, const cJSON *sess, const cJSON *stripe_sub);

/**
 * Record, before the duplicate sess (see ob_checkout_duplicate) is undone
 * at Stripe, that it is one: the order is marked duplicate and audited
 * (subscription.checkout_duplicate_found), once. In the caller's
 * transaction, which it commits before calling Stripe, so a crash between
 * the calls and ob_checkout_finish leaves the order explained; the
 * event's retry finishes it. 0 or -1 with f.
 */
int ob_checkout_mark_duplicate(const struct ob_actx *ax, const cJSON *sess,
    const cJSON *stripe_sub, struct ob_fail *f);

/**
 * A Stripe Checkout Session finished (sess: the session object, as fetched
 * from Stripe): when it is complete in subscription mode, mirror its
 * subscription (stripe_sub, fetched by the caller) and mark the order
 * complete — unless undone is given (a duplicate, marked by
 * ob_checkout_mark_duplicate and canceled at Stripe: what was done, kept
 * in the audit row subscription.checkout_duplicate_canceled): then
 * nothing is mirrored. When expired, mark it
 * expired. *org_id: the order's org when it was finished now; 0 for
 * sessions not started here, which are ignored, and for a redelivered
 * duplicate. 0 or -1 with f.
 */
int ob_checkout_finish(const struct ob_actx *ax, const cJSON *sess, const cJSON *stripe_sub,
    const cJSON *undone, int64_t *org_id, struct ob_fail *f);

#endif
