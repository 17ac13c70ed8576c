/*
 * Helpers every test suite may use, unit and integration alike (the
 * integration runner compiles unit.c too: tests/integration/shared.c).
 */
#ifndef OB_TEST_UNIT_H
#define OB_TEST_UNIT_H

#include <check.h>

/** The tests of a test case, as t_tcase and t_suite take them. */
#define T_TESTS(...) ((const TTest *const[]){ __VA_ARGS__, NULL })

/**
 * A test case called name holding tests (a T_TESTS list), each given
 * timeout seconds (0: Check's default).
 */
TCase *t_tcase(const char *name, int timeout, const TTest *const *tests);

/** A suite called name of one test case of the same name (t_tcase). */
Suite *t_suite(const char *name, int timeout, const TTest *const *tests);

/**
 * Run child(arg) in n processes at once (n at most 16), each forked from
 * this one; a child returns a count, or a negative number to exit with
 * that status negated. The sum of the children's counts; the test fails
 * unless every child exits 0 after handing its count back.
 */
long t_fork_sum(int n, long (*child)(void *arg), void *arg);

#endif
