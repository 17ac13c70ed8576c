/*
 * The Stripe mirror: an invoice and its lines upserted from a Stripe
 * invoice object, never over a newer state. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/row.h"

/* A line's kind from Stripe's line: proration, seats (a subscription item), or other. */
static const char *
line_kind(const cJSON *line, const char *invoice_kind)
{
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(line, "parent"), *d;
	const char *t = ob_invoices_jstr(parent, "type");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(line, "metadata");

	if (ob_invoices_jstr(md, "orgbill_kind") != NULL) {
		const char *k = ob_invoices_jstr(md, "orgbill_kind");

		if (strcmp(k, "extra_tasks") == 0 || strcmp(k, "credit_purchase") == 0)
			return k;
	}
	if (invoice_kind != NULL)
		return invoice_kind;
	if (t != NULL && strcmp(t, "subscription_item_details") == 0) {
		d = cJSON_GetObjectItemCaseSensitive(parent, "subscription_item_details");
		return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "proration")) ? "proration" : "seats";
	}
	if (t != NULL && strcmp(t, "invoice_item_details") == 0) {
		d = cJSON_GetObjectItemCaseSensitive(parent, "invoice_item_details");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "proration")))
			return "proration";
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(line, "proration")))
		return "proration";
	return "other";
}

/* The invoice item a line came from, or NULL. */
static const char *
line_invoice_item(const cJSON *line)
{
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(line, "parent");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(parent, "invoice_item_details");
	const char *ii = ob_invoices_jid(d, "invoice_item");

	if (ii == NULL) {
		d = cJSON_GetObjectItemCaseSensitive(parent, "subscription_item_details");
		ii = ob_invoices_jid(d, "invoice_item");
	}
	return ii;
}

/* Unit amount from pricing.unit_amount_decimal when it is a whole number. */
static int
line_unit(const cJSON *line, int64_t *unit)
{
	const cJSON *pr = cJSON_GetObjectItemCaseSensitive(line, "pricing");
	const char *u = ob_invoices_jstr(pr, "unit_amount_decimal");
	char *end;

	if (u == NULL || *u == '\0' || strlen(u) > 18)
		return -1;
	*unit = strtoll(u, &end, 10);
	return *end == '\0' ? 0 : -1;
}

static void
num_param(char *buf, size_t n, const cJSON *o, const char *name, const char **slot)
{
	int64_t v;

	if (ob_invoices_jint(o, name, &v) == 0 && v > 0) {
		ob_inv_fmt_i64(buf, n, v);
		*slot = buf;
	} else {
		*slot = NULL;
	}
}

int
ob_invoices_apply_stripe(struct ob_db *db, int64_t org_id, const cJSON *inv,
    int64_t seen, int64_t *local_id, struct ob_fail *f)
{
	char org[24], sub_[24], tax[24], tot[24], paid[24], due[24], rem[24], seen_s[24], idbuf[24];
	char ps[24], pe[24], dd[24], pa[24], cr[24], lineno[16], qty[24], unit[24], amt[24], lps[24],
	    lpe[24];
	const char *params[22], *lp[13];
	const char *id = ob_invoices_jstr(inv, "id"), *status = ob_invoices_jstr(inv, "status");
	const char *currency = ob_invoices_jstr(inv, "currency"), *invoice_kind = NULL;
	const cJSON *parent, *lines, *data, *line, *st_tr, *md;
	const char *sub = ob_invoices_jid(inv, "subscription");
	int64_t subtotal, total, excl, v;
	PGresult *q = NULL;
	int n = 0, rc = -1;

	*local_id = 0;
	if (id == NULL || strlen(id) > OB_INV_STRIPE_ID_MAX || status == NULL || currency == NULL ||
	    strlen(currency) != 3)
		return ob_fail(f, OB_FAIL_INVALID, "invoice_malformed", NULL,
		    "The Stripe invoice lacks id, status or currency.");
	if (strcmp(status, "draft") != 0 && strcmp(status, "open") != 0 && strcmp(status, "paid") != 0 &&
	    strcmp(status, "uncollectible") != 0 && strcmp(status, "void") != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invoice_malformed", NULL, "Unknown invoice status.");
	if (sub == NULL) {
		parent = cJSON_GetObjectItemCaseSensitive(inv, "parent");
		sub = ob_invoices_jid(cJSON_GetObjectItemCaseSensitive(parent, "subscription_details"),
		    "subscription");
	}
	md = cJSON_GetObjectItemCaseSensitive(inv, "metadata");
	if (ob_invoices_jstr(md, "orgbill_credit_purchase") != NULL)
		invoice_kind = "credit_purchase";
	ob_inv_fmt_i64(org, sizeof(org), org_id);
	subtotal = ob_inv_jint_or(inv, "subtotal", 0);
	total = ob_inv_jint_or(inv, "total", subtotal);
	excl = ob_inv_jint_or(inv, "total_excluding_tax", total);
	ob_inv_fmt_i64(sub_, sizeof(sub_), subtotal);
	ob_inv_fmt_i64(tax, sizeof(tax), total - excl);
	ob_inv_fmt_i64(tot, sizeof(tot), total);
	ob_inv_fmt_i64(paid, sizeof(paid), ob_inv_jint_or(inv, "amount_paid", 0));
	ob_inv_fmt_i64(due, sizeof(due), ob_inv_jint_or(inv, "amount_due", 0));
	ob_inv_fmt_i64(rem, sizeof(rem), ob_inv_jint_or(inv, "amount_remaining", 0));
	ob_inv_fmt_i64(seen_s, sizeof(seen_s), seen);
	st_tr = cJSON_GetObjectItemCaseSensitive(inv, "status_transitions");
	params[0] = org;
	params[1] = id;
	params[2] = ob_invoices_jid(inv, "customer") ? ob_invoices_jid(inv, "customer") : "";
	params[3] = sub ? sub : "";
	params[4] = ob_invoices_jstr(inv, "number") ? ob_invoices_jstr(inv, "number") : "";
	params[5] = status;
	params[6] = ob_invoices_jstr(inv, "billing_reason") ? ob_invoices_jstr(inv, "billing_reason") : "";
	params[7] = currency;
	params[8] = sub_;
	params[9] = tax;
	params[10] = tot;
	params[11] = paid;
	params[12] = due;
	params[13] = rem;
	num_param(ps, sizeof(ps), inv, "period_start", &params[14]);
	num_param(pe, sizeof(pe), inv, "period_end", &params[15]);
	num_param(dd, sizeof(dd), inv, "due_date", &params[16]);
	num_param(pa, sizeof(pa), st_tr, "paid_at", &params[17]);
	params[18] = ob_invoices_jstr(inv, "hosted_invoice_url") ? ob_invoices_jstr(inv, "hosted_invoice_url") : "";
	params[19] = ob_invoices_jstr(inv, "invoice_pdf") ? ob_invoices_jstr(inv, "invoice_pdf") : "";
	num_param(cr, sizeof(cr), inv, "created", &params[20]);
	if (params[20] == NULL) {
		ob_inv_fmt_i64(cr, sizeof(cr), (int64_t)time(NULL));
		params[20] = cr;
	}
	params[21] = seen_s;
	if (strlen(params[18]) > 2048 || strlen(params[19]) > 2048)
		return ob_fail(f, OB_FAIL_INVALID, "invoice_malformed", NULL, "URL too long.");
	if (ob_db_begin(db) != 0)
		return ob_fail_db(f, db->lasterr);
	if ((q = ob_db_exec(db, OB_STMT_INV_UPSERT, params, NULL)) == NULL) {
		ob_fail_db(f, db->lasterr);
		goto fail;
	}
	if (PQntuples(q) == 0) {	/* a newer state is stored: nothing to do */
		PQclear(q);
		return ob_db_commit(db) == 0 ? 0 : ob_fail_db(f, db->lasterr);
	}
	*local_id = ob_row_i64(q, 0, "id");
	PQclear(q);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)*local_id);
	lp[0] = idbuf;
	if (ob_db_run(db, OB_STMT_INV_LINES_DELETE, lp) != 0) {
		ob_fail_db(f, db->lasterr);
		goto fail;
	}
	lines = cJSON_GetObjectItemCaseSensitive(inv, "lines");
	data = cJSON_GetObjectItemCaseSensitive(lines, "data");
	cJSON_ArrayForEach(line, data) {
		const cJSON *per = cJSON_GetObjectItemCaseSensitive(line, "period");
		const char *desc = ob_invoices_jstr(line, "description");
		int64_t q64 = ob_inv_jint_or(line, "quantity", 1), u;

		if (++n > 1000)
			break;
		snprintf(lineno, sizeof(lineno), "%d", n);
		ob_inv_fmt_i64(qty, sizeof(qty), q64);
		ob_inv_fmt_i64(amt, sizeof(amt), ob_inv_jint_or(line, "amount", 0));
		lp[1] = lineno;
		lp[2] = org;
		lp[3] = ob_invoices_jstr(line, "id") ? ob_invoices_jstr(line, "id") : "";
		lp[4] = line_kind(line, invoice_kind);
		lp[5] = desc ? desc : "";
		if (strlen(lp[5]) > 1000)
			lp[5] = "";
		lp[6] = qty;
		if (line_unit(line, &u) == 0) {
			ob_inv_fmt_i64(unit, sizeof(unit), u);
			lp[7] = unit;
		} else if (q64 > 0 && ob_invoices_jint(line, "amount", &v) == 0 && v % q64 == 0) {
			ob_inv_fmt_i64(unit, sizeof(unit), v / q64);
			lp[7] = unit;
		} else {
			lp[7] = NULL;
		}
		lp[8] = amt;
		lp[9] = ob_invoices_jstr(line, "currency") && strlen(ob_invoices_jstr(line, "currency")) == 3 ?
		    ob_invoices_jstr(line, "currency") : currency;
		num_param(lps, sizeof(lps), per, "start", &lp[10]);
		num_param(lpe, sizeof(lpe), per, "end", &lp[11]);
		lp[12] = line_invoice_item(line);
		if (ob_db_run(db, OB_STMT_INV_LINE_INSERT, lp) != 0) {
			ob_fail_db(f, db->lasterr);
			goto fail;
		}
	}
	if (ob_db_commit(db) != 0)
		return ob_fail_db(f, db->lasterr);
	rc = 0;
	return rc;
fail:
	ob_db_rollback(db);
	return -1;
}
