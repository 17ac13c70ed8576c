/*
 * Helpers shared by the invoices handlers (h_invoices*.c; not handlers
 * themselves: see h_invoices.h for those).
 */
#ifndef OB_H_INVOICES_INT_H
#define OB_H_INVOICES_INT_H

#include <stdint.h>

#include <cJSON.h>

#include "identity/audit.h"
#include "invoices/invoices.h"
#include "fcgi/req.h"

struct ob_stripe;

/** The posted form's "idem" field when it is a usable key, else NULL (a new operation). */
const char *ob_h_inv_posted_key(struct ob_req *r);

/** The flash for ?done= after a form (fixed codes, never free text) into page data d. */
void ob_h_inv_done_flash(struct ob_req *r, cJSON *d);

/**
 * The org's recent credit purchases (ob_invoices_purchases) for the page:
 * counts and amounts as text, each status in words from the purchase and
 * its invoice as they are now, where to pay an open one; and the flash of
 * a purchase just made (?done=credits_…&purchase=ID), which says the same.
 */
void ob_h_inv_purchases_view(struct ob_req *r, cJSON *d, cJSON *purchases);

/** The list filters (status, from, to) from the query into flt: 0, or -1 after answering 400. */
int ob_h_inv_filter(struct ob_req *r, struct ob_invoices_filter *flt);

/** "12.34 USD" for the integer member name of o (0 if absent), in r's arena. */
const char *ob_h_inv_money(struct ob_req *r, const cJSON *o, const char *name,
    const char *currency);

/** Display fields of an invoice object for the console: money as text, dates, status flags. */
void ob_h_inv_decorate(struct ob_req *r, cJSON *inv);

/** The org's dunning state and banner flags into page data d (nothing if it cannot be read). */
void ob_h_inv_add_dunning(struct ob_req *r, cJSON *d, int64_t org_id);

/** The mutation context of a staff action into ax: audited as staff, with reason. */
void ob_h_inv_staff_actx(struct ob_req *r, struct ob_actx *ax, const char *reason);

/**
 * The org a staff route names (value: the id from the path, query or
 * form): its id, 0 when value is no id or names no org, -1 on a database
 * failure.
 */
int64_t ob_h_inv_staff_org(struct ob_req *r, const char *value);

#endif
