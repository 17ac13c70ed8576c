/*
 * The staff console's customer views (docs/ADMIN.md, "Customers"): one
 * view model per page, the same for the HTML page and its JSON twin under
 * /admin/api/. Reading only; the actions live with their domains.
 */
#ifndef OB_STAFF_H
#define OB_STAFF_H

#include <stdint.h>

#include <cJSON.h>

#include "base/buf.h"
#include "base/db.h"
#include "base/fail.h"
#include "identity/audit.h"

struct ob_stripe;

#define OB_STAFF_LIMIT_MAX	100	/* rows a page may ask for */
#define OB_STAFF_LIMIT_DEFAULT	25
#define OB_STAFF_CURSOR_MAX	2048	/* characters of an opaque cursor */
#define OB_STAFF_EXPORT_MAX	10000	/* rows one CSV export holds at most */

/* The customers table's question; strings already checked ("" for none). */
struct ob_staff_customers_q {
	const char *q;		/* search: name, slug, e-mail part, or a Stripe id */
	const char *plan;	/* a plan code, "none", or "" */
	const char *status;	/* active | suspended | "" */
	const char *dunning;	/* active | past_due | restricted | suspended | "" */
	const char *sort;	/* name | created | mrr | seats | activity */
	const char *dir;	/* asc | desc */
	const char *cursor;	/* from a previous page's next_cursor, or "" */
	int limit;		/* 1..OB_STAFF_LIMIT_MAX */
	char cursor_buf[OB_STAFF_CURSOR_MAX + 1];	/* the export's own paging */
};

/**
 * The summary cards: {"organizations","active","paying","past_due",
 * "suspended","total_users","mrr":[{"currency","amount"}]} (amounts in
 * minor units). NULL on a database failure (db->lasterr).
 */
cJSON *ob_staff_customers_summary(struct ob_db *db);

/**
 * One page of the customers table: {"object":"list","data":[…],"has_more",
 * "next_cursor"} (next_cursor null on the last page). Each row: id, name,
 * slug, status, dunning, billing_email, created_at, plan_code,
 * subscription_status, cycle, seats_used, seats_purchased, mrr, currency,
 * stripe_customer_id, last_activity_at. Returns 0 with *out, or -1 with f
 * (400 invalid_cursor for a cursor this question did not make; a database
 * failure).
 */
int ob_staff_customers_page(struct ob_db *db, const struct ob_staff_customers_q *q, cJSON **out,
    struct ob_fail *f);

/**
 * One customer's page: {"object":"staff_customer","org":{…},"seats":{used,
 * purchased},"subscription":{…}|null,"members":[…],"credits":{"pool",
 * "allocations"},"invoices":[…],"refunds":[…],"subscription_events":[…],
 * "audit":[…]} (amounts in minor units; newest first, bounded). 0 with
 * *out; -1 with f: 404 org_not_found, or a database failure.
 */
int ob_staff_customer(struct ob_db *db, int64_t org_id, cJSON **out, struct ob_fail *f);

/**
 * Re-sync one customer from Stripe (ax as staff, with its reason): the
 * subscription fetched and applied, the newest 25 invoices brought in
 * step, one audit row "org.stripe_sync". Stripe is called outside any
 * transaction. 0 with *out {"object":"staff_sync","subscription",
 * "invoices_applied","stripe_customer_id"}; -1 with f (404 org_not_found,
 * Stripe's refusal or absence, a database failure).
 */
int ob_staff_sync(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id, cJSON **out,
    struct ob_fail *f);

/**
 * Record, before the portal session is made, that staff opens org_id's
 * Stripe billing portal (audit "org.portal_open" with ax's reason). 0, or
 * -1 with f (404 org_not_found, a database failure).
 */
int ob_staff_portal_opened(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f);

/**
 * The whole table (at most OB_STAFF_EXPORT_MAX rows, q's filters and
 * order, q's cursor and limit ignored) as CSV with a header line, appended
 * to out; amounts in minor units beside their currency. 0, or -1 with f.
 */
int ob_staff_customers_csv(struct ob_db *db, const struct ob_staff_customers_q *q,
    struct ob_buf *out, struct ob_fail *f);

#endif
