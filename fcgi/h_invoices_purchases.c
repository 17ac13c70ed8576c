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
#include "base/json.h"
#include "base/money.h"
#include "base/num.h"
#include "fcgi/page.h"

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
	/* The page says what the purchase's status is when it is shown (ob_h_inv_purchases_view). */
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/billing/invoices?done=%s&purchase=%s",
	    declined ? "credits_declined" : strcmp(ob_json_str_or(out, "status", ""), "paid") == 0 ?
	    "credits_bought" : "credits_open", ob_json_str_or(out, "id", "")));
	cJSON_Delete(out);
	return 0;
}

/* ---- the purchases on the invoices page ---- */

enum purchase_state { P_ADDED, P_PAID, P_PAYABLE, P_FAILED, P_WAITING };

/*
 * Where purchase p stands now, from its own status and its invoice's (as
 * mirrored); *pay: the invoice page where an open one is paid (arena).
 * While the mirror has no settled state yet (no row, or a draft that a
 * webhook caught before the payment), hint — what Stripe answered the
 * purchase a moment ago, P_WAITING when unknown — stands.
 */
static enum purchase_state
purchase_state(struct ob_req *r, const cJSON *p, enum purchase_state hint, const char **pay)
{
	const char *st = ob_json_str_or(p, "status", ""), *inv = ob_json_str_or(p, "invoice", "");
	const char *ist = "";
	struct ob_fail f = { 0 };
	enum purchase_state s;
	cJSON *i = NULL;

	*pay = NULL;
	if (strcmp(st, "granted") == 0)
		return P_ADDED;
	if (strcmp(st, "failed") == 0 || strcmp(st, "void") == 0)
		return P_FAILED;
	if (*inv != '\0' && (i = ob_invoices_get(&r->w->db, r->who.org_id, inv, &f)) != NULL)
		ist = ob_json_str_or(i, "status", "");
	if (strcmp(ist, "paid") == 0)
		s = P_PAID;
	else if (strcmp(ist, "open") == 0)
		s = P_PAYABLE;
	else if (strcmp(ist, "void") == 0 || strcmp(ist, "uncollectible") == 0)
		s = P_FAILED;
	else
		s = hint;
	if (s == P_PAYABLE)
		*pay = ob_arena_printf(r->a, "/billing/invoices/%s", ob_json_str_or(i, "id", inv));
	cJSON_Delete(i);
	return s;
}

/* The flash of the purchase just made: its state now, in words. */
static void
purchase_flash(cJSON *d, enum purchase_state s, const char *count, const char *pay, struct ob_req *r)
{
	cJSON *fl;

	switch (s) {
	case P_ADDED:
		ob_page_flash(d, "success", ob_arena_printf(r->a, "%s credits added to your pool.", count));
		return;
	case P_PAID:
		ob_page_flash(d, "success", ob_arena_printf(r->a, "Payment received: %s credits are "
		    "added as soon as Stripe confirms it.", count));
		return;
	case P_PAYABLE:
		ob_page_flash(d, "warning", ob_arena_printf(r->a, "Payment required for %s credits —",
		    count));
		fl = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "flash"),
		    cJSON_GetArraySize(cJSON_GetObjectItem(d, "flash")) - 1);
		cJSON_AddStringToObject(fl, "href", pay);
		cJSON_AddStringToObject(fl, "link", "complete it here");
		return;
	case P_FAILED:
		ob_page_flash(d, "error", ob_arena_printf(r->a, "The purchase of %s credits did not "
		    "go through; nothing was charged.", count));
		return;
	case P_WAITING:
		ob_page_flash(d, "warning", ob_arena_printf(r->a, "Payment in progress: %s credits are "
		    "added once it succeeds.", count));
		return;
	}
}

void
ob_h_inv_purchases_view(struct ob_req *r, cJSON *d, cJSON *purchases)
{
	static const char *const words[] = { "Credits added", "Paid — credits on their way",
		"Payment required", "Not paid — nothing charged", "Payment in progress" };
	const char *done = ob_query_get(r, "done"), *pid = ob_query_get(r, "purchase"), *pay;
	char n[OB_MONEY_MAX];
	enum purchase_state s;
	int flashed = 0, just;
	cJSON *it;
	int64_t v;

	cJSON_ArrayForEach(it, cJSON_GetObjectItem(purchases, "data")) {
		/* Counts as people read them ("20,000 credits"). */
		if (ob_num_json_get(it, "credits", &v) == 0)
			cJSON_AddStringToObject(it, "credits_text", ob_money_count(n, sizeof(n), v));
		cJSON_AddStringToObject(it, "amount_text", ob_h_inv_money(r, it, "amount",
		    ob_json_str_or(it, "currency", "usd")));
		just = !flashed && done != NULL && pid != NULL &&
		    strcmp(pid, ob_json_str_or(it, "id", "")) == 0;
		s = purchase_state(r, it, !just ? P_WAITING : strcmp(done, "credits_bought") == 0 ?
		    P_PAID : strcmp(done, "credits_declined") == 0 ? P_PAYABLE : P_WAITING, &pay);
		cJSON_AddStringToObject(it, "status_text", words[s]);
		if (pay != NULL)
			cJSON_AddStringToObject(it, "pay_href", pay);
		if (just && strncmp(done, "credits_", 8) == 0) {
			purchase_flash(d, s, ob_json_str_or(it, "credits_text", ""), pay, r);
			flashed = 1;
		}
	}
	cJSON_AddBoolToObject(d, "has_purchases",
	    cJSON_GetArraySize(cJSON_GetObjectItem(purchases, "data")) > 0);
	cJSON_AddItemToObject(d, "purchases", purchases);
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
