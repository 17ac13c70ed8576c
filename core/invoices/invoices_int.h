/*
 * Helpers shared by the files of core/invoices/ (not part of the module's
 * API; see invoices.h for that): integer members of Stripe objects with a
 * default, our ids, and Stripe calls with the module's failure mapping.
 */
#ifndef OB_INVOICES_INT_H
#define OB_INVOICES_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>
#include "base/db.h"
#include "base/fail.h"
#include "stripe/client.h"

#define OB_INV_STRIPE_ID_MAX	255	/* a Stripe id we store */

/**
 * The org's one row from statement s (whose only parameter is the org's
 * id) and the start of its API object: {"object": object, "org_id": …}
 * (new), with *q holding the row (the caller clears it); NULL with
 * db->lasterr set ("no such org" when s gave no row).
 */
cJSON *ob_inv_org_row(struct ob_db *db, enum ob_stmt s, int64_t org_id, const char *object,
    PGresult **q);

/** 1 when s is 1 to 18 decimal digits (one of our ids), else 0. */
int ob_inv_digits(const char *s);

/**
 * Bring one customer's newest max invoices (1..100) in step with Stripe;
 * *applied counts those written. 0, or -1 (Stripe or the database failed;
 * logged). No transaction may be open.
 */
int ob_inv_reconcile_customer(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    const char *customer, int max, int *applied);

/**
 * A Stripe call: method on path with params (NULL: none); anything but GET
 * carries an Idempotency-Key made from op and id. 0 with res filled (the
 * caller clears it), or -1 with f set from the outcome — a declined card
 * (payment, card_declined), a missing resource (404), a refused request
 * (409), else Stripe unavailable — and res cleared. st NULL: -1, Stripe is
 * not configured.
 */
int ob_inv_stripe_call(struct ob_stripe *st, const char *method, const char *path,
    const cJSON *params, const char *op, const char *id, struct ob_stripe_result *res,
    struct ob_fail *f);

#endif
