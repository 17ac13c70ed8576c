/*
 * Plans, subscriptions, seats, usage and limits: the console pages and
 * forms, and the API under /api/v1/org-billing (fcgi/routes_billing.def,
 * docs/BILLING.md). Implemented in fcgi/h_billing*.c (h_billing_int.h
 * lists them).
 */
#ifndef OB_H_BILLING_H
#define OB_H_BILLING_H

#include <cJSON.h>

#include "fcgi/fields.h"
#include "fcgi/req.h"

/**
 * Add the billing hero summary (plan, seats used/purchased, current period
 * end, status) to a page's data under "billing_hero", for
 * {{> partials/billing_hero}}. Returns 0, or -1 on a database failure.
 */
int ob_h_billing_hero(struct ob_req *r, cJSON *page);

/** GET /subscription: the hero summary, plan cards, seat stepper, cancel/reactivate. */
int ob_h_subscription_page(struct ob_req *r);

/** POST /subscription/create|change|preview|cancel|reactivate: the page's forms. */
int ob_h_subscription_create_form(struct ob_req *r);
int ob_h_subscription_change_form(struct ob_req *r);
int ob_h_subscription_preview_form(struct ob_req *r);
int ob_h_subscription_cancel_form(struct ob_req *r);
int ob_h_subscription_reactivate_form(struct ob_req *r);
int ob_h_subscription_unschedule_form(struct ob_req *r);
extern const struct ob_fields ob_h_subscription_create_form_fields;
extern const struct ob_fields ob_h_subscription_change_form_fields;
extern const struct ob_fields ob_h_subscription_preview_form_fields;
extern const struct ob_fields ob_h_subscription_cancel_form_fields;
extern const struct ob_fields ob_h_subscription_reactivate_form_fields;
extern const struct ob_fields ob_h_subscription_unschedule_form_fields;

/**
 * The new-subscription flow through Stripe Checkout: POST
 * /subscription/summary (the order summary), POST /subscription/checkout
 * (starts the session, 303 to the hand-off page), GET
 * /subscription/checkout?session= (the hand-off to Stripe's page), GET
 * /subscription/checkout/return?session_id= (the order's status).
 */
int ob_h_subscription_summary_form(struct ob_req *r);
int ob_h_subscription_checkout_form(struct ob_req *r);
int ob_h_subscription_checkout_page(struct ob_req *r);
int ob_h_subscription_checkout_return(struct ob_req *r);
extern const struct ob_fields ob_h_subscription_summary_form_fields;
extern const struct ob_fields ob_h_subscription_checkout_form_fields;

/** POST /billing/portal (console: redirect; API: {"url"}). */
int ob_h_billing_portal(struct ob_req *r);

/** GET /seats: members with license status; POST /seats/assign|revoke|csv|settings. */
int ob_h_seats_page(struct ob_req *r);
int ob_h_seats_assign_form(struct ob_req *r);
int ob_h_seats_revoke_form(struct ob_req *r);
int ob_h_seats_csv_form(struct ob_req *r);
int ob_h_seats_settings_form(struct ob_req *r);
extern const struct ob_fields ob_h_seats_csv_form_fields;
extern const struct ob_fields ob_h_seats_settings_form_fields;

/** GET /api/…/plans: the public catalogue. */
int ob_h_api_plans(struct ob_req *r);

/** POST /api/…/subscriptions (org_id in the body) and /subscriptions/{org_id}. */
int ob_h_api_sub_create(struct ob_req *r);
extern const struct ob_fields ob_h_api_sub_create_body_fields;
extern const struct ob_fields ob_h_api_sub_create_fields;

/** GET /api/…/subscriptions/{org_id}. */
int ob_h_api_sub_get(struct ob_req *r);

/** PUT /api/…/subscriptions/{org_id}/upgrade and PATCH /subscriptions/{org_id}. */
int ob_h_api_sub_upgrade(struct ob_req *r);
int ob_h_api_sub_update(struct ob_req *r);
extern const struct ob_fields ob_h_api_sub_upgrade_fields;
extern const struct ob_fields ob_h_api_sub_update_fields;	/* and the preview's */

/** POST /api/…/subscriptions/{org_id}/preview. */
int ob_h_api_sub_preview(struct ob_req *r);

/** POST /api/…/subscriptions/{org_id}/cancel and /reactivate (no fields). */
int ob_h_api_sub_cancel(struct ob_req *r);
int ob_h_api_sub_reactivate(struct ob_req *r);

/** POST /api/…/subscriptions/{org_id}/scheduled-change/cancel: the scheduled change canceled. */
int ob_h_api_sub_unschedule(struct ob_req *r);
extern const struct ob_fields ob_h_api_sub_cancel_fields;

/** POST /api/…/usage/{org_id}; POST /api/…/limits/{org_id}/check; GET /limits/{org_id}. */
int ob_h_api_usage(struct ob_req *r);
int ob_h_api_limit_check(struct ob_req *r);
int ob_h_api_limits(struct ob_req *r);
extern const struct ob_fields ob_h_api_usage_fields;
extern const struct ob_fields ob_h_api_limit_check_fields;

/** GET /api/…/seats/{org_id}; POST …/assign, …/revoke, …/csv; PATCH …/settings. */
int ob_h_api_seats(struct ob_req *r);
extern const struct ob_fields ob_h_api_seats_fields;
int ob_h_api_seats_assign(struct ob_req *r);
int ob_h_api_seats_revoke(struct ob_req *r);
int ob_h_api_seats_csv(struct ob_req *r);
int ob_h_api_seats_settings(struct ob_req *r);
extern const struct ob_fields ob_h_api_seats_members_fields;	/* assign, revoke */
extern const struct ob_fields ob_h_api_seats_csv_fields;
extern const struct ob_fields ob_h_api_seats_settings_fields;

#endif
