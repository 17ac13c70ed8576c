/*
 * ob_fail: why a core operation refused or failed, in the terms the API's
 * error shape needs (the HTTP layer maps the kind to a status and type).
 */
#ifndef OB_FAIL_H
#define OB_FAIL_H

enum ob_fail_kind {
	OB_FAIL_NONE = 0,
	OB_FAIL_INVALID,	/* 400 invalid_request_error */
	OB_FAIL_FORBIDDEN,	/* 403 permission_error */
	OB_FAIL_NOT_FOUND,	/* 404 invalid_request_error */
	OB_FAIL_CONFLICT,	/* 409 invalid_request_error */
	OB_FAIL_IDEMPOTENCY,	/* 409 idempotency_error */
	OB_FAIL_PAYMENT,	/* 402 invalid_request_error */
	OB_FAIL_UPSTREAM,	/* 502 api_error (Stripe) */
	OB_FAIL_DB,		/* 503 api_error */
};

struct ob_fail {
	enum ob_fail_kind kind;
	const char *code;	/* stable, machine-readable: "last_owner" */
	const char *param;	/* the offending input field, or NULL */
	char message[256];	/* for people */
};

/** Fill f and return -1 (so `return ob_fail(...)` reads naturally). */
int ob_fail(struct ob_fail *f, enum ob_fail_kind kind, const char *code,
    const char *param, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/** Record a database failure (db's last error is logged, not shown). Returns -1. */
int ob_fail_db(struct ob_fail *f, const char *lasterr);

/** True if sqlstate (NULL or "" for none) is a data exception, SQLSTATE class 22. */
int ob_fail_is_data(const char *sqlstate);

/**
 * ob_fail_db, except that a data exception (class 22: the value sent was
 * out of range, not a date, not text...) is the request's fault: 400
 * invalid_request_error, code invalid_request, the database's words logged
 * and not shown. Returns -1.
 */
int ob_fail_db_state(struct ob_fail *f, const char *lasterr, const char *sqlstate);

#endif
