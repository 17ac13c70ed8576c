/*
 * Result rows by column name (row.h). PQfnumber is a linear scan with no
 * allocation for lower-case names; results have a few dozen columns at
 * most, so a lookup costs less than copying the value.
 */
#include "base/row.h"

#include <stdlib.h>

#include "base/log.h"

void
ob_row_missing(const PGresult *res, const char *name)
{
	ob_log(OB_LOG_ERROR, "db_column_missing",
	    "the result has no column \"%s\" (%d columns, the first \"%s\")", name,
	    PQnfields(res), PQnfields(res) > 0 ? PQfname(res, 0) : "");
#ifdef OB_STRICT_COLUMNS
	abort();
#endif
}

int
ob_row_col(const PGresult *res, const char *name)
{
	int c = PQfnumber(res, name);

	if (c < 0)
		ob_row_missing(res, name);
	return c;
}

const char *
ob_row_str(const PGresult *res, int row, const char *name)
{
	int c = ob_row_col(res, name);

	if (c < 0 || PQgetisnull(res, row, c))
		return "";
	return PQgetvalue(res, row, c);
}

int
ob_row_null(const PGresult *res, int row, const char *name)
{
	int c = ob_row_col(res, name);

	return c < 0 || PQgetisnull(res, row, c);
}

int64_t
ob_row_i64(const PGresult *res, int row, const char *name)
{
	const char *v = ob_row_str(res, row, name);

	return *v == '\0' ? 0 : (int64_t)strtoll(v, NULL, 10);
}

int
ob_row_bool(const PGresult *res, int row, const char *name)
{
	return ob_row_str(res, row, name)[0] == 't';
}
