/*
 * ob_dunning: what happens to an org whose payment failed.
 *
 *   active ──payment failed──▶ past_due ──grace──▶ restricted ──further──▶ suspended
 *      ▲                          │                    │                       │
 *      └──────────── a successful payment, at any point (exactly once) ───────┘
 *
 * past_due: the org and its billing contacts are told (outbox). restricted
 * (after ORGBILL_DUNNING_GRACE_DAYS): metered deductions are refused with
 * 402 billing_restricted (organizations.billing_state, checked by the
 * trigger on credit_usage), the console shows a banner, billing pages work.
 * suspended (ORGBILL_DUNNING_SUSPEND_DAYS after restricted): the
 * subscription is canceled through Stripe and the org suspended. Staff may
 * lift it with a reason (no timed step until the next failure). The timed
 * steps run in `orgbill jobs`; the others on invoice.payment_failed and
 * invoice.paid. Every transition is one transaction with its audit row.
 */
#ifndef OB_DUNNING_H
#define OB_DUNNING_H

#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/db.h"
#include "base/fail.h"

struct ob_stripe;

enum ob_dunning_state {
	OB_DUNNING_ACTIVE,
	OB_DUNNING_PAST_DUE,
	OB_DUNNING_RESTRICTED,
	OB_DUNNING_SUSPENDED,
};

enum ob_dunning_event {
	OB_DUNNING_EV_FAILED,	/* a payment failed */
	OB_DUNNING_EV_PAID,	/* a payment succeeded */
	OB_DUNNING_EV_TICK,	/* time passed (the job) */
};

/** "active" … "suspended". */
const char *ob_dunning_state_name(enum ob_dunning_state s);

/** The name back to a state; 0, or -1 if unknown. */
int ob_dunning_state_parse(const char *s, enum ob_dunning_state *out);

/**
 * The state machine, pure: the state after ev, for an org in cur since
 * `since` (Unix seconds) at `now`, with the grace and further periods in
 * seconds; overridden: staff lifted the current episode (ticks change
 * nothing).
 */
enum ob_dunning_state ob_dunning_next(enum ob_dunning_state cur, enum ob_dunning_event ev,
    int64_t since, int64_t now, int64_t grace_s, int64_t suspend_s, int overridden);

/** ORGBILL_DUNNING_GRACE_DAYS (default 7) and ORGBILL_DUNNING_SUSPEND_DAYS (14), in seconds. */
void ob_dunning_periods(int64_t *grace_s, int64_t *suspend_s);

/**
 * A payment of invoice (Stripe id) failed: active → past_due (audited, the
 * billing contacts notified). notice: the text of the failure notice sent
 * for this attempt (dedupe key per invoice and attempt), may be NULL.
 * *changed is 1 when the state moved. 0 or -1 with f.
 */
int ob_dunning_on_failed(const struct ob_actx *ax, int64_t org_id, const char *invoice,
    int64_t attempt, const char *notice, int *changed, struct ob_fail *f);

/**
 * A payment succeeded: any state → active, restrictions lifted and a
 * billing suspension undone, exactly once (row lock; audited once).
 * *changed is 1 when this call restored it. 0 or -1 with f.
 */
int ob_dunning_on_paid(const struct ob_actx *ax, int64_t org_id, const char *invoice,
    int *changed, struct ob_fail *f);

/**
 * The timed steps for every org in dunning (one transaction each): past_due
 * → restricted after grace_s, restricted → suspended after suspend_s (the
 * subscription is canceled at Stripe first; st may be NULL: then the step
 * waits). *moved counts transitions. 0 or -1.
 */
int ob_dunning_run(struct ob_db *db, struct ob_stripe *st, int64_t grace_s, int64_t suspend_s,
    int *moved);

/** Staff lift an org's dunning with a reason (audited as staff). 0 or -1 with f. */
int ob_dunning_override(const struct ob_actx *ax, int64_t org_id, const char *reason,
    struct ob_fail *f);

/** {"object":"dunning","state",…} for org, or NULL (db->lasterr). */
cJSON *ob_dunning_view(struct ob_db *db, int64_t org_id);

#endif
