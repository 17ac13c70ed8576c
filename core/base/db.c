#include "base/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cfg.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/row.h"

static void
db_notice(void *arg, const char *message)
{
	(void)arg;
	ob_log(OB_LOG_DEBUG, "db_notice", "%.*s", (int)strcspn(message, "\n"), message);
}

static void
db_seterr(struct ob_db *db, const char *what, const char *detail)
{
	snprintf(db->lasterr, sizeof(db->lasterr), "%s: %.*s", what,
	    (int)strcspn(detail ? detail : "", "\n"), detail ? detail : "");
}

/*
 * Prepare every statement not yet prepared on this connection; count the
 * ones that fail (e.g. their tables do not exist before migrating).
 */
static void
db_prepare_all(struct ob_db *db)
{
	PGresult *res;
	int i;

	db->unprepared = 0;
	for (i = 0; i < OB_STMT__MAX; i++) {
		if (db->prepared[i])
			continue;
		res = PQprepare(db->conn, ob_stmts[i].name, ob_stmts[i].sql,
		    ob_stmts[i].nparams, NULL);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			db->prepared[i] = 1;
		} else {
			if (db->unprepared++ == 0) {
				char what[96];

				snprintf(what, sizeof(what), "prepare %s", ob_stmts[i].name);
				db_seterr(db, what, PQresultErrorMessage(res));
			}
		}
		PQclear(res);
	}
}

static int
db_connect(struct ob_db *db)
{
	char opts[128];
	const char *keys[] = { "dbname", "application_name", "options",
	    "connect_timeout", NULL };
	const char *vals[5];

	if (db->conn != NULL) {
		PQfinish(db->conn);
		db->conn = NULL;
	}
	db->in_tx = 0;
	memset(db->prepared, 0, sizeof(db->prepared));
	/* No session may sit in an open transaction (holding its locks) for long. */
	snprintf(opts, sizeof(opts), "-c statement_timeout=%ld -c idle_in_transaction_session_timeout=%ld",
	    db->statement_timeout_ms, ob_cfg_env_int("ORGBILL_IDLE_IN_TX_TIMEOUT_MS"));
	vals[0] = db->conninfo;
	vals[1] = db->appname;
	vals[2] = opts;
	vals[3] = "5";
	vals[4] = NULL;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		db_seterr(db, "connect", db->conn ? PQerrorMessage(db->conn) : "out of memory");
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, NULL);
	db_prepare_all(db);
	return 0;
}

int
ob_db_open(struct ob_db *db, const char *conninfo, const char *appname,
    long statement_timeout_ms)
{
	memset(db, 0, sizeof(*db));
	db->conninfo = ob_xstrdup(conninfo);
	db->appname = ob_xstrdup(appname);
	db->statement_timeout_ms = statement_timeout_ms;
	return db_connect(db);
}

void
ob_db_close(struct ob_db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db->appname);
	memset(db, 0, sizeof(*db));
}

int
ob_db_ensure(struct ob_db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		if (db_connect(db) != 0)
			return -1;
		ob_log(OB_LOG_INFO, "db_reconnect", "connected again");
	}
	if (db->unprepared > 0 && !db->in_tx)
		db_prepare_all(db);
	return db->unprepared > 0 ? -1 : 0;
}

static PGresult *
db_exec_once(struct ob_db *db, enum ob_stmt s, const char *const *params)
{
	return PQexecPrepared(db->conn, ob_stmts[s].name, ob_stmts[s].nparams,
	    params, NULL, NULL, 0);
}

PGresult *
ob_db_exec(struct ob_db *db, enum ob_stmt s, const char *const *params,
    const char **sqlstate)
{
	static char state[6];
	PGresult *res = NULL;
	ExecStatusType st;
	const char *code;

	state[0] = '\0';
	if (sqlstate != NULL)
		*sqlstate = state;
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		if (db->in_tx || db_connect(db) != 0)
			return NULL;
	}
	res = db_exec_once(db, s, params);
	if (PQstatus(db->conn) != CONNECTION_OK && !db->in_tx) {
		/* The server went away between requests: one retry. */
		PQclear(res);
		ob_log(OB_LOG_WARN, "db_lost", "connection lost; reconnecting");
		if (db_connect(db) != 0)
			return NULL;
		res = db_exec_once(db, s, params);
	} else if (db->unprepared > 0 && !db->in_tx) {
		code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (code != NULL && strcmp(code, "26000") == 0) {
			/* Not prepared yet (e.g. migrated since we connected). */
			PQclear(res);
			db_prepare_all(db);
			res = db_exec_once(db, s, params);
		}
	}
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (code != NULL) {
		snprintf(state, sizeof(state), "%s", code);
		snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", code);
	}
	db_seterr(db, ob_stmts[s].name,
	    res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
	PQclear(res);
	return NULL;
}

int
ob_db_one(struct ob_db *db, enum ob_stmt s, const char *const *params, PGresult **res)
{
	if ((*res = ob_db_exec(db, s, params, NULL)) == NULL)
		return -1;
	if (PQntuples(*res) == 1)
		return 0;
	PQclear(*res);
	*res = NULL;
	return 1;
}

int
ob_db_one_i64(struct ob_db *db, enum ob_stmt s, const char *const *params, const char *col,
    int64_t *v)
{
	PGresult *res;
	int rc = ob_db_one(db, s, params, &res);

	if (rc < 0)
		return -1;
	*v = rc == 0 ? ob_row_i64(res, 0, col) : 0;
	PQclear(res);
	return 0;
}

int
ob_db_run(struct ob_db *db, enum ob_stmt s, const char *const *params)
{
	PGresult *res = ob_db_exec(db, s, params, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
ob_db_ping(struct ob_db *db)
{
	return ob_db_run(db, OB_STMT_PING, NULL);
}

int
ob_db_begin(struct ob_db *db)
{
	if (db->in_tx > 0) {
		db->in_tx++;
		return 0;
	}
	if (ob_db_run(db, OB_STMT_BEGIN, NULL) != 0)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
ob_db_commit(struct ob_db *db)
{
	int rc;

	if (db->in_tx > 1) {
		db->in_tx--;
		return 0;
	}
	if (db->in_tx == 0)
		return -1;	/* rolled back already by an inner failure */
	rc = ob_db_run(db, OB_STMT_COMMIT, NULL);
	db->in_tx = 0;
	if (rc != 0)
		ob_db_end_request(db);
	return rc;
}

void
ob_db_rollback(struct ob_db *db)
{
	db->in_tx = 0;
	if (db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE &&
	    PQstatus(db->conn) == CONNECTION_OK)
		PQclear(PQexecPrepared(db->conn, ob_stmts[OB_STMT_ROLLBACK].name,
		    0, NULL, NULL, NULL, 0));
}

int
ob_db_fail(struct ob_db *db, struct ob_fail *f)
{
	ob_fail_db_state(f, db->lasterr, db->sqlstate);
	ob_db_rollback(db);
	return -1;
}

int
ob_db_in_tx(const struct ob_db *db)
{
	PGTransactionStatusType st;

	if (db->in_tx > 0)
		return 1;
	if (db->conn == NULL)
		return 0;
	st = PQtransactionStatus(db->conn);
	return st == PQTRANS_INTRANS || st == PQTRANS_INERROR || st == PQTRANS_ACTIVE;
}

int
ob_db_data_error(const struct ob_db *db)
{
	return ob_fail_is_data(db->sqlstate);
}

int
ob_db_end_request(struct ob_db *db)
{
	PGTransactionStatusType ts;

	db->sqlstate[0] = '\0';
	if (db->conn == NULL)
		return 0;
	ts = PQtransactionStatus(db->conn);
	if (ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN) {
		db->in_tx = 0;
		return 0;
	}
	ob_log(OB_LOG_WARN, "db_open_tx", "transaction left open; rolled back");
	ob_db_rollback(db);
	return 1;
}

int
ob_db_exec_script(struct ob_db *db, const char *sql)
{
	PGresult *res;
	ExecStatusType st;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		if (db_connect(db) != 0)
			return -1;
	res = PQexec(db->conn, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_seterr(db, "script", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}
