/*
 * The subscription history's reads and writes (revenue.h): one row per
 * change, recorded by the Stripe mirror; read whole for the revenue page.
 */
#include "billing/revenue.h"

#include <stdlib.h>
#include <string.h>

#include "base/num.h"
#include "base/row.h"

int
ob_revenue_record(struct ob_db *db, int64_t org_id, int64_t mrr)
{
	char org[24], m[24];
	const char *params[2] = { org, m };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(m, sizeof(m), mrr < 0 ? 0 : mrr);
	return ob_db_run(db, OB_STMT_REV_RECORD, params);
}

int
ob_revenue_load(struct ob_db *db, int64_t until, struct ob_rev_row **rows, size_t *n)
{
	char u[24];
	const char *params[1] = { u };
	struct ob_rev_row *out = NULL;
	PGresult *res;
	int i, count, rc = -1;

	*rows = NULL;
	*n = 0;
	ob_num_str(u, sizeof(u), until);
	if ((res = ob_db_exec(db, OB_STMT_REV_LOAD, params, NULL)) == NULL)
		return -1;
	count = PQntuples(res);
	if ((out = calloc(count > 0 ? (size_t)count : 1, sizeof(*out))) == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		out[i].org_id = ob_row_i64(res, i, "org_id");
		out[i].at = ob_row_i64(res, i, "at_unix");
		out[i].mrr = ob_row_i64(res, i, "mrr");
		strncpy(out[i].plan, ob_row_str(res, i, "plan_code"), sizeof(out[i].plan) - 1);
		strncpy(out[i].currency, ob_row_str(res, i, "currency"), sizeof(out[i].currency) - 1);
	}
	*rows = out;
	*n = (size_t)count;
	rc = 0;
out:
	PQclear(res);
	return rc;
}
