/*
 * Invoices mirrored from Stripe, billing details, payment method, portal,
 * credit purchases and extra-task invoice items. See invoices.h.
 */
#include "invoices/invoices.h"
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stripe/client.h"
#include "credits/credits.h"
#include "stripe/form.h"
#include "base/log.h"
#include "base/row.h"

#define INV_STRIPE_ID_MAX	255

static void
fmt_i64(char *buf, size_t n, int64_t v)
{
	snprintf(buf, n, "%lld", (long long)v);
}

const char *
ob_invoices_jstr(const cJSON *o, const char *name)
{
	const cJSON *it = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* Decimal digits with an optional leading '-' (at most 18 digits). 0 or -1. */
static int
raw_int(const char *s, int64_t *v)
{
	const char *p = s;
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	if (*p == '-')
		p++;
	if (*p == '\0' || strlen(p) > 18 || strspn(p, "0123456789") != strlen(p))
		return -1;
	*v = strtoll(s, &end, 10);
	return *end == '\0' ? 0 : -1;
}

int
ob_invoices_jint(const cJSON *o, const char *name, int64_t *v)
{
	const cJSON *it = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;

	if (it != NULL && cJSON_IsRaw(it))	/* our own objects carry integers raw */
		return raw_int(it->valuestring, v);
	if (it == NULL || !cJSON_IsNumber(it))
		return -1;
	return ob_credits_json_int(it, -(1LL << 53), 1LL << 53, v);
}

/* An integer member written exactly (raw JSON digits: no floating point). */
const char *
ob_invoices_jid(const cJSON *o, const char *name)
{
	const cJSON *it = o != NULL ? cJSON_GetObjectItemCaseSensitive(o, name) : NULL;

	if (cJSON_IsString(it))
		return it->valuestring;
	if (cJSON_IsObject(it))
		return ob_invoices_jstr(it, "id");
	return NULL;
}

static int64_t
jint_or(const cJSON *o, const char *name, int64_t dflt)
{
	int64_t v;

	return ob_invoices_jint(o, name, &v) == 0 ? v : dflt;
}

void
ob_invoices_csv_field(struct ob_buf *b, const char *s)
{
	const char *p;
	int quote = 0, formula;

	if (s == NULL)
		s = "";
	formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	    s[0] == '\r';
	if (formula || s[0] == ' ' || strpbrk(s, ",\"\r\n") != NULL)
		quote = 1;
	if (!quote) {
		ob_buf_puts(b, s);
		return;
	}
	ob_buf_putc(b, '"');
	if (formula)
		ob_buf_putc(b, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			ob_buf_putc(b, '"');
		ob_buf_putc(b, *p);
	}
	ob_buf_putc(b, '"');
}

void
ob_invoices_money(struct ob_buf *b, int64_t amount)
{
	uint64_t a = amount < 0 ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;

	ob_buf_printf(b, "%s%llu.%02llu", amount < 0 ? "-" : "", (unsigned long long)(a / 100),
	    (unsigned long long)(a % 100));
}

int64_t
ob_invoices_credit_price(int64_t credits, int64_t per_1000)
{
	int64_t num = credits * per_1000;

	/* round(num / 1000), half away from zero, once. */
	return num >= 0 ? (num + 500) / 1000 : -((-num + 500) / 1000);
}

int64_t
ob_invoices_price_per_1000(void)
{
	const char *s = getenv("ORGBILL_CREDIT_PRICE_PER_1000");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 100;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < 0 || v > 100000000LL)
		return 100;
	return v;
}

/* A Stripe call; 0, or -1 with f set (the result is cleared on failure). */
static int
stripe_call(struct ob_stripe *st, const char *method, const char *path, const cJSON *params,
    const char *op, const char *id, struct ob_stripe_result *res, struct ob_fail *f)
{
	char key[OB_STRIPE_IDEM_KEY_MAX + 1] = "";

	memset(res, 0, sizeof(*res));
	if (st == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe is not configured.");
	if (strcmp(method, "GET") != 0 && ob_stripe_idem_key(key, sizeof(key), op, id) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", NULL, "Bad operation key.");
	if (ob_stripe_request(st, method, path, params, key, res) == 0)
		return 0;
	switch (res->outcome) {
	case OB_STRIPE_CARD:
		ob_fail(f, OB_FAIL_PAYMENT, "card_declined", NULL, "The card was declined: %s",
		    res->err_message);
		break;
	case OB_STRIPE_NOT_FOUND:
		ob_fail(f, OB_FAIL_NOT_FOUND, "stripe_resource_missing", NULL, "Stripe: %s",
		    res->err_message);
		break;
	case OB_STRIPE_INVALID_REQUEST:
		ob_fail(f, OB_FAIL_CONFLICT, res->err_code[0] ? "stripe_refused" : "stripe_invalid",
		    NULL, "Stripe refused: %s", res->err_message);
		break;
	default:
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe did not answer (%s); try again.", ob_stripe_outcome_name(res->outcome));
		break;
	}
	ob_stripe_result_clear(res);
	return -1;
}

int
ob_invoices_customer(struct ob_db *db, struct ob_stripe *st, int64_t org_id, int create,
    char *out, size_t len, struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, NULL };
	struct ob_stripe_result res;
	PGresult *q;
	cJSON *body = NULL, *md;
	int rc = -1;

	out[0] = '\0';
	fmt_i64(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_CUSTOMER_OF_ORG, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(q) == 1 && !ob_row_null(q, 0, "stripe_customer_id"))
		snprintf(out, len, "%s", ob_row_str(q, 0, "stripe_customer_id"));
	PQclear(q);
	if (out[0] != '\0')
		return 0;
	if (!create)
		return 1;
	if ((q = ob_db_exec(db, OB_STMT_INV_ORG_INFO, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(q) != 1) {
		PQclear(q);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", ob_row_str(q, 0, "name"));
	if (ob_row_str(q, 0, "email")[0] != '\0')
		cJSON_AddStringToObject(body, "email", ob_row_str(q, 0, "email"));
	PQclear(q);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	if (stripe_call(st, "POST", "/v1/customers", body, "customer-org", org, &res, f) != 0)
		goto out;
	if (ob_invoices_jstr(res.body, "id") == NULL) {
		ob_stripe_result_clear(&res);
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "Stripe gave no customer id.");
		goto out;
	}
	params[1] = ob_invoices_jstr(res.body, "id");
	q = ob_db_exec(db, OB_STMT_INV_SET_CUSTOMER, params, NULL);
	ob_stripe_result_clear(&res);
	if (q == NULL) {
		ob_fail_db(f, db->lasterr);
		goto out;
	}
	/* A concurrent first call may have stored its (same, idempotent) id. */
	snprintf(out, len, "%s", ob_row_str(q, 0, "stripe_customer_id"));
	PQclear(q);
	rc = 0;
out:
	cJSON_Delete(body);
	return rc;
}

int64_t
ob_invoices_org_of_customer(struct ob_db *db, const char *customer)
{
	const char *params[1] = { customer };
	PGresult *q;
	int64_t org = 0;

	if (customer == NULL || *customer == '\0')
		return 0;
	if ((q = ob_db_exec(db, OB_STMT_INV_ORG_OF_CUSTOMER, params, NULL)) == NULL)
		return -1;
	if (PQntuples(q) == 1)
		org = ob_row_i64(q, 0, "org_id");
	PQclear(q);
	return org;
}

int
ob_invoices_org_exists(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *q;
	int n;

	if (org_id <= 0)
		return 0;
	fmt_i64(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_ORG_INFO, params, NULL)) == NULL)
		return -1;
	n = PQntuples(q);
	PQclear(q);
	return n == 1;
}

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
		fmt_i64(buf, n, v);
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
	if (id == NULL || strlen(id) > INV_STRIPE_ID_MAX || status == NULL || currency == NULL ||
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
	fmt_i64(org, sizeof(org), org_id);
	subtotal = jint_or(inv, "subtotal", 0);
	total = jint_or(inv, "total", subtotal);
	excl = jint_or(inv, "total_excluding_tax", total);
	fmt_i64(sub_, sizeof(sub_), subtotal);
	fmt_i64(tax, sizeof(tax), total - excl);
	fmt_i64(tot, sizeof(tot), total);
	fmt_i64(paid, sizeof(paid), jint_or(inv, "amount_paid", 0));
	fmt_i64(due, sizeof(due), jint_or(inv, "amount_due", 0));
	fmt_i64(rem, sizeof(rem), jint_or(inv, "amount_remaining", 0));
	fmt_i64(seen_s, sizeof(seen_s), seen);
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
		fmt_i64(cr, sizeof(cr), (int64_t)time(NULL));
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
		int64_t q64 = jint_or(line, "quantity", 1), u;

		if (++n > 1000)
			break;
		snprintf(lineno, sizeof(lineno), "%d", n);
		fmt_i64(qty, sizeof(qty), q64);
		fmt_i64(amt, sizeof(amt), jint_or(line, "amount", 0));
		lp[1] = lineno;
		lp[2] = org;
		lp[3] = ob_invoices_jstr(line, "id") ? ob_invoices_jstr(line, "id") : "";
		lp[4] = line_kind(line, invoice_kind);
		lp[5] = desc ? desc : "";
		if (strlen(lp[5]) > 1000)
			lp[5] = "";
		lp[6] = qty;
		if (line_unit(line, &u) == 0) {
			fmt_i64(unit, sizeof(unit), u);
			lp[7] = unit;
		} else if (q64 > 0 && ob_invoices_jint(line, "amount", &v) == 0 && v % q64 == 0) {
			fmt_i64(unit, sizeof(unit), v / q64);
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

int
ob_invoices_filter_check(const struct ob_invoices_filter *flt, struct ob_fail *f)
{
	static const char *const statuses[] = { "draft", "open", "paid", "uncollectible", "void" };
	const char *dates[2] = { flt->from, flt->to }, *names[2] = { "from", "to" };
	size_t i;
	int ok = flt->status == NULL || *flt->status == '\0';

	for (i = 0; !ok && i < sizeof(statuses) / sizeof(statuses[0]); i++)
		ok = strcmp(flt->status, statuses[i]) == 0;
	if (!ok)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_status", "status",
		    "status is one of draft, open, paid, uncollectible, void.");
	for (i = 0; i < 2; i++) {
		const char *d = dates[i];
		int y, m, dd;
		char tail;

		if (d == NULL || *d == '\0')
			continue;
		if (strlen(d) != 10 || sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3 ||
		    d[4] != '-' || d[7] != '-' || y < 2000 || y > 2999 || m < 1 || m > 12 ||
		    dd < 1 || dd > 31)
			return ob_fail(f, OB_FAIL_INVALID, "invalid_date", names[i],
			    "%s is a date YYYY-MM-DD.", names[i]);
	}
	if (flt->from && flt->to && *flt->from && *flt->to && strcmp(flt->from, flt->to) > 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_range", "from", "from is after to.");
	return 0;
}

/* Column col of row as member name: its text, or null when NULL or empty. */
static void
add_ts(cJSON *o, const char *name, const PGresult *q, int row, const char *col)
{
	const char *s = ob_row_str(q, row, col);

	if (*s == '\0')
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddStringToObject(o, name, s);
}

/* One row of OB_INV_COLS as the API's invoice object. */
static cJSON *
invoice_json(const PGresult *q, int row)
{
	cJSON *o = cJSON_CreateObject();
	const char *s;

	cJSON_AddStringToObject(o, "object", "invoice");
	cJSON_AddStringToObject(o, "id", ob_row_str(q, row, "id"));
	cJSON_AddStringToObject(o, "org_id", ob_row_str(q, row, "org_id"));
	cJSON_AddStringToObject(o, "stripe_invoice_id", ob_row_str(q, row, "stripe_invoice_id"));
	if (*(s = ob_row_str(q, row, "number")) != '\0')
		cJSON_AddStringToObject(o, "number", s);
	else
		cJSON_AddNullToObject(o, "number");
	cJSON_AddStringToObject(o, "status", ob_row_str(q, row, "status"));
	cJSON_AddStringToObject(o, "billing_reason", ob_row_str(q, row, "billing_reason"));
	cJSON_AddStringToObject(o, "currency", ob_row_str(q, row, "currency"));
	ob_json_add_i64(o, "subtotal", ob_row_i64(q, row, "subtotal"));
	ob_json_add_i64(o, "tax", ob_row_i64(q, row, "tax"));
	ob_json_add_i64(o, "total", ob_row_i64(q, row, "total"));
	ob_json_add_i64(o, "amount_paid", ob_row_i64(q, row, "amount_paid"));
	ob_json_add_i64(o, "amount_due", ob_row_i64(q, row, "amount_due"));
	ob_json_add_i64(o, "amount_remaining", ob_row_i64(q, row, "amount_remaining"));
	ob_json_add_i64(o, "amount_refunded", ob_row_i64(q, row, "amount_refunded"));
	add_ts(o, "period_start", q, row, "period_start");
	add_ts(o, "period_end", q, row, "period_end");
	add_ts(o, "due_date", q, row, "due_date");
	add_ts(o, "paid_at", q, row, "paid_at");
	if (*(s = ob_row_str(q, row, "hosted_invoice_url")) != '\0')
		cJSON_AddStringToObject(o, "hosted_invoice_url", s);
	else
		cJSON_AddNullToObject(o, "hosted_invoice_url");
	if (*(s = ob_row_str(q, row, "invoice_pdf")) != '\0')
		cJSON_AddStringToObject(o, "invoice_pdf", s);
	else
		cJSON_AddNullToObject(o, "invoice_pdf");
	add_ts(o, "created", q, row, "created");
	return o;
}

cJSON *
ob_invoices_list(struct ob_db *db, int64_t org_id, const struct ob_invoices_filter *flt,
    int64_t starting_after, int limit)
{
	char org[24], after[24], lim[16];
	const char *params[6] = { org, flt->status ? flt->status : "", flt->from ? flt->from : "",
	    flt->to ? flt->to : "", after, lim };
	cJSON *list, *data;
	PGresult *q;
	int i, n;

	fmt_i64(org, sizeof(org), org_id);
	fmt_i64(after, sizeof(after), starting_after);
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	if ((q = ob_db_exec(db, OB_STMT_INV_LIST, params, NULL)) == NULL)
		return NULL;
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	n = PQntuples(q);
	for (i = 0; i < n && i < limit; i++)
		cJSON_AddItemToArray(data, invoice_json(q, i));
	cJSON_AddBoolToObject(list, "has_more", n > limit);
	PQclear(q);
	return list;
}

static int
digits(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

cJSON *
ob_invoices_get(struct ob_db *db, int64_t org_id, const char *id, struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, id };
	cJSON *o, *lines, *l;
	PGresult *q, *ql;
	int i;

	if (id == NULL || (!digits(id) && (strncmp(id, "in_", 3) != 0 || strlen(id) > 255))) {
		ob_fail(f, OB_FAIL_NOT_FOUND, "invoice_not_found", "invoice_id", "No such invoice.");
		return NULL;
	}
	fmt_i64(org, sizeof(org), org_id);
	q = ob_db_exec(db, digits(id) ? OB_STMT_INV_GET_BY_ID : OB_STMT_INV_GET_BY_STRIPE, params, NULL);
	if (q == NULL) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	if (PQntuples(q) != 1) {
		PQclear(q);
		ob_fail(f, OB_FAIL_NOT_FOUND, "invoice_not_found", "invoice_id", "No such invoice.");
		return NULL;
	}
	o = invoice_json(q, 0);
	params[0] = ob_row_str(q, 0, "id");
	ql = ob_db_exec(db, OB_STMT_INV_LINES, params, NULL);
	PQclear(q);
	if (ql == NULL) {
		cJSON_Delete(o);
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	lines = cJSON_AddArrayToObject(o, "lines");
	for (i = 0; i < PQntuples(ql); i++) {
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "object", "invoice_line");
		ob_json_add_i64(l, "line_no", ob_row_i64(ql, i, "line_no"));
		cJSON_AddStringToObject(l, "kind", ob_row_str(ql, i, "kind"));
		cJSON_AddStringToObject(l, "description", ob_row_str(ql, i, "description"));
		ob_json_add_i64(l, "quantity", ob_row_i64(ql, i, "quantity"));
		if (ob_row_null(ql, i, "unit_amount"))
			cJSON_AddNullToObject(l, "unit_amount");
		else
			ob_json_add_i64(l, "unit_amount", ob_row_i64(ql, i, "unit_amount"));
		ob_json_add_i64(l, "amount", ob_row_i64(ql, i, "amount"));
		cJSON_AddStringToObject(l, "currency", ob_row_str(ql, i, "currency"));
		add_ts(l, "period_start", ql, i, "period_start");
		add_ts(l, "period_end", ql, i, "period_end");
		cJSON_AddItemToArray(lines, l);
	}
	PQclear(ql);
	return o;
}

int
ob_invoices_latest(struct ob_db *db, int64_t org_id, char *out, size_t len)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *q;
	int rc = 1;

	fmt_i64(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_LATEST, params, NULL)) == NULL)
		return -1;
	if (PQntuples(q) == 1) {
		snprintf(out, len, "%s", ob_row_str(q, 0, "id"));
		rc = 0;
	}
	PQclear(q);
	return rc;
}

int
ob_invoices_csv(struct ob_db *db, int64_t org_id, const struct ob_invoices_filter *flt,
    struct ob_buf *out)
{
	char org[24], lim[16];
	const char *params[6] = { org, flt->status ? flt->status : "", flt->from ? flt->from : "",
	    flt->to ? flt->to : "", "0", lim };
	static const char *const money_cols[] = { "subtotal", "tax", "total", "amount_paid",
		"amount_due", "amount_refunded" };
	PGresult *q;
	int i, j;

	fmt_i64(org, sizeof(org), org_id);
	snprintf(lim, sizeof(lim), "%d", OB_INVOICES_CSV_MAX);
	if ((q = ob_db_exec(db, OB_STMT_INV_LIST, params, NULL)) == NULL)
		return -1;
	ob_buf_puts(out, "id,number,status,created,period_start,period_end,currency,subtotal,tax,"
	    "total,amount_paid,amount_due,amount_refunded,paid_at,stripe_invoice_id\r\n");
	for (i = 0; i < PQntuples(q); i++) {
		ob_invoices_csv_field(out, ob_row_str(q, i, "id"));
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "number"));
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "status"));
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "created"));
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "period_start"));
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "period_end"));
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "currency"));
		for (j = 0; j < (int)(sizeof(money_cols) / sizeof(money_cols[0])); j++) {
			ob_buf_putc(out, ',');
			ob_invoices_money(out, ob_row_i64(q, i, money_cols[j]));
		}
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "paid_at"));
		ob_buf_putc(out, ',');
		ob_invoices_csv_field(out, ob_row_str(q, i, "stripe_invoice_id"));
		ob_buf_puts(out, "\r\n");
	}
	PQclear(q);
	return 0;
}

/* Reconcile one customer's newest invoices. */
static int
reconcile_customer(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *customer,
    int max, int *applied)
{
	struct ob_stripe_result res;
	struct ob_fail f = { 0 };
	struct ob_buf path = OB_BUF_INIT;
	const cJSON *data, *inv;
	int64_t local;
	int rc = -1;

	ob_buf_printf(&path, "/v1/invoices?limit=%d&customer=", max);
	ob_stripe_form_escape(&path, customer, strlen(customer));
	if (stripe_call(st, "GET", path.data, NULL, "", "", &res, &f) != 0) {
		ob_log(OB_LOG_WARN, "invoices_reconcile", "%s: %s", customer, f.message);
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(res.body, "data");
	cJSON_ArrayForEach(inv, data) {
		if (ob_invoices_apply_stripe(db, org_id, inv, (int64_t)time(NULL), &local, &f) != 0) {
			ob_log(OB_LOG_WARN, "invoices_reconcile", "%s: %s",
			    ob_invoices_jstr(inv, "id") ? ob_invoices_jstr(inv, "id") : "?", f.message);
			if (f.kind == OB_FAIL_DB) {
				ob_stripe_result_clear(&res);
				goto out;
			}
			continue;
		}
		if (local != 0)
			(*applied)++;
	}
	ob_stripe_result_clear(&res);
	rc = 0;
out:
	ob_buf_free(&path);
	return rc;
}

int
ob_invoices_reconcile(struct ob_db *db, struct ob_stripe *st, int max_per_customer, int *applied)
{
	PGresult *q;
	int i, rc = 0;

	*applied = 0;
	if (st == NULL)
		return 0;
	if (max_per_customer < 1 || max_per_customer > 100)
		max_per_customer = 20;
	if ((q = ob_db_exec(db, OB_STMT_INV_CUSTOMERS_ALL, NULL, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(q); i++) {
		if (reconcile_customer(db, st, ob_row_i64(q, i, "org_id"),
		    ob_row_str(q, i, "stripe_customer_id"), max_per_customer,
		    applied) != 0 && db->conn != NULL && PQstatus(db->conn) != CONNECTION_OK) {
			rc = -1;
			break;
		}
	}
	PQclear(q);
	return rc;
}

cJSON *
ob_invoices_details_get(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *q;
	cJSON *o, *a;

	fmt_i64(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_DETAILS_GET, params, NULL)) == NULL)
		return NULL;
	if (PQntuples(q) != 1) {
		PQclear(q);
		snprintf(db->lasterr, sizeof(db->lasterr), "no such org");
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "billing_details");
	cJSON_AddStringToObject(o, "org_id", org);
	cJSON_AddStringToObject(o, "org_name", ob_row_str(q, 0, "org_name"));
	cJSON_AddStringToObject(o, "email", ob_row_str(q, 0, "email"));
	a = cJSON_AddObjectToObject(o, "address");
	cJSON_AddStringToObject(a, "line1", ob_row_str(q, 0, "address_line1"));
	cJSON_AddStringToObject(a, "line2", ob_row_str(q, 0, "address_line2"));
	cJSON_AddStringToObject(a, "city", ob_row_str(q, 0, "city"));
	cJSON_AddStringToObject(a, "state", ob_row_str(q, 0, "state"));
	cJSON_AddStringToObject(a, "postal_code", ob_row_str(q, 0, "postal_code"));
	cJSON_AddStringToObject(a, "country", ob_row_str(q, 0, "country"));
	cJSON_AddStringToObject(o, "tax_id", ob_row_str(q, 0, "tax_id"));
	cJSON_AddStringToObject(o, "po_number", ob_row_str(q, 0, "po_number"));
	cJSON_AddStringToObject(o, "invoice_notes", ob_row_str(q, 0, "invoice_notes"));
	cJSON_AddBoolToObject(o, "has_stripe_customer", ob_row_str(q, 0, "stripe_customer_id")[0] != '\0');
	add_ts(o, "pushed_at", q, 0, "pushed_at");
	PQclear(q);
	return o;
}

/* A text field from body (absent: keep cur); bounded, no control characters. */
static int
take_field(const cJSON *body, const char *name, const char *param, size_t max, const char *cur,
    char *out, size_t outlen, struct ob_fail *f)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, name);
	const char *s = cur, *p;

	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsString(it))
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", param, "%s must be a string.",
			    param);
		s = it->valuestring;
	} else if (it != NULL) {
		s = "";
	}
	if (strlen(s) > max || strlen(s) >= outlen)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_too_long", param,
		    "%s is at most %zu characters.", param, max);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && !(*p == '\n' && strcmp(name, "invoice_notes") == 0))
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", param,
			    "%s holds a control character.", param);
	snprintf(out, outlen, "%s", s);
	return 0;
}

/* Push details to the Stripe customer. 0 or -1 with f. */
static int
details_push(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const cJSON *d,
    struct ob_fail *f)
{
	char customer[128], org[24], opid[96], hash[17];
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(d, "address");
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	cJSON *q = cJSON_CreateObject(), *addr, *is, *cf, *fld, *md;
	char *txt;
	unsigned long h = 5381;
	const char *p;
	int rc = -1;

	if (ob_invoices_customer(db, st, org_id, 1, customer, sizeof(customer), f) != 0)
		goto out;
	fmt_i64(org, sizeof(org), org_id);
	if (*ob_invoices_jstr(d, "email") != '\0')
		cJSON_AddStringToObject(q, "email", ob_invoices_jstr(d, "email"));
	addr = cJSON_AddObjectToObject(q, "address");
	cJSON_AddStringToObject(addr, "line1", ob_invoices_jstr(a, "line1"));
	cJSON_AddStringToObject(addr, "line2", ob_invoices_jstr(a, "line2"));
	cJSON_AddStringToObject(addr, "city", ob_invoices_jstr(a, "city"));
	cJSON_AddStringToObject(addr, "state", ob_invoices_jstr(a, "state"));
	cJSON_AddStringToObject(addr, "postal_code", ob_invoices_jstr(a, "postal_code"));
	cJSON_AddStringToObject(addr, "country", ob_invoices_jstr(a, "country"));
	is = cJSON_AddObjectToObject(q, "invoice_settings");
	if (*ob_invoices_jstr(d, "po_number") != '\0' || *ob_invoices_jstr(d, "tax_id") != '\0') {
		cf = cJSON_AddArrayToObject(is, "custom_fields");
		if (*ob_invoices_jstr(d, "po_number") != '\0') {
			fld = cJSON_CreateObject();
			cJSON_AddStringToObject(fld, "name", "PO number");
			cJSON_AddStringToObject(fld, "value", ob_invoices_jstr(d, "po_number"));
			cJSON_AddItemToArray(cf, fld);
		}
		if (*ob_invoices_jstr(d, "tax_id") != '\0') {
			fld = cJSON_CreateObject();
			cJSON_AddStringToObject(fld, "name", "Tax ID");
			cJSON_AddStringToObject(fld, "value", ob_invoices_jstr(d, "tax_id"));
			cJSON_AddItemToArray(cf, fld);
		}
	} else {
		cJSON_AddStringToObject(is, "custom_fields", "");
	}
	cJSON_AddStringToObject(is, "footer", ob_invoices_jstr(d, "invoice_notes"));
	md = cJSON_AddObjectToObject(q, "metadata");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	cJSON_AddStringToObject(md, "orgbill_po_number", ob_invoices_jstr(d, "po_number"));
	cJSON_AddStringToObject(md, "orgbill_tax_id", ob_invoices_jstr(d, "tax_id"));
	/* The key follows the content: the same details pushed twice is one change. */
	txt = cJSON_PrintUnformatted(q);
	for (p = txt; *p != '\0'; p++)
		h = h * 33u ^ (unsigned char)*p;
	free(txt);
	snprintf(hash, sizeof(hash), "%08lx", h & 0xffffffffUL);
	snprintf(opid, sizeof(opid), "%s-%s-%ld", org, hash, (long)time(NULL) / 60);
	ob_buf_puts(&path, "/v1/customers/");
	ob_stripe_form_escape(&path, customer, strlen(customer));
	if (stripe_call(st, "POST", path.data, q, "customer-details", opid, &res, f) != 0)
		goto out;
	ob_stripe_result_clear(&res);
	{
		const char *params[1] = { org };

		if (ob_db_run(db, OB_STMT_INV_DETAILS_PUSHED, params) != 0) {
			ob_fail_db(f, db->lasterr);
			goto out;
		}
	}
	rc = 0;
out:
	ob_buf_free(&path);
	cJSON_Delete(q);
	return rc;
}

cJSON *
ob_invoices_details_set(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const cJSON *body, struct ob_fail *f)
{
	char email[321], l1[201], l2[201], city[101], state[101], pc[21], country[3], tax[31], po[31],
	    notes[501], org[24];
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(body, "address");
	const cJSON *ca;
	cJSON *before = NULL, *after = NULL;
	const char *params[11];
	size_t i;

	if (!cJSON_IsObject(body)) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", NULL, "Send a JSON object.");
		return NULL;
	}
	if (a != NULL && !cJSON_IsNull(a) && !cJSON_IsObject(a)) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "address", "address is an object.");
		return NULL;
	}
	if ((before = ob_invoices_details_get(ax->db, org_id)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	ca = cJSON_GetObjectItemCaseSensitive(before, "address");
	if (take_field(body, "email", "email", 320, ob_invoices_jstr(before, "email"), email,
	    sizeof(email), f) != 0 ||
	    take_field(a, "line1", "address[line1]", 200, ob_invoices_jstr(ca, "line1"), l1, sizeof(l1), f) != 0 ||
	    take_field(a, "line2", "address[line2]", 200, ob_invoices_jstr(ca, "line2"), l2, sizeof(l2), f) != 0 ||
	    take_field(a, "city", "address[city]", 100, ob_invoices_jstr(ca, "city"), city, sizeof(city), f) != 0 ||
	    take_field(a, "state", "address[state]", 100, ob_invoices_jstr(ca, "state"), state, sizeof(state), f) != 0 ||
	    take_field(a, "postal_code", "address[postal_code]", 20, ob_invoices_jstr(ca, "postal_code"), pc,
	    sizeof(pc), f) != 0 ||
	    take_field(a, "country", "address[country]", 2, ob_invoices_jstr(ca, "country"), country,
	    sizeof(country), f) != 0 ||
	    take_field(body, "tax_id", "tax_id", 30, ob_invoices_jstr(before, "tax_id"), tax, sizeof(tax), f) != 0 ||
	    take_field(body, "po_number", "po_number", 30, ob_invoices_jstr(before, "po_number"), po,
	    sizeof(po), f) != 0 ||
	    take_field(body, "invoice_notes", "invoice_notes", 500, ob_invoices_jstr(before, "invoice_notes"),
	    notes, sizeof(notes), f) != 0)
		goto fail;
	if (email[0] != '\0' && (strlen(email) < 3 || strchr(email, '@') == NULL ||
	    strchr(email, '@') == email || strchr(email, '@')[1] == '\0' || strpbrk(email, " ,;<>") != NULL)) {
		ob_fail(f, OB_FAIL_INVALID, "invalid_email", "email", "email is not an e-mail address.");
		goto fail;
	}
	for (i = 0; country[i] != '\0'; i++)
		if (country[i] >= 'a' && country[i] <= 'z')
			country[i] = (char)(country[i] - 'a' + 'A');
	if (country[0] != '\0' && (strlen(country) != 2 || country[0] < 'A' || country[0] > 'Z' ||
	    country[1] < 'A' || country[1] > 'Z')) {
		ob_fail(f, OB_FAIL_INVALID, "invalid_country", "address[country]",
		    "country is a two-letter ISO code.");
		goto fail;
	}
	fmt_i64(org, sizeof(org), org_id);
	params[0] = org;
	params[1] = email;
	params[2] = l1;
	params[3] = l2;
	params[4] = city;
	params[5] = state;
	params[6] = pc;
	params[7] = country;
	params[8] = tax;
	params[9] = po;
	params[10] = notes;
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto fail;
	}
	if (ob_db_run(ax->db, OB_STMT_INV_DETAILS_SET, params) != 0 ||
	    (after = ob_invoices_details_get(ax->db, org_id)) == NULL ||
	    ob_audit_write(ax, org_id, "billing.details_update", "organization", org, before, after) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		goto fail;
	}
	if (st != NULL && details_push(ax->db, st, org_id, after, f) != 0) {
		ob_db_rollback(ax->db);
		goto fail;
	}
	if (ob_db_commit(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto fail;
	}
	cJSON_Delete(before);
	cJSON_Delete(after);
	return ob_invoices_details_get(ax->db, org_id);
fail:
	cJSON_Delete(before);
	cJSON_Delete(after);
	return NULL;
}

cJSON *
ob_invoices_payment_method(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    struct ob_fail *f)
{
	char customer[128];
	struct ob_stripe_result res;
	struct ob_buf path = OB_BUF_INIT;
	const cJSON *is, *card;
	const char *pm;
	cJSON *o = NULL;
	int64_t v;
	int rc;

	rc = ob_invoices_customer(db, st, org_id, 0, customer, sizeof(customer), f);
	if (rc < 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "payment_method");
	if (rc == 1 || st == NULL) {
		cJSON_AddBoolToObject(o, "none", 1);
		return o;
	}
	ob_buf_puts(&path, "/v1/customers/");
	ob_stripe_form_escape(&path, customer, strlen(customer));
	if (stripe_call(st, "GET", path.data, NULL, "", "", &res, f) != 0) {
		cJSON_Delete(o);
		o = NULL;
		goto out;
	}
	is = cJSON_GetObjectItemCaseSensitive(res.body, "invoice_settings");
	pm = ob_invoices_jid(is, "default_payment_method");
	ob_stripe_result_clear(&res);
	if (pm == NULL) {
		cJSON_AddBoolToObject(o, "none", 1);
		goto out;
	}
	ob_buf_reset(&path);
	ob_buf_puts(&path, "/v1/payment_methods/");
	{
		char pmid[128];

		snprintf(pmid, sizeof(pmid), "%s", pm);
		ob_stripe_form_escape(&path, pmid, strlen(pmid));
	}
	if (stripe_call(st, "GET", path.data, NULL, "", "", &res, f) != 0) {
		cJSON_Delete(o);
		o = NULL;
		goto out;
	}
	card = cJSON_GetObjectItemCaseSensitive(res.body, "card");
	cJSON_AddBoolToObject(o, "none", 0);
	cJSON_AddStringToObject(o, "id", ob_invoices_jstr(res.body, "id") ? ob_invoices_jstr(res.body, "id") : "");
	cJSON_AddStringToObject(o, "brand", ob_invoices_jstr(card, "brand") ? ob_invoices_jstr(card, "brand") : "card");
	cJSON_AddStringToObject(o, "last4", ob_invoices_jstr(card, "last4") ? ob_invoices_jstr(card, "last4") : "");
	if (ob_invoices_jint(card, "exp_month", &v) == 0)
		ob_json_add_i64(o, "exp_month", v);
	if (ob_invoices_jint(card, "exp_year", &v) == 0)
		ob_json_add_i64(o, "exp_year", v);
	ob_stripe_result_clear(&res);
out:
	ob_buf_free(&path);
	return o;
}

int
ob_invoices_portal(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *return_url,
    char *url, size_t len, struct ob_fail *f)
{
	char customer[128], opid[96];
	struct ob_stripe_result res;
	cJSON *q;
	int rc = -1;

	url[0] = '\0';
	if (ob_invoices_customer(db, st, org_id, 1, customer, sizeof(customer), f) != 0)
		return -1;
	q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "customer", customer);
	cJSON_AddStringToObject(q, "return_url", return_url);
	/* A new session every time: the key only protects one click's retries. */
	snprintf(opid, sizeof(opid), "%lld-%ld-%ld", (long long)org_id, (long)time(NULL),
	    (long)(random() & 0x7fffffff));
	if (stripe_call(st, "POST", "/v1/billing_portal/sessions", q, "portal", opid, &res, f) != 0)
		goto out;
	if (ob_invoices_jstr(res.body, "url") == NULL ||
	    strlen(ob_invoices_jstr(res.body, "url")) >= len) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "Stripe gave no portal URL.");
	} else {
		snprintf(url, len, "%s", ob_invoices_jstr(res.body, "url"));
		rc = 0;
	}
	ob_stripe_result_clear(&res);
out:
	cJSON_Delete(q);
	return rc;
}

cJSON *
ob_invoices_buy_credits(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    int64_t credits, int *declined, struct ob_fail *f)
{
	char org[24], cr[24], amt[24], uid[24], pid[24], customer[128], desc[96];
	const char *params[4] = { org, cr, amt, uid };
	struct ob_stripe_result res = { 0 };
	struct ob_buf path = OB_BUF_INIT;
	const char *inv_id, *status = "open";
	char invoice[128] = "";
	int64_t amount, purchase;
	PGresult *q;
	cJSON *body = NULL, *md, *out = NULL, *after;

	*declined = 0;
	if (credits < 1 || credits > OB_INVOICES_CREDITS_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "credits",
		    "credits is an integer from 1 to %lld.", (long long)OB_INVOICES_CREDITS_MAX);
		return NULL;
	}
	amount = ob_invoices_credit_price(credits, ob_invoices_price_per_1000());
	if (amount < 50) {
		ob_fail(f, OB_FAIL_INVALID, "amount_too_small", "credits",
		    "A purchase must cost at least 0.50 USD.");
		return NULL;
	}
	if (ob_invoices_customer(ax->db, st, org_id, 1, customer, sizeof(customer), f) != 0)
		return NULL;
	fmt_i64(org, sizeof(org), org_id);
	fmt_i64(cr, sizeof(cr), credits);
	fmt_i64(amt, sizeof(amt), amount);
	fmt_i64(uid, sizeof(uid), ax->who != NULL ? ax->who->user_id : 0);
	/* The purchase row first, in its own transaction: its id keys every Stripe call. */
	if ((q = ob_db_exec(ax->db, OB_STMT_CP_INSERT, params, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	purchase = ob_row_i64(q, 0, "id");
	PQclear(q);
	fmt_i64(pid, sizeof(pid), purchase);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "credits", cr);
	cJSON_AddStringToObject(after, "amount", amt);
	if (ob_audit_write(ax, org_id, "credits.purchase", "credit_purchase", pid, NULL, after) != 0) {
		cJSON_Delete(after);
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	cJSON_Delete(after);

	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "customer", customer);
	cJSON_AddStringToObject(body, "collection_method", "charge_automatically");
	cJSON_AddStringToObject(body, "auto_advance", "false");
	cJSON_AddStringToObject(body, "currency", "usd");
	snprintf(desc, sizeof(desc), "Purchase of %lld credits", (long long)credits);
	cJSON_AddStringToObject(body, "description", desc);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	cJSON_AddStringToObject(md, "orgbill_credit_purchase", pid);
	if (stripe_call(st, "POST", "/v1/invoices", body, "credit-purchase-invoice", pid, &res, f) != 0)
		goto fail;
	if ((inv_id = ob_invoices_jstr(res.body, "id")) == NULL) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "Stripe gave no invoice id.");
		goto fail;
	}
	snprintf(invoice, sizeof(invoice), "%s", inv_id);
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
	if (stripe_call(st, "POST", "/v1/invoiceitems", body, "credit-purchase-item", pid, &res, f) != 0)
		goto fail;
	ob_stripe_result_clear(&res);
	{
		const char *p2[3] = { pid, invoice, "open" };

		if (ob_db_run(ax->db, OB_STMT_CP_SET_INVOICE, p2) != 0) {
			ob_fail_db(f, ax->db->lasterr);
			goto fail;
		}
	}
	ob_buf_puts(&path, "/v1/invoices/");
	ob_stripe_form_escape(&path, invoice, strlen(invoice));
	ob_buf_puts(&path, "/pay");
	if (stripe_call(st, "POST", path.data, NULL, "credit-purchase-pay", pid, &res, f) != 0) {
		if (f->kind != OB_FAIL_PAYMENT)
			goto fail;
		status = "payment_failed";
	} else {
		int64_t local;
		struct ob_fail f2 = { 0 };

		status = strcmp(ob_invoices_jstr(res.body, "status") ? ob_invoices_jstr(res.body, "status") : "",
		    "paid") == 0 ? "paid" : "open";
		(void)ob_invoices_apply_stripe(ax->db, org_id, res.body, (int64_t)time(NULL), &local, &f2);
		ob_stripe_result_clear(&res);
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "object", "credit_purchase");
	cJSON_AddStringToObject(out, "id", pid);
	ob_json_add_i64(out, "credits", credits);
	ob_json_add_i64(out, "amount", amount);
	cJSON_AddStringToObject(out, "currency", "usd");
	cJSON_AddStringToObject(out, "status", status);
	cJSON_AddStringToObject(out, "invoice", invoice);
	cJSON_AddBoolToObject(out, "credits_granted_on_payment", 1);
	/* Declined: the invoice stays open; paying it later still grants the credits. */
	*declined = strcmp(status, "payment_failed") == 0;
	cJSON_Delete(body);
	ob_buf_free(&path);
	return out;
fail:
	{
		const char *p2[3] = { pid, invoice, "failed" };

		(void)ob_db_run(ax->db, OB_STMT_CP_SET_INVOICE, p2);
	}
	ob_stripe_result_clear(&res);
	cJSON_Delete(body);
	ob_buf_free(&path);
	return NULL;
}

int
ob_invoices_purchase_paid(const struct ob_actx *ax, const cJSON *inv, int *granted,
    struct ob_fail *f)
{
	const char *id = ob_invoices_jstr(inv, "id"), *status = ob_invoices_jstr(inv, "status");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(inv, "metadata");
	const char *pid = ob_invoices_jstr(md, "orgbill_credit_purchase");
	const char *params[3];
	struct ob_credits_grant_in g;
	char reason[160], gid[24];
	PGresult *q;
	cJSON *grant;
	int64_t org, credits;

	*granted = 0;
	if (id == NULL || status == NULL || strcmp(status, "paid") != 0)
		return 0;
	if (pid != NULL && !digits(pid))
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
	params[1] = ob_invoices_jstr(grant, "id") ? ob_invoices_jstr(grant, "id") : "0";
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

cJSON *
ob_invoices_purchases(struct ob_db *db, int64_t org_id, int limit)
{
	char org[24], lim[16];
	const char *params[2] = { org, lim };
	cJSON *list, *data, *o;
	PGresult *q;
	int i;

	fmt_i64(org, sizeof(org), org_id);
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((q = ob_db_exec(db, OB_STMT_CP_LIST, params, NULL)) == NULL)
		return NULL;
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	for (i = 0; i < PQntuples(q); i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "object", "credit_purchase");
		cJSON_AddStringToObject(o, "id", ob_row_str(q, i, "id"));
		ob_json_add_i64(o, "credits", ob_row_i64(q, i, "credits"));
		ob_json_add_i64(o, "amount", ob_row_i64(q, i, "amount"));
		cJSON_AddStringToObject(o, "currency", ob_row_str(q, i, "currency"));
		cJSON_AddStringToObject(o, "status", ob_row_str(q, i, "status"));
		cJSON_AddStringToObject(o, "invoice", ob_row_str(q, i, "stripe_invoice_id"));
		add_ts(o, "created", q, i, "created");
		add_ts(o, "granted_at", q, i, "granted_at");
		cJSON_AddItemToArray(data, o);
	}
	cJSON_AddBoolToObject(list, "has_more", 0);
	PQclear(q);
	return list;
}

/* Bill one org's extra tasks of one period. 1 when an item was made, 0, -1. */
static int
extra_one(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *period)
{
	struct ob_actx ax = { db, NULL, "jobs", NULL, NULL, 0 };
	char org[24], tasks_s[24], credits_s[24], amount_s[24], customer[128], opid[64], desc[160];
	const char *params[5] = { org, period, tasks_s, credits_s, amount_s };
	struct ob_stripe_result res = { 0 };
	struct ob_fail f = { 0 };
	int64_t tasks = 0, credits = 0, amount;
	PGresult *q;
	cJSON *body = NULL, *md, *after;
	int rc = -1, have;

	if (ob_credits_extra_usage(db, org_id, period, &tasks, &credits) != 0)
		return -1;
	amount = ob_invoices_credit_price(credits, ob_invoices_price_per_1000());
	fmt_i64(org, sizeof(org), org_id);
	fmt_i64(tasks_s, sizeof(tasks_s), tasks);
	fmt_i64(credits_s, sizeof(credits_s), credits);
	fmt_i64(amount_s, sizeof(amount_s), amount);
	if (ob_db_begin(db) != 0)
		return -1;
	/* Claim the (org, period) row; a concurrent run waits here, then sees it done. */
	if (ob_db_run(db, OB_STMT_ETI_CLAIM, params) != 0)
		goto fail;
	if ((q = ob_db_exec(db, OB_STMT_ETI_LOCK, params, NULL)) == NULL)
		goto fail;
	if (PQntuples(q) != 1 || strcmp(ob_row_str(q, 0, "status"), "pending") != 0) {
		PQclear(q);
		return ob_db_commit(db) == 0 ? 0 : -1;
	}
	/* The claimed figures are the ones billed, even if a retry reads later usage. */
	snprintf(tasks_s, sizeof(tasks_s), "%s", ob_row_str(q, 0, "tasks"));
	snprintf(credits_s, sizeof(credits_s), "%s", ob_row_str(q, 0, "credits"));
	snprintf(amount_s, sizeof(amount_s), "%s", ob_row_str(q, 0, "amount"));
	PQclear(q);
	amount = strtoll(amount_s, NULL, 10);
	if (amount <= 0 || ob_invoices_customer(db, st, org_id, 0, customer, sizeof(customer), &f) != 0) {
		const char *p4[4] = { org, period, "skipped", "" };

		/* Nothing to bill (or no customer to bill it to): recorded, not retried. */
		if (ob_db_run(db, OB_STMT_ETI_DONE, p4) != 0)
			goto fail;
		after = cJSON_CreateObject();
		cJSON_AddStringToObject(after, "period_start", period);
		cJSON_AddStringToObject(after, "tasks", tasks_s);
		cJSON_AddStringToObject(after, "reason", amount <= 0 ? "zero amount" : "no Stripe customer");
		rc = ob_audit_write(&ax, org_id, "invoice.extra_tasks_skipped", "organization", org, NULL, after);
		cJSON_Delete(after);
		if (rc != 0)
			goto fail;
		return ob_db_commit(db) == 0 ? 0 : -1;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "customer", customer);
	cJSON_AddStringToObject(body, "amount", amount_s);
	cJSON_AddStringToObject(body, "currency", "usd");
	snprintf(desc, sizeof(desc), "Extra tasks %s: %s tasks, %s credits", period, tasks_s, credits_s);
	cJSON_AddStringToObject(body, "description", desc);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_kind", "extra_tasks");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	cJSON_AddStringToObject(md, "orgbill_period", period);
	snprintf(opid, sizeof(opid), "%s-%s", org, period);
	if (stripe_call(st, "POST", "/v1/invoiceitems", body, "extra-tasks", opid, &res, &f) != 0) {
		ob_log(OB_LOG_WARN, "extra_tasks", "org %s period %s: %s", org, period, f.message);
		goto fail;
	}
	{
		const char *p4[4] = { org, period, "created", ob_invoices_jstr(res.body, "id") };

		if (p4[3] == NULL || ob_db_run(db, OB_STMT_ETI_DONE, p4) != 0)
			goto fail;
	}
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "period_start", period);
	cJSON_AddStringToObject(after, "tasks", tasks_s);
	cJSON_AddStringToObject(after, "credits", credits_s);
	cJSON_AddStringToObject(after, "amount", amount_s);
	cJSON_AddStringToObject(after, "invoice_item", ob_invoices_jstr(res.body, "id"));
	have = ob_audit_write(&ax, org_id, "invoice.extra_tasks_billed", "organization", org, NULL, after);
	cJSON_Delete(after);
	if (have != 0 || ob_db_commit(db) != 0)
		goto fail;
	rc = 1;
	goto out;
fail:
	ob_db_rollback(db);
	rc = -1;
out:
	ob_stripe_result_clear(&res);
	cJSON_Delete(body);
	return rc;
}

int
ob_invoices_extra_tasks_run(struct ob_db *db, struct ob_stripe *st, int *created)
{
	PGresult *q;
	int i, r, rc = 0;

	*created = 0;
	if (st == NULL)
		return 0;
	if ((q = ob_db_exec(db, OB_STMT_ETI_CANDIDATES, NULL, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(q); i++) {
		r = extra_one(db, st, ob_row_i64(q, i, "org_id"), ob_row_str(q, i, "period_start"));
		if (r > 0)
			(*created)++;
		else if (r < 0)
			rc = -1;
	}
	PQclear(q);
	return rc;
}
