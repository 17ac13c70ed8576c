/*
 * ob_invoices: an org's invoices mirrored from Stripe, its billing details
 * (pushed to the Stripe customer so they print on invoices), the default
 * payment method, billing-portal sessions, credit purchases paid through a
 * Stripe invoice, and extra-task usage billed as Stripe invoice items once
 * per org and credit period. See docs/INVOICES.md.
 *
 * Stripe is the truth for invoices: ob_invoices_apply_stripe() upserts an
 * invoice and its lines from a Stripe invoice object, and never lets an
 * older state (stripe_seen) overwrite a newer one. Webhooks and the
 * reconcile pass both go through it.
 *
 * Money is int64_t minor units with a 3-letter currency; no floating point.
 */
#ifndef OB_INVOICES_H
#define OB_INVOICES_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "base/buf.h"
#include "base/db.h"
#include "base/fail.h"
#include "base/json.h"
#include "base/num.h"

struct ob_stripe;

#define OB_INVOICES_CSV_MAX	10000	/* rows in one CSV export */
#define OB_INVOICES_CREDITS_MAX	100000000LL	/* credits in one purchase */
#define OB_INVOICES_AMOUNT_MAX	99999999LL	/* minor units in one Stripe charge (Stripe's cap) */

/**
 * Append s to b as one CSV field (RFC 4180): quoted when it holds a comma,
 * quote, CR or LF, or starts with a space; quotes doubled. A field that
 * starts with = + - @ TAB or CR is prefixed with a single quote inside the
 * quotes so spreadsheets do not run it as a formula.
 */
void ob_invoices_csv_field(struct ob_buf *b, const char *s);

/**
 * The org's Stripe customer: the subscription's, else the one made for
 * billing details or a purchase. When it has none and create is set, one
 * is made at Stripe (Idempotency-Key per org, metadata.orgbill_org) and
 * stored. out (len >= 64) receives the id. Returns 0, 1 when there is none
 * (create 0), -1 with f set.
 */
int ob_invoices_customer(struct ob_db *db, struct ob_stripe *st, int64_t org_id, int create,
    char *out, size_t len, struct ob_fail *f);

/**
 * The org a Stripe customer belongs to (either mapping), or 0 if unknown;
 * -1 on a database failure.
 */
int64_t ob_invoices_org_of_customer(struct ob_db *db, const char *customer);

/**
 * Whether organization org_id exists (any status): 1 if it does, 0 if not
 * (also for org_id <= 0), -1 on a database failure (db->lasterr).
 */
int ob_invoices_org_exists(struct ob_db *db, int64_t org_id);

/**
 * Upsert the invoice and its lines from a Stripe invoice object (an API
 * answer or a webhook's data.object) for org_id, unless the stored state
 * is newer than seen (Unix seconds). *local_id receives the invoice's id
 * (0 when skipped as stale). Runs inside the caller's transaction (or its
 * own). 0 or -1 with f set.
 */
int ob_invoices_apply_stripe(struct ob_db *db, int64_t org_id, const cJSON *inv,
    int64_t seen, int64_t *local_id, struct ob_fail *f);

/* List filters. */
struct ob_invoices_filter {
	const char *status;	/* NULL or draft|open|paid|uncollectible|void */
	const char *from;	/* NULL or YYYY-MM-DD (created on or after, UTC) */
	const char *to;		/* NULL or YYYY-MM-DD (created before the day after) */
};

/** Check a filter's values; 0, or -1 with f set (400, param named). */
int ob_invoices_filter_check(const struct ob_invoices_filter *flt, struct ob_fail *f);

/*
 * Invoices are named outside by their public id, "inv_" and 32 hex digits
 * (migration 018), never by the internal key: the "id" of the API's
 * invoice object, URLs, cursors and the CSV export carry it.
 */
#define OB_INVOICE_PUBLIC_ID_LEN 36

/** 1 if s has the form of an invoice's public id, else 0. */
int ob_invoices_public_id_ok(const char *s);

/** The internal id of org's invoice with this public id: > 0, 0 if none, -1 (db->lasterr). */
int64_t ob_invoices_resolve(struct ob_db *db, int64_t org_id, const char *public_id);

/**
 * A page of the org's invoices, newest first, after the invoice with the
 * public id starting_after (NULL or "": from the newest): a list object, or
 * NULL (db->lasterr).
 */
cJSON *ob_invoices_list(struct ob_db *db, int64_t org_id, const struct ob_invoices_filter *flt,
    const char *starting_after, int limit);

/**
 * One invoice of the org with its lines, by our public id ("inv_…") or
 * Stripe's ("in_…"). NULL with f set (404, or database).
 */
cJSON *ob_invoices_get(struct ob_db *db, int64_t org_id, const char *id, struct ob_fail *f);

/** The org's newest finalized invoice (public id into out, len > 36); 0, 1 if none, -1. */
int ob_invoices_latest(struct ob_db *db, int64_t org_id, char *out, size_t len);

/**
 * The CSV export of the org's invoices matching flt (at most
 * OB_INVOICES_CSV_MAX rows) into out, with a header row. 0 or -1.
 */
int ob_invoices_csv(struct ob_db *db, int64_t org_id, const struct ob_invoices_filter *flt,
    struct ob_buf *out);

/**
 * Bring every known customer's invoices in step with Stripe (the newest
 * max_per_customer of each). *applied counts invoices written. 0 or -1.
 */
int ob_invoices_reconcile(struct ob_db *db, struct ob_stripe *st, int max_per_customer,
    int *applied);

/**
 * The org's billing details {"object":"billing_details",…}, with
 * "stripe_sync": "synced" or "pending" (the last save is not at Stripe
 * yet; "stripe_sync_error" says why, once a push failed); NULL on failure.
 */
cJSON *ob_invoices_details_get(struct ob_db *db, int64_t org_id);

/**
 * Change billing details from body (email, address{line1,line2,city,state,
 * postal_code,country}, tax_id, po_number, invoice_notes; absent keys keep
 * their value) with an audit row, in one transaction (it joins the
 * caller's, e.g. the idempotency record's). Only stored: the save is
 * marked pending for Stripe, and ob_invoices_details_push() sends it once
 * no transaction is open. Returns the new details object, or NULL with f.
 */
cJSON *ob_invoices_details_set(const struct ob_actx *ax, int64_t org_id, const cJSON *body,
    struct ob_fail *f);

/**
 * Check a details body as ob_invoices_details_set() would (types, bounds,
 * e-mail, country), touching nothing: callers that must do work before
 * the save (making the org's Stripe customer) check first, so bad input
 * changes nothing. 0, or -1 with f.
 */
int ob_invoices_details_check(const cJSON *body, struct ob_fail *f);

/**
 * Push the org's pending details save (if any) to its Stripe customer
 * (made if the org has none): email, address,
 * invoice_settings.custom_fields (PO number, Tax ID), invoice_settings.footer
 * (notes). Must be called with no transaction open (refused otherwise):
 * Stripe is called between two short statements. On success the save is
 * recorded as pushed; on a failure the details stay saved and pending, with
 * the error recorded for a retry (ob_invoices_details_push_pending). 0
 * (also when nothing was pending), or -1 with f.
 */
int ob_invoices_details_push(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f);

/**
 * The retry path: push up to limit orgs' pending details, oldest first.
 * *pushed counts the pushes that succeeded. 0, or -1 on a database failure.
 */
int ob_invoices_details_push_pending(struct ob_db *db, struct ob_stripe *st, int limit,
    int *pushed);

/**
 * The default payment method of the org's customer as
 * {"object":"payment_method","brand","last4","exp_month","exp_year"} or
 * {"object":"payment_method","none":true}; NULL with f set.
 */
cJSON *ob_invoices_payment_method(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f);

/**
 * A billing-portal session for the org's customer (made if needed),
 * returning to return_url; url (len >= 512) receives its address. 0 or -1.
 */
int ob_invoices_portal(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    const char *return_url, char *url, size_t len, struct ob_fail *f);

/**
 * Price of credits in minor units (usd): round half away from zero of
 * credits × per_1000 / 1000; -1 when credits × per_1000 overflows (use
 * ob_invoices_credit_amount where -1 could be a price).
 */
int64_t ob_invoices_credit_price(int64_t credits, int64_t per_1000);

/**
 * ob_invoices_credit_price with checked arithmetic: 0 with *amount set, or
 * -1 (*amount untouched) when credits × per_1000 does not fit in 64 bits or
 * the price is beyond ±cap.
 */
int ob_invoices_credit_amount(int64_t credits, int64_t per_1000, int64_t cap, int64_t *amount);

/** ORGBILL_CREDIT_PRICE_PER_1000 (minor units per 1000 credits; default 100). */
int64_t ob_invoices_price_per_1000(void);

/**
 * Buy credits: a Stripe invoice with one item, finalized and charged to
 * the customer's default payment method. The credits are granted only when
 * the invoice is paid (ob_invoices_purchase_paid, from invoice.paid).
 * Returns {"object":"credit_purchase","id","credits","amount","currency",
 * "status","invoice"} or NULL with f set. A declined card still returns
 * the object (status "payment_failed", *declined = 1, f filled with the
 * 402 card_declined reason): the invoice stays open and paying it later
 * still grants the credits.
 *
 * Must not run inside a transaction: the purchase row is committed before
 * any Stripe call and every Stripe call is keyed by the purchase id. With
 * key (the client's Idempotency-Key, or NULL), a purchase an earlier
 * request of org made with the same key is resumed instead of starting a
 * new one (*replayed = 1): its Stripe calls replay, so it is charged at
 * most once; the same key with another number of credits is a 409
 * idempotency_key_reused.
 */
cJSON *ob_invoices_buy_credits(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    int64_t credits, const char *key, int *declined, int *replayed, struct ob_fail *f);

/**
 * A paid invoice: if it is a credit purchase not yet granted, grant its
 * credits (source "purchase") exactly once, under the purchase's row lock.
 * *granted is 1 when this call granted. 0 or -1 with f set.
 */
int ob_invoices_purchase_paid(const struct ob_actx *ax, const cJSON *inv, int *granted,
    struct ob_fail *f);

/** The org's credit purchases, newest first: a list object or NULL. */
cJSON *ob_invoices_purchases(struct ob_db *db, int64_t org_id, int limit);

/**
 * Bill extra-task usage of every finished credit period not billed yet:
 * one Stripe invoice item per org and period (Idempotency-Key per org and
 * period; a unique local row claimed under lock first, so concurrent runs
 * make it once). *created counts items made by this call. 0 or -1.
 */
int ob_invoices_extra_tasks_run(struct ob_db *db, struct ob_stripe *st, int *created);

#endif
