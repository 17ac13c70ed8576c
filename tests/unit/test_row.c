/*
 * Rows by column name (base/row.h), on results built in memory: values,
 * SQL NULL, 64-bit integers, booleans, and a name the result lacks (NULL
 * in a plain build, an abort in the strict one the test stack runs).
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "base/row.h"

static PGresult *
make_result(void)
{
	static const char *names[] = { "id", "amount", "paid", "note" };
	PGresAttDesc att[4];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	int i;

	ck_assert_ptr_nonnull(res);
	memset(att, 0, sizeof(att));
	for (i = 0; i < 4; i++) {
		att[i].name = (char *)names[i];
		att[i].typid = 25;
		att[i].typlen = -1;
		att[i].atttypmod = -1;
	}
	ck_assert_int_eq(PQsetResultAttrs(res, 4, att), 1);
	/* row 0: 7, 2^62 + 1, true, 'x'; row 1: 8, -5, false, NULL */
	ck_assert_int_eq(PQsetvalue(res, 0, 0, "7", 1), 1);
	ck_assert_int_eq(PQsetvalue(res, 0, 1, "4611686018427387905", 19), 1);
	ck_assert_int_eq(PQsetvalue(res, 0, 2, "t", 1), 1);
	ck_assert_int_eq(PQsetvalue(res, 0, 3, "x", 1), 1);
	ck_assert_int_eq(PQsetvalue(res, 1, 0, "8", 1), 1);
	ck_assert_int_eq(PQsetvalue(res, 1, 1, "-5", 2), 1);
	ck_assert_int_eq(PQsetvalue(res, 1, 2, "f", 1), 1);
	ck_assert_int_eq(PQsetvalue(res, 1, 3, NULL, -1), 1);
	return res;
}

START_TEST(row_reads_by_name)
{
	PGresult *res = make_result();

	ck_assert_int_eq(ob_row_col(res, "paid"), 2);
	ck_assert_str_eq(ob_row_str(res, 0, "note"), "x");
	ck_assert_str_eq(ob_row_str(res, 1, "id"), "8");
	ck_assert_int_eq(ob_row_i64(res, 0, "amount"), (int64_t)4611686018427387905LL);
	ck_assert_int_eq(ob_row_i64(res, 1, "amount"), -5);
	ck_assert_int_eq(ob_row_bool(res, 0, "paid"), 1);
	ck_assert_int_eq(ob_row_bool(res, 1, "paid"), 0);
	ck_assert_int_eq(ob_row_null(res, 0, "note"), 0);
	ck_assert_int_eq(ob_row_null(res, 1, "note"), 1);
	ck_assert_str_eq(ob_row_str(res, 1, "note"), "");
	ck_assert_int_eq(ob_row_i64(res, 1, "note"), 0);
	PQclear(res);
}
END_TEST

/* Plain build: logged and read as NULL. Strict build: SIGABRT (see below). */
START_TEST(row_missing_column)
{
	PGresult *res = make_result();

	ck_assert_int_eq(ob_row_col(res, "amout"), -1);
	ck_assert_str_eq(ob_row_str(res, 0, "amout"), "");
	ck_assert_int_eq(ob_row_null(res, 0, "amout"), 1);
	PQclear(res);
}
END_TEST

Suite *row_suite(void)
{
	Suite *s = suite_create("row");
	TCase *tc = tcase_create("row");

	tcase_add_test(tc, row_reads_by_name);
#ifdef OB_STRICT_COLUMNS
	tcase_add_test_raise_signal(tc, row_missing_column, SIGABRT);
#else
	tcase_add_test(tc, row_missing_column);
#endif
	suite_add_tcase(s, tc);
	return s;
}
