/*
 * ob_row: reading result rows by column name.
 *
 * A statement's result columns are named in its SQL (core/<folder>/
 * stmt_*.def, aliased where the expression has no name of its own), and
 * readers ask for them by that name, so no reader counts columns across
 * two files. Every statement in the table has unique, non-empty column
 * names (an integration test describes the whole table), so a name picks
 * exactly one column.
 *
 * A name the result does not have is a programming error. It is logged
 * (ob_row_missing) and reads as SQL NULL; builds with OB_STRICT_COLUMNS
 * (the sanitizer build that the test stack runs) abort instead, so a
 * misspelt name fails the tests that reach it.
 */
#ifndef OB_ROW_H
#define OB_ROW_H

#include <stdint.h>

#include <libpq-fe.h>

/** The index of column name in res, or -1 (after ob_row_missing). */
int ob_row_col(const PGresult *res, const char *name);

/** The text of (row, name); "" for SQL NULL or a missing column. Owned by res. */
const char *ob_row_str(const PGresult *res, int row, const char *name);

/** 1 if (row, name) is SQL NULL (or the column is missing), else 0. */
int ob_row_null(const PGresult *res, int row, const char *name);

/**
 * (row, name) as a 64-bit integer; 0 for SQL NULL. Columns read this way
 * are integer-typed in SQL, so the text always parses.
 */
int64_t ob_row_i64(const PGresult *res, int row, const char *name);

/** 1 if (row, name) is boolean true ("t"), else 0 (false or NULL). */
int ob_row_bool(const PGresult *res, int row, const char *name);

/** Report a missing column: log it, and abort under OB_STRICT_COLUMNS. */
void ob_row_missing(const PGresult *res, const char *name);

#endif
