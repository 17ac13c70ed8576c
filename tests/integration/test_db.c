/*
 * The database layer against the stack's PostgreSQL: migrations (twice,
 * and concurrently), transaction hygiene, reconnecting after a restart.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/db.h"
#include "base/migrate.h"
#include "base/stmt.h"
#include "ob_schema.h"
#include "integration/harness.h"
#include "unit/unit.h"

START_TEST(db_migrations_current_and_idempotent)
{
	struct ob_db db;
	char err[512], sql_dir[2048];
	int applied = -1;
	long v;

	t_db_open(&db);
	snprintf(sql_dir, sizeof(sql_dir), "%s/sql", t_env("OB_TEST_ROOT"));
	long count;

	ck_assert_int_eq(ob_migrate_current(&db, &v, &count, err, sizeof(err)), 0);
	ck_assert_int_eq(v, OB_SCHEMA_VERSION);
	ck_assert_int_eq(count, OB_SCHEMA_COUNT);
	ck_assert_msg(ob_migrate_run(&db, sql_dir, &applied, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(applied, 0);
	ob_db_close(&db);
}
END_TEST

/* Several `orgbill migrate` at once: all succeed, each version once. */
START_TEST(db_migrate_concurrently)
{
	char cmd[4096];
	pid_t pids[4];
	int i, st;

	snprintf(cmd, sizeof(cmd), "%s/orgbill", t_env("OB_TEST_BIN_DIR"));
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			freopen("/dev/null", "w", stdout);
			execl(cmd, "orgbill", "migrate", (char *)NULL);
			_exit(127);
		}
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "migrate %d failed", i);
	}
}
END_TEST

START_TEST(db_end_request_rolls_back)
{
	struct ob_db db;

	t_db_open(&db);
	ck_assert_int_eq(ob_db_begin(&db), 0);
	ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_INTRANS);
	ck_assert_int_eq(ob_db_end_request(&db), 1);
	ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_IDLE);
	ck_assert_int_eq(db.in_tx, 0);
	ck_assert_int_eq(ob_db_end_request(&db), 0);
	/* A failed statement inside a transaction: rolled back too. */
	ck_assert_int_eq(ob_db_begin(&db), 0);
	ck_assert_int_eq(ob_db_run(&db, OB_STMT_MIGRATION_RECORD,
	    (const char *const[]){ "not-a-number", "x" }), -1);
	ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_INERROR);
	ck_assert_int_eq(ob_db_end_request(&db), 1);
	ck_assert_int_eq(ob_db_run(&db, OB_STMT_PING, NULL), 0);
	ob_db_close(&db);
}
END_TEST

START_TEST(db_statements_all_prepared)
{
	struct ob_db db;

	t_db_open(&db);
	ck_assert_msg(db.unprepared == 0, "%s", db.lasterr);
	ck_assert_int_eq(ob_db_ensure(&db), 0);
	ob_db_close(&db);
}
END_TEST

START_TEST(db_reconnects_after_restart)
{
	struct ob_db db;
	int i, ok = 0;

	t_db_open(&db);
	ck_assert_int_eq(ob_db_run(&db, OB_STMT_PING, NULL), 0);
	ck_assert_int_eq(t_stack("pg-restart"), 0);
	/* The first call notices, reconnects, re-prepares and retries. */
	for (i = 0; i < 50 && !ok; i++) {
		ok = ob_db_run(&db, OB_STMT_PING, NULL) == 0;
		if (!ok)
			t_sleep_ms(100);
	}
	ck_assert_msg(ok, "%s", db.lasterr);
	ck_assert_int_eq(db.unprepared, 0);
	ck_assert_int_eq(ob_db_run(&db, OB_STMT_SCHEMA_VERSION, NULL), 0);
	ob_db_close(&db);
	ck_assert_int_eq(t_wait_status("/readyz", 200, 15000), 0);
}
END_TEST

/*
 * Rows are read by column name (base/row.h): every statement's result
 * columns must have names, unique within the statement, so that a name
 * picks exactly one column. Describes the whole table on the real schema.
 */
START_TEST(db_result_columns_named_and_unique)
{
	struct ob_db db;
	char bad[4096] = "";
	int s, i, j, n;

	t_db_open(&db);
	ck_assert_int_eq(ob_db_ensure(&db), 0);
	for (s = 0; s < OB_STMT__MAX; s++) {
		PGresult *d = PQdescribePrepared(db.conn, ob_stmts[s].name);

		ck_assert_msg(PQresultStatus(d) == PGRES_COMMAND_OK, "describe %s: %s",
		    ob_stmts[s].name, PQerrorMessage(db.conn));
		n = PQnfields(d);
		for (i = 0; i < n; i++) {
			const char *c = PQfname(d, i);
			int dup = 0;

			for (j = 0; j < i; j++)
				dup |= strcmp(c, PQfname(d, j)) == 0;
			if (dup || strcmp(c, "?column?") == 0 || c[0] == '\0')
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), " %s.%s",
				    ob_stmts[s].name, c);
		}
		PQclear(d);
	}
	ck_assert_msg(bad[0] == '\0', "unnamed or repeated result columns:%s", bad);
	ob_db_close(&db);
}
END_TEST


Suite *db_suite(void)
{
	return t_suite("db", 60, T_TESTS(db_migrations_current_and_idempotent,
	    db_migrate_concurrently, db_end_request_rolls_back,
	    db_statements_all_prepared, db_result_columns_named_and_unique,
	    db_reconnects_after_restart));
}
