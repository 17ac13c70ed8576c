/*
 * A second subscription bought through Checkout (two tabs, both paid) is
 * undone at Stripe before anything of it is mirrored: its subscription
 * canceled, its first payment refunded (reason duplicate) or its invoice
 * voided. Run by the checkout events' fetch step, with no transaction
 * open; the duplicate is recorded (committed) before the first call.
 */
#include "sync/wh_checkout.h"

#include <stdio.h>
#include <string.h>

#include "stripe/client.h"
#include "base/json.h"
#include "base/num.h"
#include "billing/checkout.h"

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

/* See sync/wh_checkout.h. */
int
ob_wh_checkout_guard_duplicate(struct ob_wh_ctx *cx, const struct ob_actx *ax,
    const cJSON *sess, const cJSON *sub, const cJSON *inv, int has_inv, cJSON **undone,
    struct ob_fail *f)
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
