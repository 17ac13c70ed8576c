#include "base/fail.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"

int
ob_fail(struct ob_fail *f, enum ob_fail_kind kind, const char *code,
    const char *param, const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	f->code = code;
	f->param = param;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return -1;
}

int
ob_fail_is_data(const char *sqlstate)
{
	return sqlstate != NULL && sqlstate[0] == '2' && sqlstate[1] == '2';
}

int
ob_fail_db_state(struct ob_fail *f, const char *lasterr, const char *sqlstate)
{
	if (!ob_fail_is_data(sqlstate))
		return ob_fail_db(f, lasterr);
	ob_log(OB_LOG_WARN, "db_data_error", "%s (SQLSTATE %s)", lasterr, sqlstate);
	return ob_fail(f, OB_FAIL_INVALID, "invalid_request", NULL,
	    "A value in the request is out of range or not valid.");
}

int
ob_fail_db(struct ob_fail *f, const char *lasterr)
{
	ob_log(OB_LOG_ERROR, "db_error", "%s", lasterr);
	return ob_fail(f, OB_FAIL_DB, "database_unavailable", NULL,
	    "The service is temporarily unavailable; try again.");
}
