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
#include "base/num.h"
#include "base/json.h"

/* A line's kind from Stripe's line: proration, seats (a subscription item), or other. */
static const char *
line_kind(const cJSON *line, const char *invoice_kind)
{
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(line, "parent"), *d;
	const char *t = ob_json_str(parent, "type");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(line, "metadata");

	if (ob_json_str(md, "orgbill_kind") != NULL) {
		const char *k = ob_json_str(md, "orgbill_kind");

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
	const char *ii = ob_json_id(d, "invoice_item");

	if (ii == NULL) {
		d = cJSON_GetObjectItemCaseSensitive(parent, "subscription_item_details");
		ii = ob_json_id(d, "invoice_item");
	}
	return ii;
}

/* Unit amount from pricing.unit_amount_decimal when it is a whole number. */
static int
line_unit(const cJSON *line, int64_t *unit)
{
	const cJSON *pr = cJSON_GetObjectItemCaseSensitive(line, "pricing");
	const char *u = ob_json_str(pr, "unit_amount_decimal");

	/* A strict 64-bit decimal (a fraction or an overflow is no unit amount). */
	return u != NULL ? ob_num_parse(u, INT64_MIN, INT64_MAX, unit) : -1;
}

static void
num_param(char *buf, size_t n, const cJSON *o, const char *name, const char **slot)
{
	int64_t v;

	if (ob_num_json_get(o, name, &v) == 0 && v > 0) {
		ob_num_str(buf, n, v);
		*slot = buf;
	} else {
		*slot = NULL;
	}
}

/* The Stripe invoice's id, status and currency, checked. 0 or -1 with f. */
static int
invoice_check(const cJSON *inv, struct ob_fail *f)
{
	const char *id = ob_json_str(inv, "id"), *status = ob_json_str(inv, "status");
	const char *currency = ob_json_str(inv, "currency");

	if (id == NULL || strlen(id) > OB_INV_STRIPE_ID_MAX || status == NULL || currency == NULL ||
	    strlen(currency) != 3)
		return ob_fail(f, OB_FAIL_INVALID, "invoice_malformed", NULL,
		    "The Stripe invoice lacks id, status or currency.");
	if (strcmp(status, "draft") != 0 && strcmp(status, "open") != 0 && strcmp(status, "paid") != 0 &&
	    strcmp(status, "uncollectible") != 0 && strcmp(status, "void") != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invoice_malformed", NULL, "Unknown invoice status.");
	return 0;
}

/* OB_STMT_INV_UPSERT's parameters, and the text they point into. */
struct upsert {
	char org[24], sub_[24], tax[24], tot[24], paid[24], due[24], rem[24], seen_s[24];
	char ps[24], pe[24], dd[24], pa[24], cr[24];
	const char *p[22];
};

/* The money figures of a Stripe invoice into u (tax: total minus total excluding tax). */
static void
upsert_amounts(struct upsert *u, const cJSON *inv)
{
	int64_t subtotal = ob_num_json_or(inv, "subtotal", 0);
	int64_t total = ob_num_json_or(inv, "total", subtotal);
	int64_t excl = ob_num_json_or(inv, "total_excluding_tax", total);

	ob_num_str(u->sub_, sizeof(u->sub_), subtotal);
	ob_num_str(u->tax, sizeof(u->tax), total - excl);
	ob_num_str(u->tot, sizeof(u->tot), total);
	ob_num_str(u->paid, sizeof(u->paid), ob_num_json_or(inv, "amount_paid", 0));
	ob_num_str(u->due, sizeof(u->due), ob_num_json_or(inv, "amount_due", 0));
	ob_num_str(u->rem, sizeof(u->rem), ob_num_json_or(inv, "amount_remaining", 0));
	u->p[8] = u->sub_;
	u->p[9] = u->tax;
	u->p[10] = u->tot;
	u->p[11] = u->paid;
	u->p[12] = u->due;
	u->p[13] = u->rem;
}

/*
 * The upsert's parameters from a checked Stripe invoice for org_id, seen
 * at seen. 0, or -1 with f set (a URL too long to store).
 */
static int
upsert_params(struct upsert *u, int64_t org_id, const cJSON *inv, int64_t seen, struct ob_fail *f)
{
	const char *sub = ob_json_id(inv, "subscription");
	const cJSON *parent, *st_tr = cJSON_GetObjectItemCaseSensitive(inv, "status_transitions");
	const char **params = u->p;

	if (sub == NULL) {
		parent = cJSON_GetObjectItemCaseSensitive(inv, "parent");
		sub = ob_json_id(cJSON_GetObjectItemCaseSensitive(parent, "subscription_details"),
		    "subscription");
	}
	ob_num_str(u->org, sizeof(u->org), org_id);
	ob_num_str(u->seen_s, sizeof(u->seen_s), seen);
	params[0] = u->org;
	params[1] = ob_json_str(inv, "id");
	params[2] = ob_json_id(inv, "customer") ? ob_json_id(inv, "customer") : "";
	params[3] = sub ? sub : "";
	params[4] = ob_json_str_or(inv, "number", "");
	params[5] = ob_json_str(inv, "status");
	params[6] = ob_json_str_or(inv, "billing_reason", "");
	params[7] = ob_json_str(inv, "currency");
	upsert_amounts(u, inv);
	num_param(u->ps, sizeof(u->ps), inv, "period_start", &params[14]);
	num_param(u->pe, sizeof(u->pe), inv, "period_end", &params[15]);
	num_param(u->dd, sizeof(u->dd), inv, "due_date", &params[16]);
	num_param(u->pa, sizeof(u->pa), st_tr, "paid_at", &params[17]);
	params[18] = ob_json_str_or(inv, "hosted_invoice_url", "");
	params[19] = ob_json_str_or(inv, "invoice_pdf", "");
	num_param(u->cr, sizeof(u->cr), inv, "created", &params[20]);
	if (params[20] == NULL) {
		ob_num_str(u->cr, sizeof(u->cr), (int64_t)time(NULL));
		params[20] = u->cr;
	}
	params[21] = u->seen_s;
	if (strlen(params[18]) > 2048 || strlen(params[19]) > 2048)
		return ob_fail(f, OB_FAIL_INVALID, "invoice_malformed", NULL, "URL too long.");
	return 0;
}

/*
 * Insert line number n of invoice inv_id (our id, as text) of org (text):
 * its kind (invoice_kind, when set, for every line), quantity, unit price
 * (when whole), amount, currency (else the invoice's) and period. 0 or -1
 * (db->lasterr).
 */
static int
insert_line(struct ob_db *db, const char *inv_id, const char *org, int n, const cJSON *line,
    const char *invoice_kind, const char *currency)
{
	char lineno[16], qty[24], unit[24], amt[24], lps[24], lpe[24];
	const char *lp[13];
	const cJSON *per = cJSON_GetObjectItemCaseSensitive(line, "period");
	const char *desc = ob_json_str(line, "description");
	int64_t q64 = ob_num_json_or(line, "quantity", 1), u, v;

	ob_num_str(lineno, sizeof(lineno), n);
	ob_num_str(qty, sizeof(qty), q64);
	ob_num_str(amt, sizeof(amt), ob_num_json_or(line, "amount", 0));
	lp[0] = inv_id;
	lp[1] = lineno;
	lp[2] = org;
	lp[3] = ob_json_str_or(line, "id", "");
	lp[4] = line_kind(line, invoice_kind);
	lp[5] = desc ? desc : "";
	if (strlen(lp[5]) > 1000)
		lp[5] = "";
	lp[6] = qty;
	if (line_unit(line, &u) == 0) {
		ob_num_str(unit, sizeof(unit), u);
		lp[7] = unit;
	} else if (q64 > 0 && ob_num_json_get(line, "amount", &v) == 0 && v % q64 == 0) {
		ob_num_str(unit, sizeof(unit), v / q64);
		lp[7] = unit;
	} else {
		lp[7] = NULL;
	}
	lp[8] = amt;
	lp[9] = ob_json_str(line, "currency") && strlen(ob_json_str(line, "currency")) == 3 ?
	    ob_json_str(line, "currency") : currency;
	num_param(lps, sizeof(lps), per, "start", &lp[10]);
	num_param(lpe, sizeof(lpe), per, "end", &lp[11]);
	lp[12] = line_invoice_item(line);
	return ob_db_run(db, OB_STMT_INV_LINE_INSERT, lp);
}

int
ob_invoices_apply_stripe(struct ob_db *db, int64_t org_id, const cJSON *inv,
    int64_t seen, int64_t *local_id, struct ob_fail *f)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(inv, "metadata");
	const char *invoice_kind = NULL;
	const cJSON *lines, *data, *line;
	struct upsert u;
	char idbuf[24];
	const char *lp[1] = { idbuf };
	PGresult *q;
	int n = 0;

	*local_id = 0;
	if (invoice_check(inv, f) != 0)
		return -1;
	if (ob_json_str(md, "orgbill_credit_purchase") != NULL)
		invoice_kind = "credit_purchase";
	if (upsert_params(&u, org_id, inv, seen, f) != 0)
		return -1;
	if (ob_db_begin(db) != 0)
		return ob_fail_db(f, db->lasterr);
	if ((q = ob_db_exec(db, OB_STMT_INV_UPSERT, u.p, NULL)) == NULL)
		goto fail;
	if (PQntuples(q) == 0) {	/* a newer state is stored: nothing to do */
		PQclear(q);
		return ob_db_commit(db) == 0 ? 0 : ob_fail_db(f, db->lasterr);
	}
	*local_id = ob_row_i64(q, 0, "id");
	PQclear(q);
	ob_num_str(idbuf, sizeof(idbuf), *local_id);
	if (ob_db_run(db, OB_STMT_INV_LINES_DELETE, lp) != 0)
		goto fail;
	lines = cJSON_GetObjectItemCaseSensitive(inv, "lines");
	data = cJSON_GetObjectItemCaseSensitive(lines, "data");
	cJSON_ArrayForEach(line, data) {
		if (++n > 1000)
			break;
		if (insert_line(db, idbuf, u.org, n, line, invoice_kind, u.p[7]) != 0)
			goto fail;
	}
	if (ob_db_commit(db) != 0)
		return ob_fail_db(f, db->lasterr);
	return 0;
fail:
	return ob_db_fail(db, f);
}
