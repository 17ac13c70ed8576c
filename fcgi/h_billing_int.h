/*
 * Private to fcgi/h_billing*.c: what the billing handlers' files share.
 *
 *   h_billing.c             the Stripe client, failures; plans, portal,
 *                           usage and limits (API)
 *   h_billing_api_subs.c    subscriptions (API)
 *   h_billing_api_seats.c   seats (API) and the automatic seat increase
 *   h_billing_page_subs.c   the subscription page and its forms, the
 *                           billing hero
 *   h_billing_page_seats.c  the seats page and its forms
 */
#ifndef OB_H_BILLING_INT_H
#define OB_H_BILLING_INT_H

#include <cJSON.h>

#include "base/fail.h"
#include "billing/seats.h"
#include "fcgi/req.h"

/** Answer a core failure: 0 when answered, -1 (the worker's 503) for a database failure. */
int ob_h_billing_fail(struct ob_req *r, const struct ob_fail *f);

/**
 * Apply rows to the request's org (ob_seats_apply); when seats run out and
 * the org turned automatic seat increase on, buy the missing seats first
 * (one subscription change) and try again. 0 with *result; or -1 with f
 * (errors collects bad rows).
 */
int ob_h_billing_seats_apply(struct ob_req *r, const struct ob_seat_row *rows, int n,
    cJSON *errors, cJSON **result, struct ob_fail *f);

/** Console: turn the exact integers (raw JSON numbers) of a view model into text, recursively. */
void ob_h_billing_raw_to_text(cJSON *o);

/** Console: the success message for ?done= (a fixed table) flashed on page data d. */
void ob_h_billing_done_flash(struct ob_req *r, cJSON *d);

#endif
