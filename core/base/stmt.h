/*
 * The statement table: every SQL statement orgbill runs, by name.
 *
 * Each row is prepared once per connection (ob_db_open) and executed
 * by index (ob_db_exec); no function takes SQL text at run time, so no
 * input can become SQL. Each folder keeps its rows in its own
 * core/<folder>/stmt_<module>.def as OB_STMT_DEF(id, name, sql, nparams);
 * the build generates the list of those files (ob_stmt_modules.def), so
 * this header names no folder above base/. One enum and one table come out of them
 * (a unit test checks names are unique and parameter counts match).
 */
#ifndef OB_STMT_H
#define OB_STMT_H

enum ob_stmt {
#define OB_STMT_DEF(id, name, sql, nparams) id,
#include "ob_stmt_modules.def"
#undef OB_STMT_DEF
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
