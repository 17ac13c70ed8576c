/*
 * Invoices, billing details, payment actions, refunds and dunning: console
 * pages and forms, and the REST API. Each returns 0 when r holds the
 * answer, -1 when a dependency failed (503). Defined by concern in
 * h_invoices.c (invoices, PDF, CSV), h_invoices_details.c (billing
 * details, payment method), h_invoices_purchases.c (credit purchases) and
 * h_invoices_refunds.c (refunds, dunning); their shared helpers are in
 * h_invoices_int.h.
 */
#ifndef OB_H_INVOICES_H
#define OB_H_INVOICES_H

#include "fcgi/fields.h"
#include "fcgi/req.h"

/** GET /billing/invoices: payment method, history, credit purchase, dunning banner. */
int ob_h_invoices_page(struct ob_req *r);
extern const struct ob_fields ob_h_invoices_page_fields;

/** GET /billing/invoices/{invoice_id}: one invoice with its lines. */
int ob_h_invoice_page(struct ob_req *r);

/** GET /billing/invoices/{invoice_id}/pdf and the API's …/pdf: Stripe's PDF (redirect) or ours. */
int ob_h_invoice_pdf(struct ob_req *r);

/** GET /billing/export/invoices.csv and the API's export.csv: the list as CSV. */
int ob_h_invoices_csv(struct ob_req *r);
extern const struct ob_fields ob_h_invoices_csv_fields;

/** GET /billing/details: the billing details form. */
int ob_h_billing_details_page(struct ob_req *r);

/** POST /billing/details: save and push to Stripe (form). */
int ob_h_billing_details_form(struct ob_req *r);

/** POST /billing/payment-method: to the Stripe billing portal (303). */
int ob_h_payment_method_form(struct ob_req *r);

/** POST /billing/credits/purchase: buy credits through a Stripe invoice (form). */
int ob_h_credit_purchase_form(struct ob_req *r);
extern const struct ob_fields ob_h_credit_purchase_form_fields;

/** GET /admin/refunds?org_id=: staff refund page with the org's invoices and refunds. */
int ob_h_admin_refunds_page(struct ob_req *r);

/** POST /admin/refunds: a staff refund (form: org_id, invoice_id, amount, reason). */
int ob_h_admin_refund_form(struct ob_req *r);
extern const struct ob_fields ob_h_admin_refund_form_fields;

/** POST /admin/dunning/{org_id}/override: staff lift dunning with a reason (form). */
int ob_h_admin_dunning_override_form(struct ob_req *r);
extern const struct ob_fields ob_h_admin_dunning_override_form_fields;

/** GET …/invoices/{org_id}: cursor list with status, from, to filters. */
int ob_h_api_invoices(struct ob_req *r);
extern const struct ob_fields ob_h_api_invoices_fields;

/** GET …/invoices/{org_id}/{invoice_id}: one invoice with lines. */
int ob_h_api_invoice(struct ob_req *r);

/** GET/POST …/billing-details/{org_id}. */
int ob_h_api_billing_details(struct ob_req *r);

/** POST …/billing-details/{org_id}: update (Idempotency-Key accepted). */
int ob_h_api_billing_details_set(struct ob_req *r);
extern const struct ob_fields ob_h_api_billing_details_set_fields;

/** GET …/payment-method/{org_id}: brand, last4, expiry. */
int ob_h_api_payment_method(struct ob_req *r);

/** POST …/payment-method/{org_id}/portal: {"url"} of a billing-portal session. */
int ob_h_api_portal(struct ob_req *r);

/** GET …/credit-purchases/{org_id}. */
int ob_h_api_purchases(struct ob_req *r);

/** POST …/credit-purchases/{org_id} {"credits"}: buy (Idempotency-Key accepted). */
int ob_h_api_purchase(struct ob_req *r);
extern const struct ob_fields ob_h_api_purchase_fields;

/** GET …/refunds/{org_id}: the org's refund history. */
int ob_h_api_refunds(struct ob_req *r);

/** POST …/refunds/{org_id} {"invoice_id","amount"?,"reason"}: staff refund. */
int ob_h_api_refund(struct ob_req *r);
extern const struct ob_fields ob_h_api_refund_fields;

/** GET …/dunning/{org_id}: the org's dunning state. */
int ob_h_api_dunning(struct ob_req *r);

/** POST …/dunning/{org_id}/override {"reason"}: staff lift dunning. */
int ob_h_api_dunning_override(struct ob_req *r);
extern const struct ob_fields ob_h_api_dunning_override_fields;

#endif
