/*
 * The staff console's webhook pages (action OB_ACT_STAFF, h_admin.c) and
 * the staff credit actions (OB_ACT_STAFF_CREDITS, h_admin_credits.c).
 */
#ifndef OB_H_ADMIN_H
#define OB_H_ADMIN_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** GET /admin/webhooks: the event log (type, status, org filters; cursor). */
int ob_h_admin_webhooks(struct ob_req *r);

/** GET /admin/webhooks/{event_id}: payload and processing history. */
int ob_h_admin_webhook(struct ob_req *r);

/** POST /admin/webhooks/{event_id}/replay: reprocess now (reason required, audited). */
int ob_h_admin_webhook_replay(struct ob_req *r);
extern const struct ob_fields ob_h_admin_webhook_replay_fields;

/** GET /admin/orgs/{org_id}/credits: the org's pool and the staff grant and reversal forms. */
int ob_h_admin_credits_page(struct ob_req *r);

/** POST /admin/orgs/{org_id}/credits: a free grant (amount, source, expires_at?, reason). */
int ob_h_admin_credits_grant_form(struct ob_req *r);
extern const struct ob_fields ob_h_admin_credits_grant_form_fields;

/** POST /admin/orgs/{org_id}/credits/reverse: reverse a deduction (key, reason). */
int ob_h_admin_credits_reverse_form(struct ob_req *r);
extern const struct ob_fields ob_h_admin_credits_reverse_form_fields;

/**
 * POST …/admin/credits/{org_id}/grants {"amount","source":manual|promo|rollover,
 * "reason","expires_at"?,"priority"?}: a staff grant (201; purchase and plan 400).
 */
int ob_h_admin_api_credits_grant(struct ob_req *r);
extern const struct ob_fields ob_h_admin_api_credits_grant_fields;

/** POST …/admin/credits/{org_id}/deductions/{key}/reverse {"reason"}: staff reversal. */
int ob_h_admin_api_credits_reverse(struct ob_req *r);
extern const struct ob_fields ob_h_admin_api_credits_reverse_fields;

/** GET /admin/customers: summary cards and the searchable, filterable customers table. */
int ob_h_admin_customers(struct ob_req *r);

/** GET /admin/api/customers: the same view model as JSON (cursor pages, filters). */
int ob_h_admin_api_customers(struct ob_req *r);

/** GET /admin/customers.csv: the filtered table as CSV (at most OB_STAFF_EXPORT_MAX rows). */
int ob_h_admin_customers_csv(struct ob_req *r);
extern const struct ob_fields ob_h_admin_customers_fields;

/** GET /admin/customers/{org_id}: one customer, its history and the staff action forms. */
int ob_h_admin_customer(struct ob_req *r);

/** GET /admin/api/customers/{org_id}: the same view model as JSON. */
int ob_h_admin_api_customer(struct ob_req *r);
extern const struct ob_fields ob_h_admin_customer_fields;

/**
 * The customer page's view model for r's {org_id} into *out, with the
 * proration preview for preview_seats (0: none): 1 with *out; else what a
 * handler returns (0 after answering 404, -1 for the 503).
 */
int ob_h_admin_customer_model(struct ob_req *r, int64_t preview_seats, cJSON **out);

/** POST /admin/customers/{org_id}/seats: quantity, reason (finance). */
int ob_h_admin_seats_form(struct ob_req *r);
extern const struct ob_fields ob_h_admin_seats_form_fields;

/** POST /admin/customers/{org_id}/cancel: when (period_end | now), reason (finance). */
int ob_h_admin_cancel_form(struct ob_req *r);
extern const struct ob_fields ob_h_admin_cancel_form_fields;

/** POST …/reactivate (finance), …/suspend, …/activate, …/sync (support), …/portal (finance): reason. */
int ob_h_admin_reactivate_form(struct ob_req *r);
int ob_h_admin_suspend_form(struct ob_req *r);
int ob_h_admin_activate_form(struct ob_req *r);
int ob_h_admin_sync_form(struct ob_req *r);
int ob_h_admin_portal_form(struct ob_req *r);
extern const struct ob_fields ob_h_admin_reason_form_fields;

/*
 * The actions' JSON twins, POST /admin/api/customers/{org_id}/<action>
 * with a JSON body (the same handlers; X-CSRF-Token, Idempotency-Key for
 * subscription changes): 200 {"object":"staff_action","done","org_id",
 * "result"}, or the portal's {"object":"billing_portal.session","url"}.
 */
extern const struct ob_fields ob_h_admin_api_seats_fields;
extern const struct ob_fields ob_h_admin_api_cancel_fields;
extern const struct ob_fields ob_h_admin_api_reason_fields;

/**
 * Render the customer page with status, the refusal f (NULL: none) or the
 * done code's message (NULL: none) flashed, and the preview for
 * preview_seats (0: none). 0 or -1.
 */
int ob_h_admin_customer_render(struct ob_req *r, int status, const struct ob_fail *f,
    int64_t preview_seats, const char *done);

#endif
