/*
 * Staff refunds through Stripe, and their history. See refunds.h.
 */
#include "invoices/refunds.h"
#include "base/json.h"

#include <stdio.h>
#include <string.h>

#include "stripe/client.h"
#include "stripe/form.h"
#include "invoices/invoices.h"
#include "base/db_json.h"
#include "base/log.h"
#include "base/row.h"
#include "base/num.h"
#include "base/idem.h"

int64_t
ob_refunds_refundable(int64_t amount_paid, int64_t already)
{
	return amount_paid > already ? amount_paid - already : 0;
}

int
ob_refunds_amount(int64_t amount_paid, int64_t already, int64_t requested, int64_t *amount,
    struct ob_fail *f)
{
	int64_t left = ob_refunds_refundable(amount_paid, already);

	*amount = 0;
	if (requested < 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount is a positive number of minor units.");
	if (left == 0)
		return ob_fail(f, OB_FAIL_CONFLICT, "nothing_to_refund", NULL,
		    "Nothing of this invoice's payment remains to be refunded.");
	if (requested > left)
		return ob_fail(f, OB_FAIL_INVALID, "amount_exceeds_refundable", "amount",
		    "At most %lld can still be refunded.", (long long)left);
	*amount = requested == 0 ? left : requested;
	return 0;
}

/*
 * What paid the invoice, as Stripe's invoice payments say (API versions
 * from 2025 on): a payment intent ("pi_…") or a charge ("ch_…") into out.
 * 0 when found, 1 when Stripe has none (or no such endpoint), -1 with f.
 */
static int
find_invoice_payment(struct ob_stripe *st, const char *invoice, char *out, size_t len,
    struct ob_fail *f)
{
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	const cJSON *data, *ip, *pay;
	const char *id;
	int rc = 1;

	ob_buf_puts(&path, "/v1/invoice_payments?limit=100&invoice=");
	ob_stripe_form_escape(&path, invoice, strlen(invoice));
	memset(&res, 0, sizeof(res));
	if (ob_stripe_request(st, "GET", path.data, NULL, NULL, &res) != 0) {
		if (res.outcome != OB_STRIPE_NOT_FOUND)
			rc = ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "Stripe: %s",
			    res.err_message[0] ? res.err_message : ob_stripe_outcome_name(res.outcome));
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(res.body, "data");
	cJSON_ArrayForEach(ip, data) {
		const char *status = ob_json_str(ip, "status");

		pay = cJSON_GetObjectItemCaseSensitive(ip, "payment");
		if (status == NULL || strcmp(status, "paid") != 0 || !cJSON_IsObject(pay))
			continue;
		id = ob_json_id(pay, "payment_intent");
		if (id == NULL)
			id = ob_json_id(pay, "charge");
		if (id != NULL) {
			snprintf(out, len, "%s", id);
			rc = 0;
			break;
		}
	}
out:
	ob_stripe_result_clear(&res);
	ob_buf_free(&path);
	return rc;
}

/*
 * The payment that paid the invoice (id into out): its invoice payment,
 * or — for older API versions — the customer's succeeded charge that names
 * the invoice. 0, or -1 with f.
 */
static int
find_charge(struct ob_stripe *st, const char *customer, const char *invoice, char *out,
    size_t len, struct ob_fail *f)
{
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	const cJSON *data, *ch;
	int rc;

	out[0] = '\0';
	if ((rc = find_invoice_payment(st, invoice, out, len, f)) <= 0)
		return rc;
	rc = -1;
	ob_buf_puts(&path, "/v1/charges?limit=100&customer=");
	ob_stripe_form_escape(&path, customer, strlen(customer));
	memset(&res, 0, sizeof(res));
	if (ob_stripe_request(st, "GET", path.data, NULL, NULL, &res) != 0) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "Stripe: %s",
		    res.err_message[0] ? res.err_message : ob_stripe_outcome_name(res.outcome));
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(res.body, "data");
	cJSON_ArrayForEach(ch, data) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(ch, "metadata");
		const char *inv = ob_json_id(ch, "invoice");

		if (inv == NULL)
			inv = ob_json_str(md, "invoice");
		if (inv != NULL && strcmp(inv, invoice) == 0 &&
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ch, "paid")) &&
		    ob_json_str(ch, "id") != NULL) {
			snprintf(out, len, "%s", ob_json_str(ch, "id"));
			break;
		}
	}
	if (out[0] == '\0')
		ob_fail(f, OB_FAIL_CONFLICT, "no_charge", NULL, "No successful payment found for this invoice.");
	else
		rc = 0;
	ob_stripe_result_clear(&res);
out:
	ob_buf_free(&path);
	return rc;
}

static cJSON *
refund_json(const char *id, const char *invoice_id, const char *stripe_invoice, const char *stripe_refund,
    int64_t amount, const char *currency, const char *reason, const char *status, int64_t left)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "object", "refund");
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "invoice_id", invoice_id);	/* the invoice's public id */
	cJSON_AddStringToObject(o, "stripe_invoice_id", stripe_invoice);
	if (stripe_refund != NULL && *stripe_refund != '\0')
		cJSON_AddStringToObject(o, "stripe_refund_id", stripe_refund);
	else
		cJSON_AddNullToObject(o, "stripe_refund_id");
	ob_json_add_i64(o, "amount", amount);
	cJSON_AddStringToObject(o, "currency", currency);
	cJSON_AddStringToObject(o, "reason", reason);
	cJSON_AddStringToObject(o, "status", status);
	ob_json_add_i64(o, "refundable_remaining", left);
	return o;
}

/* A refund's reason: 3 to 500 characters, no control characters but newlines. 0 or -1 with f. */
static int
reason_check(const char *reason, struct ob_fail *f)
{
	const char *p;

	if (reason == NULL || strlen(reason) < 3 || strlen(reason) > 500)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "reason",
		    "Give a reason of 3 to 500 characters.");
	for (p = reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "reason",
			    "reason holds a control character.");
	return 0;
}

/* The invoice being refunded, as its locked row has it. */
struct locked_invoice {
	char sinv[256], cust[256], currency[4], charge[128], pub[40];
	int64_t paid, already;	/* amount paid; refunds succeeded or in flight */
};

/*
 * Lock invoice inv (our id, text) of org (text) and read it into li; it
 * must be paid. 0, or -1 with f (404 unknown, 409 not paid, database).
 */
static int
lock_invoice(struct ob_db *db, const char *org, const char *inv, struct locked_invoice *li,
    struct ob_fail *f)
{
	const char *params[2] = { org, inv };
	PGresult *q;
	int paid;

	if ((q = ob_db_exec(db, OB_STMT_REF_INVOICE_LOCK, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(q) != 1) {
		PQclear(q);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "invoice_not_found", "invoice_id", "No such invoice.");
	}
	snprintf(li->sinv, sizeof(li->sinv), "%s", ob_row_str(q, 0, "stripe_invoice_id"));
	snprintf(li->pub, sizeof(li->pub), "%s", ob_row_str(q, 0, "public_id"));
	snprintf(li->cust, sizeof(li->cust), "%s", ob_row_str(q, 0, "stripe_customer_id"));
	snprintf(li->currency, sizeof(li->currency), "%s", ob_row_str(q, 0, "currency"));
	li->paid = ob_row_i64(q, 0, "amount_paid");
	snprintf(li->charge, sizeof(li->charge), "%s", ob_row_str(q, 0, "stripe_charge_id"));
	li->already = ob_row_i64(q, 0, "already_refunded");
	paid = strcmp(ob_row_str(q, 0, "status"), "paid") == 0;
	PQclear(q);
	if (!paid)
		return ob_fail(f, OB_FAIL_CONFLICT, "invoice_not_paid", "invoice_id",
		    "Only a paid invoice can be refunded.");
	return 0;
}

/*
 * Begin, lock invoice inv of org and read it into li with its payment
 * known. When the payment is not stored yet the lock is let go while
 * Stripe is asked (no lock is held across a Stripe call), the answer is
 * stored, and the row is locked and read again. 0 with the transaction
 * open, or -1 with f and none open.
 */
static int
lock_invoice_charged(struct ob_db *db, struct ob_stripe *st, const char *org, const char *inv,
    struct locked_invoice *li, struct ob_fail *f)
{
	const char *params[2] = { inv, li->charge };

	if (ob_db_begin(db) != 0)
		return ob_fail_db(f, db->lasterr);
	if (lock_invoice(db, org, inv, li, f) != 0)
		goto fail;
	if (li->charge[0] != '\0')
		return 0;
	ob_db_rollback(db);
	if (find_charge(st, li->cust, li->sinv, li->charge, sizeof(li->charge), f) != 0)
		return -1;
	if (ob_db_run(db, OB_STMT_REF_INVOICE_SET_CHARGE, params) != 0)
		return ob_fail_db(f, db->lasterr);
	if (ob_db_begin(db) != 0)
		return ob_fail_db(f, db->lasterr);
	if (lock_invoice(db, org, inv, li, f) == 0)
		return 0;
fail:
	ob_db_rollback(db);
	return -1;
}

/* A refund being made, or resumed by its Idempotency-Key. */
struct refund_try {
	char    rid[24];	/* internal: rows, Stripe's metadata */
	char    pub[40];	/* the public id tenants see */
	int64_t take;
	char    status[24];
	char    stripe_id[256];	/* "" until Stripe's answer is recorded */
	int     existing;
};

/*
 * The refund an earlier request of org with key made, into t (t->existing
 * = 1), if any: it must be for the same invoice and amount (0: any), else
 * 409 idempotency_key_reused. 0 or -1 with f.
 */
static int
refund_by_key(struct ob_db *db, const char *org, const char *key, int64_t invoice_id,
    int64_t amount, struct refund_try *t, struct ob_fail *f)
{
	const char *params[2] = { org, key };
	PGresult *q;
	int rc;

	if ((rc = ob_db_one(db, OB_STMT_REF_BY_KEY, params, &q)) != 0)
		return rc > 0 ? 0 : ob_fail_db(f, db->lasterr);
	t->existing = 1;
	snprintf(t->rid, sizeof(t->rid), "%s", ob_row_str(q, 0, "id"));
	snprintf(t->pub, sizeof(t->pub), "%s", ob_row_str(q, 0, "public_id"));
	t->take = ob_row_i64(q, 0, "amount");
	snprintf(t->status, sizeof(t->status), "%s", ob_row_str(q, 0, "status"));
	snprintf(t->stripe_id, sizeof(t->stripe_id), "%s", ob_row_str(q, 0, "stripe_refund_id"));
	rc = ob_row_i64(q, 0, "invoice_id") != invoice_id || (amount != 0 && amount != t->take);
	PQclear(q);
	return rc ? ob_idem_fail_reused(f) : 0;
}

/*
 * The refund's row (pending) for t->take of the invoice, with key; its ids
 * into t->rid and t->pub. 0 or -1 with f.
 */
static int
refund_insert(const struct ob_actx *ax, const char *org, const char *inv,
    const struct locked_invoice *li, struct refund_try *t, const char *reason, const char *key,
    struct ob_fail *f)
{
	char amt[24], uid[24];
	const char *params[8] = { org, inv, li->charge, amt, li->currency, reason, uid,
	    key != NULL ? key : "" };
	PGresult *q;

	ob_num_str(amt, sizeof(amt), t->take);
	ob_num_str(uid, sizeof(uid), ax->who != NULL ? ax->who->user_id : 0);
	if ((q = ob_db_exec(ax->db, OB_STMT_REF_INSERT, params, NULL)) == NULL)
		return ob_fail_db(f, ax->db->lasterr);
	snprintf(t->rid, sizeof(t->rid), "%s", ob_row_str(q, 0, "id"));
	snprintf(t->pub, sizeof(t->pub), "%s", ob_row_str(q, 0, "public_id"));
	PQclear(q);
	return 0;
}

/*
 * Refund take of charge (a payment intent or a charge) at Stripe, keyed by
 * org and opkey (NULL or empty: the refund's id rid). 0 with res filled,
 * or -1 with f (409 refused, else Stripe unavailable).
 */
static int
stripe_refund(struct ob_stripe *st, const char *org, const char *rid, const char *opkey,
    const char *charge, int64_t take, struct ob_stripe_result *res, struct ob_fail *f)
{
	char amt[24], opid[160], key[OB_STRIPE_IDEM_KEY_MAX + 1];
	cJSON *body = cJSON_CreateObject(), *md;
	size_t i;
	int rc = 0;

	ob_num_str(amt, sizeof(amt), take);
	/* A payment intent or a charge: Stripe refunds either. */
	cJSON_AddStringToObject(body, strncmp(charge, "pi_", 3) == 0 ? "payment_intent" : "charge",
	    charge);
	cJSON_AddStringToObject(body, "amount", amt);
	cJSON_AddStringToObject(body, "reason", "requested_by_customer");
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_refund", rid);
	cJSON_AddStringToObject(md, "orgbill_org", org);
	snprintf(opid, sizeof(opid), "%s-%s", org, opkey != NULL && *opkey != '\0' ? opkey : rid);
	/* The caller's key may hold characters Stripe keys should not. */
	for (i = 0; opid[i] != '\0'; i++)
		if (opid[i] <= ' ' || opid[i] > '~')
			opid[i] = '_';
	if (ob_stripe_idem_key(key, sizeof(key), "refund", opid) != 0)
		ob_stripe_idem_key(key, sizeof(key), "refund", rid);
	if (ob_stripe_request(st, "POST", "/v1/refunds", body, key, res) != 0) {
		if (res->outcome == OB_STRIPE_INVALID_REQUEST || res->outcome == OB_STRIPE_CARD ||
		    res->outcome == OB_STRIPE_IDEMPOTENCY)
			ob_fail(f, OB_FAIL_CONFLICT, "stripe_refused", NULL, "Stripe refused the refund: %s",
			    res->err_message);
		else
			ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
			    "Stripe did not answer (%s); retry with the same Idempotency-Key.",
			    ob_stripe_outcome_name(res->outcome));
		rc = -1;
	}
	cJSON_Delete(body);
	return rc;
}

/*
 * Record Stripe's answer res on refund rid and bring invoice inv's
 * refunded total in step. The refund's status (Stripe's, "pending" when
 * unknown), or NULL with f.
 */
static const char *
refund_finish(struct ob_db *db, const char *rid, const char *inv,
    const struct ob_stripe_result *res, struct ob_fail *f)
{
	const char *status = ob_json_str(res->body, "status");
	const char *params[4];
	PGresult *q;

	if (status == NULL || (strcmp(status, "succeeded") != 0 && strcmp(status, "pending") != 0 &&
	    strcmp(status, "failed") != 0 && strcmp(status, "canceled") != 0 &&
	    strcmp(status, "requires_action") != 0))
		status = "pending";
	params[0] = rid;
	params[1] = ob_json_str_or(res->body, "id", "");
	params[2] = status;
	params[3] = "";
	if (ob_db_run(db, OB_STMT_REF_FINISH, params) != 0) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	params[0] = inv;
	params[1] = "0";
	if ((q = ob_db_exec(db, OB_STMT_REF_INVOICE_SYNC, params, NULL)) == NULL) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	PQclear(q);
	return status;
}

/*
 * The staff member's request, audited with the intent (whatever Stripe
 * later answers, the request and its reason are on record); inv is the
 * invoice's public id. 0 or -1.
 */
static int
intent_audit(const struct ob_actx *ax, const char *org, const char *inv, const struct refund_try *t)
{
	cJSON *after = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(after, "invoice_id", inv);
	ob_json_add_i64(after, "amount", t->take);
	cJSON_AddStringToObject(after, "status", "pending");
	rc = ob_audit_write(ax, ob_num_id(org), "invoice.refund_requested", "refund", t->pub, NULL,
	    after);
	cJSON_Delete(after);
	return rc;
}

/*
 * The intent, committed: under the invoice's lock, the refund an earlier
 * request with opkey made (resumed), or a new pending row for what may
 * still be refunded. 0 (no transaction open) or -1 with f.
 */
static int
refund_intent(const struct ob_actx *ax, struct ob_stripe *st, const char *org, int64_t invoice_id,
    int64_t amount, const char *reason, const char *opkey, struct locked_invoice *li,
    struct refund_try *t, struct ob_fail *f)
{
	char inv[24];

	ob_num_str(inv, sizeof(inv), invoice_id);
	if (lock_invoice_charged(ax->db, st, org, inv, li, f) != 0)
		return -1;
	if (opkey != NULL && *opkey != '\0' &&
	    refund_by_key(ax->db, org, opkey, invoice_id, amount, t, f) != 0)
		goto fail;
	if (!t->existing) {
		if (ob_refunds_amount(li->paid, li->already, amount, &t->take, f) != 0 ||
		    refund_insert(ax, org, inv, li, t, reason, opkey, f) != 0)
			goto fail;
		snprintf(t->status, sizeof(t->status), "pending");
		li->already += t->take;
		if (intent_audit(ax, org, li->pub, t) != 0) {
			ob_fail_db(f, ax->db->lasterr);
			goto fail;
		}
	}
	return ob_db_commit(ax->db) == 0 ? 0 : ob_fail_db(f, ax->db->lasterr);
fail:
	ob_db_rollback(ax->db);
	return -1;
}

cJSON *
ob_refunds_create(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    int64_t invoice_id, int64_t amount, const char *reason, const char *opkey,
    struct ob_fail *f)
{
	char org[24], inv[24];
	struct locked_invoice li;
	struct refund_try t = { .take = 0 };
	struct ob_stripe_result res = { 0 };
	const char *status, *params[4];
	cJSON *out = NULL;

	if (reason_check(reason, f) != 0)
		return NULL;
	if (st == NULL) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "Stripe is not configured.");
		return NULL;
	}
	if (ax->db->in_tx > 0) {
		ob_fail(f, OB_FAIL_DB, "refund_in_transaction", NULL,
		    "A refund must not run inside another transaction.");
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(inv, sizeof(inv), invoice_id);
	if (refund_intent(ax, st, org, invoice_id, amount, reason, opkey, &li, &t, f) != 0)
		return NULL;
	/* Known already (a replay): answered as it stands. */
	if (t.stripe_id[0] != '\0' || strcmp(t.status, "pending") != 0)
		return refund_json(t.pub, li.pub, li.sinv, t.stripe_id, t.take, li.currency, reason,
		    t.status, ob_refunds_refundable(li.paid, li.already));
	/* Stripe with no transaction open; an unknown outcome leaves the row pending. */
	if (stripe_refund(st, org, t.rid, opkey, li.charge, t.take, &res, f) != 0) {
		params[0] = t.rid;
		params[1] = f->message;
		if (f->kind != OB_FAIL_UPSTREAM)
			(void)ob_db_run(ax->db, OB_STMT_REF_FAIL, params);
		goto out;
	}
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto out;
	}
	if ((status = refund_finish(ax->db, t.rid, inv, &res, f)) == NULL) {
		ob_db_rollback(ax->db);
		goto out;
	}
	out = refund_json(t.pub, li.pub, li.sinv, ob_json_str(res.body, "id"), t.take, li.currency,
	    reason, status, ob_refunds_refundable(li.paid, li.already));
	/* The org's activity log names the invoice as its people know it. */
	if (ob_audit_commit(ax, org_id, "invoice.refund", "invoice", li.pub, NULL, out, f) != 0) {
		cJSON_Delete(out);
		out = NULL;
	}
out:
	ob_stripe_result_clear(&res);
	return out;
}

/* A row of OB_STMT_REF_LIST as the API's refund (an ob_db_row_fn). */
static cJSON *
refund_row(const PGresult *q, int i, const void *arg)
{
	cJSON *o = cJSON_CreateObject();

	(void)arg;
	cJSON_AddStringToObject(o, "object", "refund");
	cJSON_AddStringToObject(o, "id", ob_row_str(q, i, "id"));
	cJSON_AddStringToObject(o, "invoice_id", ob_row_str(q, i, "invoice_id"));
	cJSON_AddStringToObject(o, "stripe_invoice_id", ob_row_str(q, i, "stripe_invoice_id"));
	cJSON_AddStringToObject(o, "invoice_number", ob_row_str(q, i, "invoice_number"));
	cJSON_AddStringToObject(o, "stripe_refund_id", ob_row_str(q, i, "stripe_refund_id"));
	ob_json_add_i64(o, "amount", ob_row_i64(q, i, "amount"));
	cJSON_AddStringToObject(o, "currency", ob_row_str(q, i, "currency"));
	cJSON_AddStringToObject(o, "reason", ob_row_str(q, i, "reason"));
	cJSON_AddStringToObject(o, "status", ob_row_str(q, i, "status"));
	cJSON_AddStringToObject(o, "failure", ob_row_str(q, i, "failure"));
	cJSON_AddStringToObject(o, "requested_by", ob_row_str(q, i, "requested_by"));
	cJSON_AddStringToObject(o, "created", ob_row_str(q, i, "created"));
	return o;
}

int
ob_refunds_public_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || strncmp(s, "rfd_", 4) != 0 || strlen(s) != 4 + 32)
		return 0;
	for (i = 4; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

cJSON *
ob_refunds_list(struct ob_db *db, int64_t org_id, const char *before, int limit)
{
	char org[24], lim[16];
	const char *params[3] = { org, before != NULL ? before : "", lim };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), limit + 1);
	return ob_db_exec_rows(db, OB_STMT_REF_LIST, params, limit, refund_row, NULL);
}
