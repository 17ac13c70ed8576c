/*
 * Values in and out: integer members of Stripe's JSON objects read exactly
 * (no floating point), our ids, CSV fields as text — the small helpers
 * the module's files share (invoices_int.h). See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credits/credits.h"
#include "base/num.h"

cJSON *
ob_inv_org_row(struct ob_db *db, enum ob_stmt s, int64_t org_id, const char *object,
    PGresult **q)
{
	char org[24];
	const char *params[1] = { org };
	cJSON *o;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	if ((rc = ob_db_one(db, s, params, q)) != 0) {
		if (rc > 0)
			snprintf(db->lasterr, sizeof(db->lasterr), "no such org");
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", object);
	cJSON_AddStringToObject(o, "org_id", org);
	return o;
}

int
ob_inv_digits(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 18)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
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

