/*
 * Credits: the ledger check (`orgbill verify-ledger`).
 */
#include "credits/credits.h"
#include "base/row.h"

#include <libpq-fe.h>

int
ob_credits_verify(struct ob_db *db, FILE *out)
{
	PGresult *res;
	int i, n;

	if ((res = ob_db_exec(db, OB_STMT_CREDITS_VERIFY, NULL, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		fprintf(out, "mismatch %s %s: stored %s, computed from entries %s\n",
		    ob_row_str(res, i, "what"), ob_row_str(res, i, "id"),
		    ob_row_str(res, i, "stored"), ob_row_str(res, i, "computed"));
	PQclear(res);
	return n;
}
