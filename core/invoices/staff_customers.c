/*
 * The staff customers table (staff.h): summary cards, and pages sorted on
 * a keyset (numeric key, text key, org id) that an opaque cursor names.
 */
#include "invoices/staff.h"

#include <stdio.h>
#include <string.h>

#include "base/db_json.h"
#include "base/json.h"
#include "base/num.h"
#include "base/row.h"
#include "invoices/invoices.h"

cJSON *
ob_staff_customers_summary(struct ob_db *db)
{
	static const char *const counts[] = {
		"organizations", "active", "paying", "past_due", "suspended", "total_users",
	};
	PGresult *res;
	cJSON *o, *mrr, *m;
	size_t i;
	int k;

	if ((res = ob_db_exec(db, OB_STMT_STAFF_CUSTOMERS_SUMMARY, NULL, NULL)) == NULL)
		return NULL;
	o = cJSON_CreateObject();
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		ob_json_add_i64(o, counts[i], PQntuples(res) == 1 ? ob_row_i64(res, 0, counts[i]) : 0);
	PQclear(res);
	if ((res = ob_db_exec(db, OB_STMT_STAFF_CUSTOMERS_MRR, NULL, NULL)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	mrr = cJSON_AddArrayToObject(o, "mrr");
	for (k = 0; k < PQntuples(res); k++) {
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "currency", ob_row_str(res, k, "currency"));
		ob_json_add_i64(m, "amount", ob_row_i64(res, k, "amount"));
		cJSON_AddItemToArray(mrr, m);
	}
	PQclear(res);
	return o;
}

/* The cursor's key: where the last page stopped, under which order. */
struct cursor {
	char sort[16], dir[8];
	int64_t num, id;
	char text[1024];
};

static const char hexdig[] = "0123456789abcdef";

/* "v1|sort|dir|num|id|text" in lowercase hex into out (n bytes). 0, or -1 if it does not fit. */
static int
cursor_encode(const struct cursor *c, char *out, size_t n)
{
	char plain[1200];
	size_t i, len;
	int w;

	w = snprintf(plain, sizeof(plain), "v1|%s|%s|%lld|%lld|%s", c->sort, c->dir,
	    (long long)c->num, (long long)c->id, c->text);
	if (w < 0 || (size_t)w >= sizeof(plain) || (size_t)w * 2 + 1 > n)
		return -1;
	len = (size_t)w;
	for (i = 0; i < len; i++) {
		out[2 * i] = hexdig[(unsigned char)plain[i] >> 4];
		out[2 * i + 1] = hexdig[(unsigned char)plain[i] & 15];
	}
	out[2 * len] = '\0';
	return 0;
}

static int
hexval(char ch)
{
	const char *p = ch ? strchr(hexdig, ch) : NULL;

	return p ? (int)(p - hexdig) : -1;
}

/* The next '|'-ended field of *s into out (n bytes); 0, or -1. */
static int
field(char **s, char *out, size_t n)
{
	char *bar = strchr(*s, '|');
	size_t len;

	if (bar == NULL || (len = (size_t)(bar - *s)) >= n)
		return -1;
	memcpy(out, *s, len);
	out[len] = '\0';
	*s = bar + 1;
	return 0;
}

/* Parse hex back into c; 0, or -1 for anything cursor_encode did not make. */
static int
cursor_decode(const char *hex, struct cursor *c)
{
	char plain[1200], num[24], id[24], *s = plain;
	size_t i, len = strlen(hex);
	int hi, lo;

	if (len == 0 || len % 2 != 0 || len / 2 >= sizeof(plain))
		return -1;
	for (i = 0; i < len / 2; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 || (lo = hexval(hex[2 * i + 1])) < 0)
			return -1;
		plain[i] = (char)(hi << 4 | lo);
		if (plain[i] == '\0')
			return -1;
	}
	plain[len / 2] = '\0';
	if (strncmp(s, "v1|", 3) != 0)
		return -1;
	s += 3;
	if (field(&s, c->sort, sizeof(c->sort)) != 0 || field(&s, c->dir, sizeof(c->dir)) != 0 ||
	    field(&s, num, sizeof(num)) != 0 || field(&s, id, sizeof(id)) != 0 ||
	    strlen(s) >= sizeof(c->text))
		return -1;
	snprintf(c->text, sizeof(c->text), "%s", s);
	if (ob_num_parse(num, INT64_MIN + 1, INT64_MAX, &c->num) != 0 ||
	    (c->id = ob_num_id(id)) == 0)
		return -1;
	return 0;
}

static cJSON *
customer_row(const PGresult *res, int i, const void *arg)
{
	static const struct ob_col cols[] = {
		{ "id", OB_COL_STR }, { "name", OB_COL_STR }, { "slug", OB_COL_STR },
		{ "status", OB_COL_STR }, { "dunning", OB_COL_STR },
		{ "created_at", OB_COL_STR }, { "currency", OB_COL_STR }, { NULL, OB_COL_SKIP },
	};
	cJSON *o = ob_db_row_json(res, i, cols);

	(void)arg;
	/* Optional texts: null when empty (the page tests them). */
	ob_db_add_text(o, res, i, "billing_email");
	ob_db_add_text(o, res, i, "plan_code");
	ob_db_add_text(o, res, i, "subscription_status");
	ob_db_add_text(o, res, i, "cycle");
	ob_db_add_text(o, res, i, "stripe_customer_id");
	ob_json_add_i64(o, "seats_used", ob_row_i64(res, i, "seats_used"));
	ob_json_add_i64(o, "seats_purchased", ob_row_i64(res, i, "seats_purchased"));
	ob_json_add_i64(o, "mrr", ob_row_i64(res, i, "mrr"));
	ob_db_add_text(o, res, i, "last_activity_at");
	return o;
}

/* next_cursor from the page's last row shown (res row last). */
static void
add_next_cursor(cJSON *list, const PGresult *res, int last, const struct ob_staff_customers_q *q)
{
	struct cursor c;
	char hex[OB_STAFF_CURSOR_MAX + 1];

	if (last < 0 || !cJSON_IsTrue(cJSON_GetObjectItem(list, "has_more"))) {
		cJSON_AddNullToObject(list, "next_cursor");
		return;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.sort, sizeof(c.sort), "%s", q->sort);
	snprintf(c.dir, sizeof(c.dir), "%s", q->dir);
	c.num = ob_row_i64(res, last, "k_num");
	c.id = ob_row_i64(res, last, "id");
	snprintf(c.text, sizeof(c.text), "%s", ob_row_str(res, last, "k_text"));
	if (cursor_encode(&c, hex, sizeof(hex)) == 0)
		cJSON_AddStringToObject(list, "next_cursor", hex);
	else
		cJSON_AddNullToObject(list, "next_cursor");
}

int
ob_staff_customers_page(struct ob_db *db, const struct ob_staff_customers_q *q, cJSON **out,
    struct ob_fail *f)
{
	struct cursor c;
	char num[24], id[24], lim[16];
	const char *params[11];
	PGresult *res;
	int have = q->cursor != NULL && q->cursor[0] != '\0';

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if (have && (cursor_decode(q->cursor, &c) != 0 || strcmp(c.sort, q->sort) != 0 ||
	    strcmp(c.dir, q->dir) != 0))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_cursor", "cursor",
		    "cursor is not one this list gave, for this sort order.");
	snprintf(lim, sizeof(lim), "%d", q->limit + 1);
	params[0] = q->q;
	params[1] = q->plan;
	params[2] = q->status;
	params[3] = q->dunning;
	params[4] = q->sort;
	params[5] = q->dir;
	params[6] = have ? "true" : "false";
	params[7] = ob_num_str(num, sizeof(num), c.num);
	params[8] = c.text;
	params[9] = ob_num_str(id, sizeof(id), have ? c.id : 0);
	params[10] = lim;
	if ((res = ob_db_exec(db, OB_STMT_STAFF_CUSTOMERS_PAGE, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	*out = ob_db_list_rows(res, q->limit, customer_row, NULL);
	add_next_cursor(*out, res, (PQntuples(res) > q->limit ? q->limit : PQntuples(res)) - 1, q);
	PQclear(res);
	return 0;
}

/* The CSV columns: the row's JSON member of that name. */
static const char *const csv_cols[] = {
	"id", "name", "slug", "status", "dunning", "plan_code", "subscription_status", "cycle",
	"seats_used", "seats_purchased", "mrr", "currency", "billing_email",
	"stripe_customer_id", "last_activity_at", "created_at",
};
#define CSV_NCOLS (sizeof(csv_cols) / sizeof(csv_cols[0]))

static void
csv_row(struct ob_buf *out, const cJSON *row)
{
	char num[24];
	size_t j;

	for (j = 0; j < CSV_NCOLS; j++) {
		const cJSON *v = cJSON_GetObjectItem(row, csv_cols[j]);
		int64_t n;

		if (j > 0)
			ob_buf_putc(out, ',');
		if (cJSON_IsString(v))
			ob_invoices_csv_field(out, v->valuestring);
		else if (ob_num_json(v, INT64_MIN + 1, INT64_MAX, &n) == 0)
			ob_buf_puts(out, ob_num_str(num, sizeof(num), n));
	}
	ob_buf_puts(out, "\r\n");
}

int
ob_staff_customers_csv(struct ob_db *db, const struct ob_staff_customers_q *q, struct ob_buf *out,
    struct ob_fail *f)
{
	struct ob_staff_customers_q page = *q;
	const cJSON *row, *next;
	cJSON *list = NULL;
	size_t j;
	int rows = 0;

	for (j = 0; j < CSV_NCOLS; j++) {
		if (j > 0)
			ob_buf_putc(out, ',');
		ob_buf_puts(out, csv_cols[j]);
	}
	ob_buf_puts(out, "\r\n");
	page.limit = OB_STAFF_LIMIT_MAX;
	page.cursor = "";
	while (rows < OB_STAFF_EXPORT_MAX) {
		if (ob_staff_customers_page(db, &page, &list, f) != 0)
			return -1;
		cJSON_ArrayForEach(row, cJSON_GetObjectItem(list, "data")) {
			csv_row(out, row);
			rows++;
		}
		next = cJSON_GetObjectItem(list, "next_cursor");
		if (!cJSON_IsString(next)) {
			cJSON_Delete(list);
			return 0;
		}
		/* The cursor outlives the list: keep a copy in the caller's question. */
		snprintf(page.cursor_buf, sizeof(page.cursor_buf), "%s", next->valuestring);
		page.cursor = page.cursor_buf;
		cJSON_Delete(list);
	}
	return 0;
}
