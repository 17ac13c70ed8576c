/*
 * Checkout events: a session started from the console completed (its
 * subscription is mirrored and the order marked complete) or expired.
 * The session and its subscription are fetched from Stripe when a client
 * is at hand; without one the event's own session is used and its
 * subscription must be expanded in it. The first completion e-mails the
 * org's billing contacts a confirmation with the receipt of the first
 * payment (once per session: the outbox's dedupe key). A session
 * completed while the org already has another live subscription (two
 * Checkout tabs, both paid) is undone at Stripe — its subscription
 * canceled, its first payment refunded or its invoice voided — before
 * anything is written, and recorded as a duplicate: the org's subscription
 * stays the one mirrored, the customer is not charged twice.
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

/* A Stripe call of the undo: 0, or -1 with f. */
static int
call(struct ob_wh_ctx *cx, const char *method, const char *path, const cJSON *q,
    const char *op, const char *id, struct ob_stripe_result *res, struct ob_fail *f)
{
	char key[OB_STRIPE_IDEM_KEY_MAX + 1];

	if (ob_stripe_idem_key(key, sizeof(key), op, id) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL, "unusable id %s", id);
	if (ob_stripe_request(cx->stripe, method, path, q, key, res) == 0)
		return 0;
	return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "%s %s: %s", method, path,
	    res->err_message[0] ? res->err_message : ob_stripe_outcome_name(res->outcome));
}

/* What paid invoice inv_id (a payment intent or a charge) into out; 1: nothing. */
static int
paid_by(struct ob_wh_ctx *cx, const char *inv_id, char *out, size_t n, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	const cJSON *ip, *pay;
	char path[320];
	const char *id;
	int rc = 1;

	snprintf(path, sizeof(path), "/v1/invoice_payments?limit=100&invoice=%s", inv_id);
	if (ob_stripe_request(cx->stripe, "GET", path, NULL, NULL, &res) != 0) {
		rc = ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "invoice payments: %s",
		    ob_stripe_outcome_name(res.outcome));
		goto out;
	}
	cJSON_ArrayForEach(ip, cJSON_GetObjectItemCaseSensitive(res.body, "data")) {
		pay = cJSON_GetObjectItemCaseSensitive(ip, "payment");
		if (ob_json_str(ip, "status") == NULL || strcmp(ob_json_str(ip, "status"), "paid") != 0)
			continue;
		if ((id = ob_json_id(pay, "payment_intent")) == NULL)
			id = ob_json_id(pay, "charge");
		if (id != NULL && strlen(id) < n) {
			snprintf(out, n, "%s", id);
			rc = 0;
			break;
		}
	}
out:
	ob_stripe_result_clear(&res);
	return rc;
}

/*
 * Undo a second purchase (two Checkout tabs both paid) at Stripe, before
 * anything is written here: cancel its subscription now, refund its first
 * payment in full (reason duplicate) or void its first invoice when
 * unpaid. Every call carries an Idempotency-Key derived from the object,
 * so a retry after a crash between these calls and the commit does the
 * same once more without doing it twice; a subscription already canceled
 * is not canceled again. *undone: what was done (a new object). 0 or -1.
 */
static int
undo_duplicate(struct ob_wh_ctx *cx, const cJSON *sub, const cJSON *inv, cJSON **undone,
    struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	const char *sub_id = ob_json_str(sub, "id"), *inv_id = ob_json_str(inv, "id");
	const char *ist = ob_json_str(inv, "status");
	char path[320], pay[256];
	cJSON *q = NULL;
	int rc = -1, k;

	*undone = cJSON_CreateObject();
	cJSON_AddStringToObject(*undone, "canceled_subscription", sub_id);
	if (strcmp(ob_json_str_or(sub, "status", ""), "canceled") != 0) {
		snprintf(path, sizeof(path), "/v1/subscriptions/%s", sub_id);
		if (call(cx, "DELETE", path, NULL, "dupcheckout-cancel", sub_id, &res, f) != 0)
			goto out;
		ob_stripe_result_clear(&res);
	}
	if (inv_id != NULL && ist != NULL && strcmp(ist, "paid") == 0 &&
	    ob_num_json_or(inv, "amount_paid", 0) > 0) {
		if ((k = paid_by(cx, inv_id, pay, sizeof(pay), f)) < 0)
			goto out;
		if (k == 0) {
			q = cJSON_CreateObject();
			cJSON_AddStringToObject(q, strncmp(pay, "pi_", 3) == 0 ? "payment_intent" :
			    "charge", pay);
			cJSON_AddStringToObject(q, "reason", "duplicate");
			cJSON_AddStringToObject(cJSON_AddObjectToObject(q, "metadata"), "orgbill_reason",
			    "duplicate_checkout");
			if (call(cx, "POST", "/v1/refunds", q, "dupcheckout-refund", inv_id, &res, f) != 0)
				goto out;
			cJSON_AddStringToObject(*undone, "refund", ob_json_str_or(res.body, "id", ""));
			ob_json_add_i64(*undone, "amount_refunded", ob_num_json_or(res.body, "amount", 0));
			ob_stripe_result_clear(&res);
		}
	} else if (inv_id != NULL && ist != NULL && strcmp(ist, "open") == 0) {
		snprintf(path, sizeof(path), "/v1/invoices/%s/void", inv_id);
		if (call(cx, "POST", path, NULL, "dupcheckout-void", inv_id, &res, f) != 0)
			goto out;
		cJSON_AddStringToObject(*undone, "voided_invoice", inv_id);
	}
	rc = 0;
out:
	ob_stripe_result_clear(&res);
	cJSON_Delete(q);
	if (rc != 0) {
		cJSON_Delete(*undone);
		*undone = NULL;
	}
	return rc;
}

/*
 * When the completed session sess is a second purchase
 * (ob_checkout_duplicate), mark it (committed), then undo it at Stripe
 * with no transaction open: *undone says what was done (NULL: not a
 * duplicate). inv: its first invoice as fetched (NULL when
 * has_inv but it could not be fetched: retried later). 0 or -1 with f.
 */
static int
guard_duplicate(struct ob_wh_ctx *cx, const struct ob_actx *ax, const cJSON *sess,
    const cJSON *sub, const cJSON *inv, int has_inv, cJSON **undone, struct ob_fail *f)
{
	const char *id = ob_json_str(sess, "id");
	int k;

	*undone = NULL;
	if ((k = ob_checkout_duplicate(cx->db, sess, sub)) < 0)
		return ob_fail_db(f, cx->db->lasterr);
	if (k == 0)
		return 0;
	if (cx->stripe == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "session %s: a duplicate to cancel, and no Stripe client", id);
	if (has_inv && inv == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "session %s: a duplicate whose first invoice is not at hand", id);
	/* Recorded and committed first, so a crash during the calls is explained. */
	if (ob_db_begin(cx->db) != 0)
		return ob_fail_db(f, cx->db->lasterr);
	if (ob_checkout_mark_duplicate(ax, sess, sub, f) != 0) {
		ob_db_rollback(cx->db);
		return -1;
	}
	if (ob_db_commit(cx->db) != 0)
		return ob_fail_db(f, cx->db->lasterr);
	return undo_duplicate(cx, sub, inv, undone, f);
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
	cJSON *undone = NULL;
	int rc = -1, outside = 0;

	*org_id = 0;
	if (id == NULL || strlen(id) > 255)
		return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL, "event without a session id");
	if (ob_json_str(sess, "mode") == NULL || strcmp(ob_json_str(sess, "mode"), "subscription") != 0)
		return 0;	/* payments are the purchases' business */
	if (cx->stripe != NULL) {
		/*
		 * No Stripe call inside a transaction: the one the event was
		 * claimed in (nothing written yet) ends here; the writes below get
		 * their own, begun once Stripe's objects are at hand.
		 */
		if (ob_db_commit(cx->db) != 0)
			return ob_fail_db(f, cx->db->lasterr);
		outside = 1;
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
	/* The first invoice (for the receipt), fetched before anything is written. */
	inv = cJSON_GetObjectItemCaseSensitive(sess, "invoice");
	inv_id = cJSON_IsString(inv) ? inv->valuestring : ob_json_str(inv, "id");
	if (cx->stripe != NULL && inv_id != NULL && strlen(inv_id) <= 255 &&
	    fetch(cx, "invoices", inv_id, &ri, &nof) == 0)
		inv = ri.body;
	else if (!cJSON_IsObject(inv))
		inv = NULL;
	/*
	 * A second purchase while the org has another live subscription: undone
	 * at Stripe now (still nothing written), then recorded, never mirrored.
	 */
	if (ob_json_str(sess, "status") != NULL && strcmp(ob_json_str(sess, "status"), "complete") == 0 &&
	    (rc = guard_duplicate(cx, &ax, sess, sub, inv_id != NULL && ri.body == NULL ? NULL : inv,
	    inv_id != NULL, &undone, f)) != 0)
		goto out;
	if (outside) {
		outside = 0;
		if (ob_db_begin(cx->db) != 0) {
			rc = ob_fail_db(f, cx->db->lasterr);
			goto out;
		}
	}
	if ((rc = ob_checkout_finish(&ax, sess, sub, undone, org_id, f)) != 0 || *org_id == 0 ||
	    strcmp(ob_json_str(sess, "status"), "complete") != 0 || undone != NULL)
		goto out;
	/* Completed just now: the confirmation, with the first invoice's receipt. */
	rc = confirm(cx, *org_id, id, inv, f);
out:
	if (outside)
		(void)ob_db_begin(cx->db);	/* the caller ends the handler's transaction */
	ob_stripe_result_clear(&rs);
	ob_stripe_result_clear(&rb);
	ob_stripe_result_clear(&ri);
	cJSON_Delete(undone);
	return rc;
}
