/*
 * Credit purchases: priced, invoiced and charged through Stripe, granted
 * once the invoice is paid; and their list. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "credits/credits.h"
#include "stripe/form.h"
#include "base/cfg.h"
#include "base/db_json.h"
#include "base/log.h"
#include "base/num.h"
#include "base/row.h"
#include "base/num.h"
#include "base/idem.h"

int64_t
ob_invoices_credit_price(int64_t credits, int64_t per_1000)
{
	int64_t amount = 0;

	return ob_invoices_credit_amount(credits, per_1000, INT64_MAX, &amount) == 0 ? amount : -1;
}

int
ob_invoices_credit_amount(int64_t credits, int64_t per_1000, int64_t cap, int64_t *amount)
{
	int64_t num, a;

	/* credits × per_1000 checked; then round(num / 1000), half away from zero, once. */
	if (ob_num_mul(credits, per_1000, &num) != 0)
		return -1;
	a = num >= 0 ? num / 1000 + (num % 1000 >= 500) : -(-(num / 1000) + (-(num % 1000) >= 500));
	if (a > cap || a < -cap)
		return -1;
	*amount = a;
	return 0;
}

int64_t
ob_invoices_price_per_1000(void)
{
	return ob_cfg_env_int("ORGBILL_CREDIT_PRICE_PER_1000");
}

/* A purchase being made or resumed: its row's figures. */
struct purchase {
	char    id[24];		/* internal: the row, Stripe's metadata and keys */
	char    pub[40];	/* the public id tenants see (pur_...) */
	int64_t credits, amount;
	char    status[16];	/* the row's: pending, open, granted, failed, void */
	char    invoice[128];	/* "" until the Stripe invoice is recorded */
	int     existing;	/* 1: an earlier request with the same key made it */
};

/* The row an earlier request with (org, key) made, into p. 0 or -1 with f. */
static int
purchase_by_key(struct ob_db *db, const char *org, const char *key, struct purchase *p,
    struct ob_fail *f)
{
	const char *params[2] = { org, key };
	PGresult *q;

	if (ob_db_one(db, OB_STMT_CP_BY_KEY, params, &q) != 0)
		return ob_db_fail(db, f);
	snprintf(p->id, sizeof(p->id), "%s", ob_row_str(q, 0, "id"));
	snprintf(p->pub, sizeof(p->pub), "%s", ob_row_str(q, 0, "public_id"));
	p->existing = 1;
	if (ob_row_i64(q, 0, "credits") != p->credits) {
		PQclear(q);
		ob_db_rollback(db);
		return ob_idem_fail_reused(f);
	}
	p->amount = ob_row_i64(q, 0, "amount");
	snprintf(p->status, sizeof(p->status), "%s", ob_row_str(q, 0, "status"));
	snprintf(p->invoice, sizeof(p->invoice), "%s", ob_row_str(q, 0, "stripe_invoice_id"));
	PQclear(q);
	return 0;
}

/*
 * The purchase's row and its audit row, committed in their own transaction
 * before any Stripe call (never inside a caller's: a rollback there would
 * forget a purchase Stripe may already have charged). With key, the row an
 * earlier request with the same key made is found instead (p->existing).
 * 0 or -1 with f.
 */
static int
purchase_record(const struct ob_actx *ax, int64_t org_id, const char *key, struct purchase *p,
    struct ob_fail *f)
{
	char org[24], cr[24], amt[24], uid[24];
	const char *params[5] = { org, cr, amt, uid, key ? key : "" };
	PGresult *q;
	cJSON *after;
	int rc;

	if (ax->db->in_tx > 0)
		return ob_fail(f, OB_FAIL_DB, "purchase_in_transaction", NULL,
		    "A credit purchase must not run inside another transaction.");
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(cr, sizeof(cr), p->credits);
	ob_num_str(amt, sizeof(amt), p->amount);
	ob_num_str(uid, sizeof(uid), ax->who != NULL ? ax->who->user_id : 0);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((q = ob_db_exec(ax->db, OB_STMT_CP_INSERT, params, NULL)) == NULL)
		return ob_db_fail(ax->db, f);
	if (PQntuples(q) != 1) {
		PQclear(q);
		if (purchase_by_key(ax->db, org, key, p, f) != 0)
			return -1;
		return ob_db_commit(ax->db) == 0 ? 0 : ob_fail_db(f, ax->db->lasterr);
	}
	ob_num_str(p->id, sizeof(p->id), ob_row_i64(q, 0, "id"));
	snprintf(p->pub, sizeof(p->pub), "%s", ob_row_str(q, 0, "public_id"));
	snprintf(p->status, sizeof(p->status), "pending");
	PQclear(q);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "credits", cr);
	cJSON_AddStringToObject(after, "amount", amt);
	rc = ob_audit_write(ax, org_id, "credits.purchase", "credit_purchase", p->pub, NULL, after);
	cJSON_Delete(after);
	if (rc != 0)
		return ob_db_fail(ax->db, f);
	return ob_db_commit(ax->db) == 0 ? 0 : ob_fail_db(f, ax->db->lasterr);
}

/*
 * The purchase's Stripe invoice (its id into invoice as soon as it exists)
 * with one item of amount, then the purchase row names it ("open"). 0 or
 * -1 with f.
 */
static int
purchase_invoice(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *customer,
    const char *pid, int64_t credits, int64_t amount, char *invoice, size_t len, struct ob_fail *f)
{
	char org[24], amt[24], desc[96];
	const char *params[3] = { pid, invoice, "open" };
	struct ob_stripe_result res = { 0 };
	const char *inv_id;
	cJSON *body, *md;
	int rc = -1;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(amt, sizeof(amt), amount);
	snprintf(desc, sizeof(desc), "Purchase of %lld credits", (long long)credits);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "customer", customer);
	cJSON_AddStringToObject(body, "collection_method", "charge_automatically");
	cJSON_AddStringToObject(body, "auto_advance", "false");
	cJSON_AddStringToObject(body, "currency", "usd");
	cJSON_AddStringToObject(body, "description", desc);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	cJSON_AddStringToObject(md, "orgbill_credit_purchase", pid);
	if (ob_inv_stripe_call(st, "POST", "/v1/invoices", body, "credit-purchase-invoice", pid, &res,
	    f) != 0)
		goto out;
	if ((inv_id = ob_json_str(res.body, "id")) == NULL) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "Stripe gave no invoice id.");
		goto out;
	}
	snprintf(invoice, len, "%s", inv_id);
	ob_stripe_result_clear(&res);
	cJSON_Delete(body);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "customer", customer);
	cJSON_AddStringToObject(body, "invoice", invoice);
	cJSON_AddStringToObject(body, "amount", amt);
	cJSON_AddStringToObject(body, "currency", "usd");
	cJSON_AddStringToObject(body, "description", desc);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_kind", "credit_purchase");
	cJSON_AddStringToObject(md, "orgbill_credit_purchase", pid);
	if (ob_inv_stripe_call(st, "POST", "/v1/invoiceitems", body, "credit-purchase-item", pid, &res,
	    f) != 0)
		goto out;
	if (ob_db_run(db, OB_STMT_CP_SET_INVOICE, params) != 0) {
		ob_fail_db(f, db->lasterr);
		goto out;
	}
	rc = 0;
out:
	ob_stripe_result_clear(&res);
	cJSON_Delete(body);
	return rc;
}

/* Read invoice from Stripe and mirror it (best effort: the webhooks and reconcile mirror it too). */
static void
mirror_invoice(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *invoice)
{
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	struct ob_fail f = { 0 };
	int64_t local;

	ob_buf_puts(&path, "/v1/invoices/");
	ob_stripe_form_escape(&path, invoice, strlen(invoice));
	if (ob_inv_stripe_call(st, "GET", path.data, NULL, "", "", &res, &f) == 0) {
		(void)ob_invoices_apply_stripe(db, org_id, res.body, (int64_t)time(NULL), &local, &f);
		ob_stripe_result_clear(&res);
	}
	ob_buf_free(&path);
}

/*
 * Charge the purchase's invoice now: "paid" or "open" (the invoice is
 * mirrored), "payment_failed" when the card was declined (f holds why), or
 * NULL with f set.
 */
static const char *
purchase_pay(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *invoice,
    const char *pid, struct ob_fail *f)
{
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	struct ob_fail f2 = { 0 };
	const char *status;
	int64_t local;

	ob_buf_puts(&path, "/v1/invoices/");
	ob_stripe_form_escape(&path, invoice, strlen(invoice));
	ob_buf_puts(&path, "/pay");
	if (ob_inv_stripe_call(st, "POST", path.data, NULL, "credit-purchase-pay", pid, &res, f) != 0) {
		ob_buf_free(&path);
		if (f->kind != OB_FAIL_PAYMENT)
			return NULL;
		/* Declined: the open invoice is mirrored now, so the console can link to it. */
		mirror_invoice(db, st, org_id, invoice);
		return "payment_failed";
	}
	ob_buf_free(&path);
	status = strcmp(ob_json_str_or(res.body, "status", ""),
	    "paid") == 0 ? "paid" : "open";
	(void)ob_invoices_apply_stripe(db, org_id, res.body, (int64_t)time(NULL), &local, &f2);
	ob_stripe_result_clear(&res);
	return status;
}

/* The purchase as the API shows it. */
static cJSON *
purchase_json(const char *pid, int64_t credits, int64_t amount, const char *status,
    const char *invoice)
{
	cJSON *out = cJSON_CreateObject();

	cJSON_AddStringToObject(out, "object", "credit_purchase");
	cJSON_AddStringToObject(out, "id", pid);
	ob_json_add_i64(out, "credits", credits);
	ob_json_add_i64(out, "amount", amount);
	cJSON_AddStringToObject(out, "currency", "usd");
	cJSON_AddStringToObject(out, "status", status);
	cJSON_AddStringToObject(out, "invoice", invoice);
	cJSON_AddBoolToObject(out, "credits_granted_on_payment", 1);
	return out;
}

/*
 * The Stripe steps of p, resumed where an earlier attempt stopped (every
 * call is keyed by the purchase id, so a repeated one replays): the
 * invoice and its item unless recorded, then the charge. The status as
 * purchase_pay gives it, or NULL with f set (an unknown outcome leaves the
 * row as it is for a retry or invoice.paid; a refusal marks it failed).
 */
static const char *
purchase_stripe(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *customer,
    struct purchase *p, struct ob_fail *f)
{
	const char *status = NULL;

	if (strcmp(p->status, "granted") == 0)
		return "paid";
	if ((p->invoice[0] != '\0' ||
	    purchase_invoice(db, st, org_id, customer, p->id, p->credits, p->amount, p->invoice,
	    sizeof(p->invoice), f) == 0) &&
	    (status = purchase_pay(db, st, org_id, p->invoice, p->id, f)) != NULL)
		return status;
	if (f->kind != OB_FAIL_UPSTREAM) {
		const char *params[3] = { p->id, p->invoice, "failed" };

		(void)ob_db_run(db, OB_STMT_CP_SET_INVOICE, params);
	}
	return NULL;
}

cJSON *
ob_invoices_buy_credits(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    int64_t credits, const char *key, int *declined, int *replayed, struct ob_fail *f)
{
	struct purchase p = { .credits = credits };
	char customer[128];
	const char *status;

	*declined = 0;
	*replayed = 0;
	if (credits < 1 || credits > OB_INVOICES_CREDITS_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "credits",
		    "credits is an integer from 1 to %lld.", (long long)OB_INVOICES_CREDITS_MAX);
		return NULL;
	}
	if (ob_invoices_credit_amount(credits, ob_invoices_price_per_1000(), OB_INVOICES_AMOUNT_MAX,
	    &p.amount) != 0) {
		ob_fail(f, OB_FAIL_INVALID, "amount_too_large", "credits",
		    "A purchase may cost at most %lld minor units.", (long long)OB_INVOICES_AMOUNT_MAX);
		return NULL;
	}
	if (p.amount < 50) {
		ob_fail(f, OB_FAIL_INVALID, "amount_too_small", "credits",
		    "A purchase must cost at least 0.50 USD.");
		return NULL;
	}
	if (ob_invoices_customer(ax->db, st, org_id, 1, customer, sizeof(customer), f) != 0)
		return NULL;
	/* The purchase row first, committed: its id keys every Stripe call. */
	if (purchase_record(ax, org_id, key, &p, f) != 0)
		return NULL;
	*replayed = p.existing;
	if ((status = purchase_stripe(ax->db, st, org_id, customer, &p, f)) == NULL)
		return NULL;
	/* Declined: the invoice stays open; paying it later still grants the credits. */
	*declined = strcmp(status, "payment_failed") == 0;
	return purchase_json(p.pub, p.credits, p.amount, status, p.invoice);
}

int
ob_invoices_purchase_paid(const struct ob_actx *ax, const cJSON *inv, int *granted,
    struct ob_fail *f)
{
	const char *id = ob_json_str(inv, "id"), *status = ob_json_str(inv, "status");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(inv, "metadata");
	const char *pid = ob_json_str(md, "orgbill_credit_purchase");
	const char *params[3];
	struct ob_credits_grant_in g;
	char reason[160], gid[24];
	PGresult *q;
	cJSON *grant;
	int64_t org, credits;

	*granted = 0;
	if (id == NULL || status == NULL || strcmp(status, "paid") != 0)
		return 0;
	if (pid != NULL && !ob_inv_digits(pid))
		pid = NULL;
	params[0] = id;
	params[1] = pid ? pid : "";
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((q = ob_db_exec(ax->db, OB_STMT_CP_LOCK, params, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		goto fail;
	}
	if (PQntuples(q) != 1) {
		PQclear(q);
		if (pid != NULL) {	/* ours, but not visible yet: retry later */
			ob_fail(f, OB_FAIL_CONFLICT, "purchase_not_found", NULL,
			    "Credit purchase %s is not recorded yet.", pid);
			goto fail;
		}
		/* Not a purchase: leave the (possibly outer) transaction as it is. */
		return ob_db_commit(ax->db) == 0 ? 0 : ob_fail_db(f, ax->db->lasterr);
	}
	if (strcmp(ob_row_str(q, 0, "status"), "granted") == 0) {
		PQclear(q);
		return ob_db_commit(ax->db) == 0 ? 0 : ob_fail_db(f, ax->db->lasterr);
	}
	/*
	 * Grant only for an invoice of the purchase's price: a paid invoice
	 * whose total is less (an item never added, say) buys nothing.
	 */
	if (ob_num_json_or(inv, "total", -1) < ob_row_i64(q, 0, "amount") ||
	    strcasecmp(ob_json_str_or(inv, "currency", ""), ob_row_str(q, 0, "currency")) != 0) {
		ob_log(OB_LOG_WARN, "purchase_underpaid", "purchase %s: invoice %.100s total %lld "
		    "is not the purchase's %lld %s; nothing granted", ob_row_str(q, 0, "id"), id,
		    (long long)ob_num_json_or(inv, "total", -1), (long long)ob_row_i64(q, 0, "amount"),
		    ob_row_str(q, 0, "currency"));
		PQclear(q);
		return ob_db_commit(ax->db) == 0 ? 0 : ob_fail_db(f, ax->db->lasterr);
	}
	snprintf(gid, sizeof(gid), "%s", ob_row_str(q, 0, "id"));
	org = ob_row_i64(q, 0, "org_id");
	credits = ob_row_i64(q, 0, "credits");
	PQclear(q);
	memset(&g, 0, sizeof(g));
	g.amount = credits;
	g.source = "purchase";
	g.priority = -1;
	snprintf(reason, sizeof(reason), "Credit purchase %s, invoice %.100s", gid, id);
	g.reason = reason;
	if ((grant = ob_credits_add(ax, org, 0, &g, f)) == NULL)
		goto fail;
	params[0] = gid;
	params[1] = ob_json_str_or(grant, "id", "0");
	params[2] = id;
	if (ob_db_run(ax->db, OB_STMT_CP_GRANTED, params) != 0) {
		cJSON_Delete(grant);
		ob_fail_db(f, ax->db->lasterr);
		goto fail;
	}
	cJSON_Delete(grant);
	if (ob_db_commit(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	*granted = 1;
	return 0;
fail:
	ob_db_rollback(ax->db);
	return -1;
}

/* A row of OB_STMT_CP_LIST as the API's purchase (an ob_db_row_fn). */
static cJSON *
purchase_row(const PGresult *q, int i, const void *arg)
{
	cJSON *o = cJSON_CreateObject();

	(void)arg;
	cJSON_AddStringToObject(o, "object", "credit_purchase");
	cJSON_AddStringToObject(o, "id", ob_row_str(q, i, "public_id"));
	ob_json_add_i64(o, "credits", ob_row_i64(q, i, "credits"));
	ob_json_add_i64(o, "amount", ob_row_i64(q, i, "amount"));
	cJSON_AddStringToObject(o, "currency", ob_row_str(q, i, "currency"));
	cJSON_AddStringToObject(o, "status", ob_row_str(q, i, "status"));
	cJSON_AddStringToObject(o, "invoice", ob_row_str(q, i, "stripe_invoice_id"));
	ob_db_add_text(o, q, i, "created");
	ob_db_add_text(o, q, i, "granted_at");
	return o;
}

cJSON *
ob_invoices_purchases(struct ob_db *db, int64_t org_id, int limit)
{
	char org[24], lim[16];
	const char *params[2] = { org, lim };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), limit);
	/* The statement stops at limit: the list is all it gives, has_more false. */
	return ob_db_exec_rows(db, OB_STMT_CP_LIST, params, -1, purchase_row, NULL);
}
