/*
 * Credits: the ledger check (`orgbill verify-ledger`).
 */
#include "credits/credits.h"

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
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3));
	PQclear(res);
	return n;
}
