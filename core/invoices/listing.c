/*
 * An org's invoices as the API shows them: filters, cursor pages, one
 * invoice with its lines, the newest, and the CSV export. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"
#include "base/json.h"

#include <stdio.h>
#include <string.h>

#include "base/db_json.h"
#include "base/row.h"
#include "base/money.h"
#include "base/num.h"

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

/* One row of OB_INV_COLS as the API's invoice object (an ob_db_row_fn). */
static cJSON *
invoice_json(const PGresult *q, int row, const void *arg)
{
	cJSON *o = cJSON_CreateObject();

	(void)arg;
	cJSON_AddStringToObject(o, "object", "invoice");
	cJSON_AddStringToObject(o, "id", ob_row_str(q, row, "id"));
	cJSON_AddStringToObject(o, "org_id", ob_row_str(q, row, "org_id"));
	cJSON_AddStringToObject(o, "stripe_invoice_id", ob_row_str(q, row, "stripe_invoice_id"));
	ob_db_add_text(o, q, row, "number");
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
	ob_db_add_text(o, q, row, "period_start");
	ob_db_add_text(o, q, row, "period_end");
	ob_db_add_text(o, q, row, "due_date");
	ob_db_add_text(o, q, row, "paid_at");
	ob_db_add_text(o, q, row, "hosted_invoice_url");
	ob_db_add_text(o, q, row, "invoice_pdf");
	ob_db_add_text(o, q, row, "created");
	return o;
}

int
ob_invoices_public_id_ok(const char *s)
{
	size_t i;

	if (s == NULL || strncmp(s, "inv_", 4) != 0 || strlen(s) != 4 + 32)
		return 0;
	for (i = 4; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int64_t
ob_invoices_resolve(struct ob_db *db, int64_t org_id, const char *public_id)
{
	char org[24];
	const char *params[2] = { org, public_id };
	PGresult *q;
	int64_t id = 0;

	if (!ob_invoices_public_id_ok(public_id))
		return 0;
	ob_num_str(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_RESOLVE, params, NULL)) == NULL)
		return -1;
	if (PQntuples(q) == 1)
		id = ob_row_i64(q, 0, "id");
	PQclear(q);
	return id;
}

cJSON *
ob_invoices_list(struct ob_db *db, int64_t org_id, const struct ob_invoices_filter *flt,
    const char *starting_after, int limit)
{
	char org[24], lim[16];
	const char *params[6] = { org, flt->status ? flt->status : "", flt->from ? flt->from : "",
	    flt->to ? flt->to : "", starting_after ? starting_after : "", lim };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), limit + 1);
	return ob_db_exec_rows(db, OB_STMT_INV_LIST, params, limit, invoice_json, NULL);
}

cJSON *
ob_invoices_get(struct ob_db *db, int64_t org_id, const char *id, struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, id };
	cJSON *o, *lines, *l;
	PGresult *q, *ql;
	int i;

	/* Our public id, or Stripe's; never the internal key. */
	if (id == NULL || (!ob_invoices_public_id_ok(id) &&
	    (strncmp(id, "in_", 3) != 0 || strlen(id) > 255))) {
		ob_fail(f, OB_FAIL_NOT_FOUND, "invoice_not_found", "invoice_id", "No such invoice.");
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	q = ob_db_exec(db, ob_invoices_public_id_ok(id) ? OB_STMT_INV_GET_BY_PUBLIC :
	    OB_STMT_INV_GET_BY_STRIPE, params, NULL);
	if (q == NULL) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	if (PQntuples(q) != 1) {
		PQclear(q);
		ob_fail(f, OB_FAIL_NOT_FOUND, "invoice_not_found", "invoice_id", "No such invoice.");
		return NULL;
	}
	o = invoice_json(q, 0, NULL);
	params[0] = ob_row_str(q, 0, "internal_id");
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
		ob_db_add_i64(l, ql, i, "unit_amount");
		ob_json_add_i64(l, "amount", ob_row_i64(ql, i, "amount"));
		cJSON_AddStringToObject(l, "currency", ob_row_str(ql, i, "currency"));
		ob_db_add_text(l, ql, i, "period_start");
		ob_db_add_text(l, ql, i, "period_end");
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

	ob_num_str(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_LATEST, params, NULL)) == NULL)
		return -1;
	if (PQntuples(q) == 1) {
		snprintf(out, len, "%s", ob_row_str(q, 0, "id"));
		rc = 0;
	}
	PQclear(q);
	return rc;
}

/* The CSV export's columns, in order: the header names them; money is formatted. */
static const struct {
	const char *name;
	int money;
} csv_cols[] = {
	{ "id", 0 }, { "number", 0 }, { "status", 0 }, { "created", 0 }, { "period_start", 0 },
	{ "period_end", 0 }, { "currency", 0 }, { "subtotal", 1 }, { "tax", 1 }, { "total", 1 },
	{ "amount_paid", 1 }, { "amount_due", 1 }, { "amount_refunded", 1 }, { "paid_at", 0 },
	{ "stripe_invoice_id", 0 },
};

#define CSV_NCOLS	(sizeof(csv_cols) / sizeof(csv_cols[0]))

int
ob_invoices_csv(struct ob_db *db, int64_t org_id, const struct ob_invoices_filter *flt,
    struct ob_buf *out)
{
	char org[24], lim[16];
	const char *params[6] = { org, flt->status ? flt->status : "", flt->from ? flt->from : "",
	    flt->to ? flt->to : "", "", lim };
	char m[OB_MONEY_MAX];
	PGresult *q;
	size_t j;
	int i;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), OB_INVOICES_CSV_MAX);
	if ((q = ob_db_exec(db, OB_STMT_INV_LIST, params, NULL)) == NULL)
		return -1;
	for (j = 0; j < CSV_NCOLS; j++) {
		ob_buf_puts(out, csv_cols[j].name);
		ob_buf_puts(out, j + 1 < CSV_NCOLS ? "," : "\r\n");
	}
	for (i = 0; i < PQntuples(q); i++) {
		for (j = 0; j < CSV_NCOLS; j++) {
			if (j > 0)
				ob_buf_putc(out, ',');
			if (csv_cols[j].money)
				ob_buf_puts(out, ob_money_format(m, sizeof(m),
				    ob_row_i64(q, i, csv_cols[j].name), ob_row_str(q, i, "currency"),
				    OB_MONEY_PLAIN));
			else
				ob_invoices_csv_field(out, ob_row_str(q, i, csv_cols[j].name));
		}
		ob_buf_puts(out, "\r\n");
	}
	PQclear(q);
	return 0;
}
