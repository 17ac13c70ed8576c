/*
 * Rows to JSON: the one place a query result becomes API objects — column
 * by column by a small table of names and kinds, or row by row by the
 * caller's function — and list objects.
 */
#ifndef OB_DB_JSON_H
#define OB_DB_JSON_H

#include <cJSON.h>
#include <libpq-fe.h>

#include "base/db.h"

enum ob_col_kind {
	OB_COL_STR,	/* text as a JSON string (ids too: ids are strings) */
	OB_COL_BOOL,	/* 't' / 'f' */
	OB_COL_INT,	/* an integer that fits a JSON number exactly (< 2^53) */
	OB_COL_JSON,	/* JSON text; null if it does not parse */
	OB_COL_SKIP,	/* not shown */
};

struct ob_col {
	const char *name;	/* the result column's name and the key; NULL ends the table */
	enum ob_col_kind kind;
};

/**
 * One object for row i of res: for each entry of cols, the result column
 * of that name (base/row.h; SQL NULL reads as "") under the same key.
 */
cJSON *ob_db_row_json(const PGresult *res, int i, const struct ob_col *cols);

/**
 * {"object":"list","data":[…],"has_more":…} from res: at most limit rows
 * (limit < 0: all); has_more when res has more than limit (queries ask for
 * limit + 1). obj_name, if not NULL, is each row's "object" field.
 */
cJSON *ob_db_list_json(const PGresult *res, const struct ob_col *cols, int limit,
    const char *obj_name);

/**
 * Run statement s with params and turn its rows into a list object as
 * ob_db_list_json does. NULL on a database failure (db->lasterr).
 */
cJSON *ob_db_exec_list(struct ob_db *db, enum ob_stmt s, const char *const *params,
    const struct ob_col *cols, int limit, const char *obj_name);

/** Row i of res as one API object (a new cJSON); arg is the caller's. */
typedef cJSON *ob_db_row_fn(const PGresult *res, int i, const void *arg);

/**
 * {"object":"list","data":[…],"has_more":…}: fn's object for each of the
 * first limit rows of res (limit < 0: all of them); has_more when res has
 * more than limit rows (queries ask for limit + 1).
 */
cJSON *ob_db_list_rows(const PGresult *res, int limit, ob_db_row_fn *fn, const void *arg);

/**
 * Run statement s with params and list its rows as ob_db_list_rows does.
 * NULL on a database failure (db->lasterr).
 */
cJSON *ob_db_exec_rows(struct ob_db *db, enum ob_stmt s, const char *const *params, int limit,
    ob_db_row_fn *fn, const void *arg);

/**
 * Add column name of res's row to o under the same name: its text, or
 * null when that is empty (or SQL NULL).
 */
void ob_db_add_text(cJSON *o, const PGresult *res, int row, const char *name);

/**
 * Add column name of res's row to o under the same name: an exact
 * integer, or null for SQL NULL.
 */
void ob_db_add_i64(cJSON *o, const PGresult *res, int row, const char *name);

#endif
