/*
 * Credits handlers (h_credits.c): the console's Credits page and forms,
 * the credits REST API and the billing summaries. Each returns 0 when r
 * holds the answer, -1 when a dependency failed (the worker answers 503).
 */
#ifndef OB_H_CREDITS_H
#define OB_H_CREDITS_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** GET /credits: the Credits page (members: their own allowance only). */
int ob_h_credits_page(struct ob_req *r);

/** POST /credits/settings: extra tasks toggle and limit (form). */
int ob_h_credits_settings_form(struct ob_req *r);
extern const struct ob_fields ob_h_credits_settings_form_fields;

/** POST /credits/allocations: one limit (user_id, limit) or bulk lines (form). */
int ob_h_credits_alloc_form(struct ob_req *r);

/** GET /api/v1/org-billing/credits/{org_id}: pool status. */
int ob_h_api_credits_status(struct ob_req *r);

/**
 * The fields of a credit grant (ob_credits_parse_grant checks their
 * values): amount, source, expires_at, priority, reason.
 */
#define OB_H_CREDITS_GRANT_ROWS \
	{ .name = "amount", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED, .min = 1, \
	    .max = 1000000000000LL, \
	    .message = "amount must be a whole number of credits from {min} to {max}." }, \
	{ .name = "source", .type = OB_FIELD_STRING, .flags = OB_FIELD_REQUIRED, .max = 40 }, \
	{ .name = "expires_at", .type = OB_FIELD_STRING, .max = 40 }, \
	{ .name = "priority", .type = OB_FIELD_INT, .min = 0, .max = 1000 }, \
	{ .name = "reason", .type = OB_FIELD_STRING, .max = 500, .chars = OB_CHARS_TEXT }

/** POST …/credits/{org_id}/add: refused to every tenant (403); staff grant instead. */
int ob_h_api_credits_add(struct ob_req *r);
extern const struct ob_fields ob_h_api_credits_add_fields;

/** POST …/credits/{org_id}/allocate: a member's limit (Idempotency-Key accepted). */
int ob_h_api_credits_allocate(struct ob_req *r);
extern const struct ob_fields ob_h_api_credits_allocate_fields;

/** GET …/credits/{org_id}/allocations: paginated allocations. */
int ob_h_api_credits_allocations(struct ob_req *r);

/** GET …/credits/{org_id}/usage?from&to&group_by=day|user|service. */
int ob_h_api_credits_usage(struct ob_req *r);
extern const struct ob_fields ob_h_api_credits_usage_fields;

/** POST …/credits/{org_id}/check: would a deduction go through? */
int ob_h_api_credits_check(struct ob_req *r);
extern const struct ob_fields ob_h_api_credits_check_fields;

/** POST …/credits/{org_id}/deduct: the metering call (Idempotency-Key required). */
int ob_h_api_credits_deduct(struct ob_req *r);
extern const struct ob_fields ob_h_api_credits_deduct_fields;

/**
 * POST …/credits/{org_id}/deductions/{key}/reverse: the meter key that made
 * the deduction reverses it within ORGBILL_CREDIT_REVERSAL_WINDOW_S (403
 * otherwise).
 */
int ob_h_api_credits_reverse(struct ob_req *r);
extern const struct ob_fields ob_h_api_credits_reverse_fields;

/** PATCH …/credits/{org_id}/settings: allow_extra_tasks, max_extra_tasks. */
int ob_h_api_credits_settings(struct ob_req *r);
extern const struct ob_fields ob_h_api_credits_settings_fields;

/** GET …/billing/user: the caller's credits across their orgs. */
int ob_h_api_billing_user(struct ob_req *r);

/** GET …/billing/org/{org_id}: the org admin dashboard. */
int ob_h_api_billing_org(struct ob_req *r);

/** GET /api/v1/org/{org_id}/billing-overview/: the Credits page's payload. */
int ob_h_api_billing_overview(struct ob_req *r);

/** GET …/billing/system: totals across every org (staff). */
int ob_h_api_billing_system(struct ob_req *r);

#endif
