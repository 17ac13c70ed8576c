/*
 * The checkout events' parts shared between wh_checkout.c (the handlers)
 * and wh_checkout_dup.c (undoing a second purchase).
 */
#ifndef OB_WH_CHECKOUT_H
#define OB_WH_CHECKOUT_H

#include "sync/webhook.h"
#include "identity/audit.h"

/**
 * When the completed session sess (its subscription sub, both as fetched
 * from Stripe) is a second purchase (ob_checkout_duplicate): mark it
 * (committed in a transaction of its own), then undo it at Stripe —
 * cancel sub, refund inv's payment or void inv — and set *undone to what
 * was done (a new object the caller deletes; NULL: not a duplicate).
 * inv: the first invoice as fetched, NULL when has_inv but it could not be
 * fetched (then a duplicate fails, to be retried). Call with no
 * transaction open. 0, or -1 with f.
 */
int ob_wh_checkout_guard_duplicate(struct ob_wh_ctx *cx, const struct ob_actx *ax,
    const cJSON *sess, const cJSON *sub, const cJSON *inv, int has_inv, cJSON **undone,
    struct ob_fail *f);

#endif
