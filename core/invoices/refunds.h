/*
 * ob_refunds: staff refunds of an invoice's payment — full or partial,
 * with a reason, through Stripe with an Idempotency-Key, never more than
 * what remains refundable — and their history. charge.refunded and
 * refund.created|updated keep them in step (refunds made outside orgbill
 * are recorded too).
 *
 * The invoice's row is locked (FOR UPDATE) while the refundable amount is
 * counted and the refund's row (pending, which counts against what remains)
 * is written and committed; Stripe is then called with no transaction open
 * and its answer recorded in a new one. Two staff refunding at once are
 * serialized by the lock and cannot exceed what was paid.
 */
#ifndef OB_REFUNDS_H
#define OB_REFUNDS_H

#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/db.h"
#include "base/fail.h"

struct ob_stripe;

/** What may still be refunded: paid minus refunds succeeded or in flight (never below 0). */
int64_t ob_refunds_refundable(int64_t amount_paid, int64_t already);

/**
 * The amount to refund for a request of requested (0: everything left):
 * 0 with *amount set, or -1 with f set — nothing paid (409
 * nothing_to_refund), requested < 0 (400), requested above what remains
 * (400 amount_exceeds_refundable, param "amount").
 */
int ob_refunds_amount(int64_t amount_paid, int64_t already, int64_t requested, int64_t *amount,
    struct ob_fail *f);

/**
 * Refund amount (0: all that remains) of invoice_id (our id) of org_id,
 * with reason (3–500 characters), as ax (staff: audited as staff). opkey
 * (the client's Idempotency-Key, or NULL) makes the Stripe Idempotency-Key
 * (NULL: the new refund's id) and is kept on the refund: a request with
 * the same key finds it and resumes it (the same Stripe key replays), or
 * answers it as it stands; the same key for another invoice or amount is
 * a 409 idempotency_key_reused. Must not run inside a transaction: the
 * refund's row is committed before Stripe is called; an unknown Stripe
 * outcome leaves it pending (its refund.* webhook, or a retry, completes
 * it), a refusal marks it failed. Returns the refund object or NULL with f.
 */
cJSON *ob_refunds_create(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    int64_t invoice_id, int64_t amount, const char *reason, const char *opkey,
    struct ob_fail *f);

/**
 * A Stripe refund object (refund.created|updated, or fetched): record its
 * status; a refund made outside orgbill is added when its invoice is
 * known (invoice_hint: the charge's invoice id, may be NULL). *org_id
 * receives the org (0 if unknown). 0 or -1 with f.
 */
int ob_refunds_apply_stripe(struct ob_db *db, const cJSON *refund, const char *invoice_hint,
    int64_t *org_id, struct ob_fail *f);

/**
 * A Stripe charge (charge.refunded): the invoice's refunded total follows
 * the charge's amount_refunded. *org_id receives the org (0 if unknown).
 */
int ob_refunds_apply_charge(struct ob_db *db, const cJSON *charge, int64_t *org_id,
    struct ob_fail *f);

/** 1 if s has the form of a refund's public id ("rfd_" and 32 hex digits), else 0. */
int ob_refunds_public_id_ok(const char *s);

/**
 * The org's refunds, newest first, after the refund with the public id
 * before (NULL or "": from the newest): a list object or NULL. Refunds are
 * named outside by their public id; "invoice_id" is the invoice's.
 */
cJSON *ob_refunds_list(struct ob_db *db, int64_t org_id, const char *before, int limit);

#endif
