/*
 * Checkout events: a session started from the console completed (its
 * subscription is mirrored and the order marked complete) or expired.
 * The session and its subscription are fetched from Stripe when a client
 * is at hand; without one the event's own session is used and its
 * subscription must be expanded in it. The first completion e-mails the
 * org's billing contacts a confirmation with the receipt of the first
 * payment (once per session: the outbox's dedupe key).
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <string.h>

#include "identity/audit.h"
#include "stripe/client.h"
#include "base/json.h"
#include "base/money.h"
#include "base/num.h"
#include "base/outbox.h"
#include "billing/checkout.h"

int ob_wh_checkout_session(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);

/* GET path from Stripe into *res. 0 or -1 with f. */
static int
fetch(struct ob_wh_ctx *cx, const char *what, const char *id, struct ob_stripe_result *res,
    struct ob_fail *f)
{
	char path[320];

	snprintf(path, sizeof(path), "/v1/%s/%s", what, id);
	if (ob_stripe_request(cx->stripe, "GET", path, NULL, NULL, res) == 0)
		return 0;
	return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "fetching %s from Stripe: %s",
	    id, ob_stripe_outcome_name(res->outcome));
}

/*
 * The confirmation of org's order sid, with the receipt of inv (the first
 * invoice as fetched from Stripe; may be NULL), to its billing contacts
 * and owners. 0 or -1 with f.
 */
static int
confirm(struct ob_wh_ctx *cx, int64_t org_id, const char *sid, const cJSON *inv,
    struct ob_fail *f)
{
	char subject[OB_OUTBOX_SUBJECT_MAX], body[2048], total[48], paid[48], key[300];
	cJSON *o = NULL;
	const char *cur, *cycle;
	int64_t v;

	if (ob_checkout_get(cx->db, org_id, sid, &o) != 0)
		return ob_fail_db(f, cx->db->lasterr);
	cur = ob_json_str(o, "currency");
	cycle = ob_json_str(o, "cycle");
	ob_money_format(total, sizeof(total), ob_num_json_or(o, "total", 0), cur, OB_MONEY_CODE);
	v = ob_num_json_or(inv, "amount_paid", ob_num_json_or(o, "total", 0));
	ob_money_format(paid, sizeof(paid), v, ob_json_str_or(inv, "currency", cur), OB_MONEY_CODE);
	snprintf(subject, sizeof(subject), "Your %.60s subscription is confirmed",
	    ob_json_str_or(o, "plan", "new"));
	snprintf(body, sizeof(body),
	    "Thank you for subscribing.\n\n"
	    "Plan: %.60s\nSeats: %lld\nBilling cycle: %s\nPrice: %s per %s\n\n"
	    "Receipt\nInvoice: %.60s\nPaid today: %s\nView the invoice: %.400s\n",
	    ob_json_str_or(o, "plan", ""), (long long)ob_num_json_or(o, "seats", 0),
	    cycle != NULL && strcmp(cycle, "year") == 0 ? "annual" : "monthly", total,
	    cycle != NULL && strcmp(cycle, "year") == 0 ? "year" : "month",
	    ob_json_str_or(inv, "number", ob_json_str_or(inv, "id", "(see the Billing page)")), paid,
	    ob_json_str_or(inv, "hosted_invoice_url", "(see the Billing page)"));
	cJSON_Delete(o);
	snprintf(key, sizeof(key), "subscription-confirmed:%.250s", sid);
	if (ob_outbox_notify(cx->db, org_id, 1, "subscription_confirmed", key, subject, body,
	    NULL) != 0)
		return ob_fail_db(f, cx->db->lasterr);
	return 0;
}

int
ob_wh_checkout_session(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
	const cJSON *sess = cJSON_GetObjectItemCaseSensitive(data, "object"), *sub;
	const char *id = ob_json_str(sess, "id"), *sub_id;
	struct ob_stripe_result rs = { 0 }, rb = { 0 }, ri = { 0 };
	struct ob_fail nof = { 0 };	/* without the invoice, the e-mail links the Billing page */
	const cJSON *inv;
	const char *inv_id;
	int rc = -1;

	*org_id = 0;
	if (id == NULL || strlen(id) > 255)
		return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL, "event without a session id");
	if (ob_json_str(sess, "mode") == NULL || strcmp(ob_json_str(sess, "mode"), "subscription") != 0)
		return 0;	/* payments are the purchases' business */
	if (cx->stripe != NULL) {
		if (fetch(cx, "checkout/sessions", id, &rs, f) != 0)
			goto out;
		sess = rs.body;
	}
	sub = cJSON_GetObjectItemCaseSensitive(sess, "subscription");
	sub_id = cJSON_IsString(sub) ? sub->valuestring : ob_json_str(sub, "id");
	if (cx->stripe != NULL && sub_id != NULL && strlen(sub_id) <= 255) {
		if (fetch(cx, "subscriptions", sub_id, &rb, f) != 0)
			goto out;
		sub = rb.body;
	}
	if (ob_json_str(sess, "status") != NULL && strcmp(ob_json_str(sess, "status"), "complete") == 0 &&
	    !cJSON_IsObject(sub)) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "session %s: its subscription is not at hand", id);
		goto out;
	}
	/*
	 * The first invoice (for the receipt) is fetched before anything is
	 * written: no Stripe call while this transaction holds the rows that
	 * finishing the order locks (the subscription, the credit pool).
	 */
	inv = cJSON_GetObjectItemCaseSensitive(sess, "invoice");
	inv_id = cJSON_IsString(inv) ? inv->valuestring : ob_json_str(inv, "id");
	if (cx->stripe != NULL && inv_id != NULL && strlen(inv_id) <= 255 &&
	    fetch(cx, "invoices", inv_id, &ri, &nof) == 0)
		inv = ri.body;
	else if (!cJSON_IsObject(inv))
		inv = NULL;
	if ((rc = ob_checkout_finish(&ax, sess, sub, org_id, f)) != 0 || *org_id == 0 ||
	    strcmp(ob_json_str(sess, "status"), "complete") != 0)
		goto out;
	/* Completed just now: the confirmation, with the first invoice's receipt. */
	rc = confirm(cx, *org_id, id, inv, f);
out:
	ob_stripe_result_clear(&rs);
	ob_stripe_result_clear(&rb);
	ob_stripe_result_clear(&ri);
	return rc;
}
