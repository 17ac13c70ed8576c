/*
 * Private to fcgi/h_billing*.c: what the billing handlers' files share.
 *
 *   h_billing.c             the subscription fields' helpers, the ?done=
 *                           flash; plans, portal, usage and limits (API)
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
#include "fcgi/fields.h"
#include "fcgi/req.h"

/*
 * The subscription fields (rows of fields.h tables) for the API's routes
 * and the console's forms, as docs/openapi.yaml states them and with the
 * codes core gives the same mistakes; the rules that need the plan
 * catalogue, the seats in use or the current period stay in core.
 */
extern const char *const ob_h_billing_cycles[];	/* month, year */

/** An e-mail address as the subscription takes it: has an '@'. */
int ob_h_billing_email_ok(const char *s);

#define OB_H_SUB_PLAN_ROW(fl) \
	{ .name = "plan", .type = OB_FIELD_STRING, .flags = (fl) }
#define OB_H_SUB_CYCLE_ROW \
	{ .name = "cycle", .type = OB_FIELD_ENUM, .allowed = ob_h_billing_cycles, \
	    .code = "invalid_cycle", .message = "cycle must be month or year." }
#define OB_H_SUB_SEATS_ROW \
	{ .name = "seats", .type = OB_FIELD_INT, .min = 1, .max = 100000, .code = "invalid_seats", \
	    .message = "seats must be between {min} and {max}." }
#define OB_H_SUB_PAYMENT_METHOD_ROW \
	{ .name = "payment_method", .type = OB_FIELD_STRING, .min = 1, .max = 64, \
	    .chars = OB_CHARS_SET, \
	    .set = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", \
	    .code = "invalid_payment_method", \
	    .message = "payment_method must be a Stripe PaymentMethod id." }
#define OB_H_SUB_EMAIL_ROW \
	{ .name = "email", .type = OB_FIELD_STRING, .max = 320, .ok = ob_h_billing_email_ok, \
	    .code = "invalid_email", .message = "email is not valid." }
#define OB_H_SUB_PRORATION_ROW \
	{ .name = "proration_date", .type = OB_FIELD_INT, .min = INT64_MIN, .max = INT64_MAX, \
	    .code = "invalid_integer", .message = "proration_date must be an integer." }
#define OB_H_SUB_IMMEDIATE_ROW { .name = "immediate", .type = OB_FIELD_BOOL }
/* Core also refuses an empty reason and control characters. */
#define OB_H_SUB_REASON_ROW \
	{ .name = "reason", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .max = 500, \
	    .code = "reason_too_long", .missing = "A reason is required to cancel.", \
	    .message = "The reason must be at most {max} characters." }

/**
 * Apply rows to the request's org (ob_seats_apply); when seats run out and
 * the org turned automatic seat increase on, buy the missing seats first
 * (one subscription change) and try again. 0 with *result; or -1 with f
 * (errors collects bad rows).
 */
int ob_h_billing_seats_apply(struct ob_req *r, const struct ob_seat_row *rows, int n,
    cJSON *errors, cJSON **result, struct ob_fail *f);

/**
 * Before a new subscription (body as for a create): when the request is
 * one that will reach Stripe (it passes the checks that need no Stripe
 * call), look up or make the org's one Stripe customer
 * (ob_invoices_customer), which the create then uses. A request that
 * fails those checks is left to the change to refuse. 0 or -1 with f.
 */
int ob_h_billing_purchase_customer(struct ob_req *r, int64_t org_id, const cJSON *body,
    struct ob_fail *f);

/** Console: turn the exact integers (raw JSON numbers) of a view model into text, recursively. */
void ob_h_billing_raw_to_text(cJSON *o);

/** Console: a subscription's (or an order's) status in words ("past_due": "Past due"); unknown ones as they are. */
const char *ob_h_billing_status_text(const char *status);

/** Console: the success message for ?done= (a fixed table) flashed on page data d. */
void ob_h_billing_done_flash(struct ob_req *r, cJSON *d);

/**
 * Console: the message of outcome code (the same table; NULL: none) on page
 * data d; "payment_required" links to the org's open invoice (the newest),
 * else to the invoices page.
 */
void ob_h_billing_done_flash_code(struct ob_req *r, cJSON *d, const char *code);

#endif
