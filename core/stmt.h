/*
 * The statement table: every SQL statement orgbill runs, by name.
 *
 * Each row is prepared once per connection (ob_db_connect) and executed
 * by index (ob_db_exec); no function takes SQL text at run time, so no
 * input can become SQL. Adding a statement is adding one enum value and
 * one row in stmt.c (a unit test checks the two stay in step).
 */
#ifndef OB_STMT_H
#define OB_STMT_H

enum ob_stmt {
	OB_STMT_BEGIN,
	OB_STMT_COMMIT,
	OB_STMT_ROLLBACK,
	OB_STMT_PING,
	OB_STMT_MIGRATE_LOCK,
	OB_STMT_MIGRATE_UNLOCK,
	OB_STMT_MIGRATE_TABLE,
	OB_STMT_SCHEMA_VERSION,
	OB_STMT_MIGRATION_APPLIED,
	OB_STMT_MIGRATION_RECORD,
	OB_STMT__MAX
};

struct ob_stmt_def {
	const char *name;	/* the prepared statement's name */
	const char *sql;
	int nparams;
};

/** The table, indexed by enum ob_stmt; OB_STMT__MAX rows. */
extern const struct ob_stmt_def ob_stmts[OB_STMT__MAX];

#endif
