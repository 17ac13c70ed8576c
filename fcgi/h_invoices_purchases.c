/*
 * Credit purchases: the console's form and the REST API's list and
 * purchase (h_invoices.h).
 */
#include "fcgi/h_invoices.h"
#include "fcgi/h_invoices_int.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "fcgi/fields.h"
#include "credits/credits.h"
#include "fcgi/input.h"
#include "invoices/invoices.h"
#include "fcgi/worker.h"
#include "base/num.h"

/* How many credits to buy: the form's and the API's one field. */
static const struct ob_field form_rows[] = {
	{ .name = "credits", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .min = 1, .max = OB_INVOICES_CREDITS_MAX,
	    .message = "Enter a number of credits from {min} to {max}." },
	{ .name = "idem", .type = OB_FIELD_STRING },	/* the form's one-time key */
};
const struct ob_fields ob_h_credit_purchase_form_fields = OB_FIELDS_TABLE(OB_BODY_FORM, form_rows, NULL);

static const struct ob_field api_rows[] = {
	{ .name = "credits", .type = OB_FIELD_INT, .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID,
	    .min = 1, .max = OB_INVOICES_CREDITS_MAX,
	    .message = "credits is an integer from {min} to {max}." },
};
const struct ob_fields ob_h_api_purchase_fields = OB_FIELDS_TABLE(OB_BODY_JSON, api_rows, NULL);

/*
 * The console's purchase. The form carries a one-time key made when it was
 * rendered (ob_page_form_key), used as the purchase's Idempotency-Key: the
 * same form submitted again (a double click, back and resubmit) finds the
 * first purchase and answers it, charging once.
 */
int
ob_h_credit_purchase_form(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int declined = 0, replayed = 0;
	cJSON *out;

	ob_api_actx(r, &ax);
	out = ob_invoices_buy_credits(&ax, ob_worker_stripe(r->w), r->who.org_id,
	    ob_field_i64(r, "credits", 0), ob_h_inv_posted_key(r), &declined, &replayed, &f);
	if (out == NULL)
		return ob_api_failed(r, &f);
	cJSON_Delete(out);
	ob_resp_redirect(r, 303, declined ? "/billing/invoices?done=credits_declined" :
	    "/billing/invoices?done=credits_bought");
	return 0;
}

int
ob_h_api_purchases(struct ob_req *r)
{
	cJSON *list = ob_invoices_purchases(&r->w->db, r->who.org_id, 100);

	return ob_api_answer(r, list);
}

/*
 * The API's purchase. Not run through ob_api_idempotent: its transaction
 * would be open while Stripe is called, and a rollback would forget a
 * purchase Stripe may have charged. The purchase row itself is the
 * idempotency record (ob_invoices_buy_credits): a retry with the same key
 * resumes it and answers it again (Idempotent-Replayed: true).
 */
int
ob_h_api_purchase(struct ob_req *r)
{
	struct ob_actx ax;
	struct ob_fail f = { 0 };
	int declined = 0, replayed = 0;
	const char *key;
	cJSON *o, *err;

	if (ob_api_body(r) == NULL || ob_api_idem_key(r, 0, &key) != 0)
		return 0;
	ob_api_actx(r, &ax);
	if ((o = ob_invoices_buy_credits(&ax, ob_worker_stripe(r->w), r->who.org_id,
	    ob_field_i64(r, "credits", 0), key, &declined, &replayed, &f)) == NULL) {
		ob_api_fail(r, &f);
		return 0;
	}
	if (replayed)
		ob_resp_header(r, "Idempotent-Replayed", "true");
	if (declined) {
		/* Kept (the purchase and its open invoice exist): a 402 with the purchase. */
		err = cJSON_AddObjectToObject(o, "error");
		cJSON_AddStringToObject(err, "type", "invalid_request_error");
		cJSON_AddStringToObject(err, "code", "card_declined");
		cJSON_AddStringToObject(err, "message", f.message);
		cJSON_AddNullToObject(err, "param");
	}
	ob_api_json(r, declined ? 402 : 201, o);
	cJSON_Delete(o);
	return 0;
}
