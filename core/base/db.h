/*
 * ob_db: one PostgreSQL connection with the whole statement table
 * prepared on it (stmt.h).
 *
 * A worker owns exactly one. When the server restarts, the next call
 * notices the broken connection, reconnects and prepares every statement
 * again; a statement that failed outside a transaction is retried once on
 * the new connection. ob_db_end_request() guarantees no transaction stays
 * open after a request.
 */
#ifndef OB_DB_H
#define OB_DB_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "base/fail.h"
#include "base/stmt.h"

struct ob_db {
	PGconn *conn;
	char   *conninfo;
	char   *appname;
	long    statement_timeout_ms;
	int     unprepared;	/* statements that failed to prepare */
	unsigned char prepared[OB_STMT__MAX];	/* 1: prepared on conn */
	int     in_tx;		/* transaction depth: begin/commit nest */
	char    lasterr[256];	/* the last failure, for /readyz and logs */
	char    sqlstate[6];	/* the last failure's SQLSTATE in this request ("" none) */
};

/**
 * Remember the settings and try to connect. Returns 0 when connected (even
 * if some statements could not be prepared yet, e.g. before migrations), or
 * -1 with db->lasterr set; in both cases db is usable and later calls
 * reconnect. Free with ob_db_close.
 */
int ob_db_open(struct ob_db *db, const char *conninfo, const char *appname,
    long statement_timeout_ms);

/** Close the connection and free db's contents. */
void ob_db_close(struct ob_db *db);

/**
 * Make sure the connection is up and every statement prepared, reconnecting
 * if needed. Returns 0, or -1 with db->lasterr set.
 */
int ob_db_ensure(struct ob_db *db);

/**
 * Run statement s with its table's parameter count taken from params
 * (text values; NULL entries are SQL NULL). Returns a result whose status is
 * PGRES_COMMAND_OK or PGRES_TUPLES_OK — the caller PQclear()s it — or NULL
 * on failure, with db->lasterr set and *sqlstate (if not NULL) pointing at
 * the five-character SQLSTATE ("" for connection failures).
 */
PGresult *ob_db_exec(struct ob_db *db, enum ob_stmt s,
    const char *const *params, const char **sqlstate);

/**
 * Run s for one row: 0 with *res holding exactly one row (the caller
 * PQclear()s it); 1 when s returned no row, or more than one (*res NULL,
 * nothing to clear); -1 on a failure (*res NULL, db->lasterr set).
 */
int ob_db_one(struct ob_db *db, enum ob_stmt s, const char *const *params, PGresult **res);

/**
 * Run s for one row and read its integer column col into *v (0 when s
 * gave no row, or more than one, or the column is SQL NULL). 0, or -1 on
 * a failure (db->lasterr set, *v untouched).
 */
int ob_db_one_i64(struct ob_db *db, enum ob_stmt s, const char *const *params, const char *col,
    int64_t *v);

/** Run s and discard the result. Returns 0 or -1. */
int ob_db_run(struct ob_db *db, enum ob_stmt s, const char *const *params);

/** A trivial round trip (readiness): 0 when the server answers, else -1 (db->lasterr). */
int ob_db_ping(struct ob_db *db);

/**
 * BEGIN; returns 0 or -1. Transactions nest by depth: an inner begin/commit
 * pair joins the outer transaction (so a core mutation that opens its own
 * transaction can also run inside a caller's, e.g. with its idempotency
 * record), and only the outermost commit commits.
 */
int ob_db_begin(struct ob_db *db);

/** COMMIT at depth 1, else just leave one level. 0 or -1 (then all is rolled back). */
int ob_db_commit(struct ob_db *db);

/** ROLLBACK the whole transaction, at any depth; never fails visibly. */
void ob_db_rollback(struct ob_db *db);

/**
 * A database failure inside a transaction: f gets it (ob_fail_db_state
 * with db->lasterr and db->sqlstate: a data exception is the request's
 * fault, 400) and the whole transaction is rolled back. Returns -1.
 */
int ob_db_fail(struct ob_db *db, struct ob_fail *f);

/**
 * 1 if db's connection is inside a transaction (begun by us, or still open
 * on the server side: PQtransactionStatus not idle), else 0. Used as the
 * Stripe client's guard: no Stripe call while a transaction is open.
 */
int ob_db_in_tx(const struct ob_db *db);

/**
 * True if the request's last database failure was a data exception
 * (SQLSTATE class 22: a value out of range, not a date, not UTF-8...):
 * input the checks let through, answered 400, never 503.
 */
int ob_db_data_error(const struct ob_db *db);

/**
 * End-of-request hygiene: if the connection is inside a transaction (a
 * handler forgot, or failed half-way), roll it back and return 1; else 0.
 * Forgets the request's SQLSTATE.
 */
int ob_db_end_request(struct ob_db *db);

/** Run a whole SQL script (migrations, seed files only). 0 or -1. */
int ob_db_exec_script(struct ob_db *db, const char *sql);

#endif
