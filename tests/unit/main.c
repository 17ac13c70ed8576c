/*
 * The unit test runner: every suite registered in the generated
 * unit_suites.h (one per tests/unit/test_*.c). `test-unit NAME…` runs only
 * the named suites.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OB_SUITE(n) Suite *n##_suite(void);
#include "unit_suites.h"
#undef OB_SUITE

struct suite_entry {
	const char *name;
	Suite *(*make)(void);
};

static const struct suite_entry suites[] = {
#define OB_SUITE(n) { #n, n##_suite },
#include "unit_suites.h"
#undef OB_SUITE
};

int
main(int argc, char **argv)
{
	SRunner *sr = NULL;
	size_t i;
	int j, failed, picked = 0;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		int want = argc < 2;

		for (j = 1; j < argc; j++)
			if (strcmp(argv[j], suites[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		picked++;
		if (sr == NULL)
			sr = srunner_create(suites[i].make());
		else
			srunner_add_suite(sr, suites[i].make());
	}
	if (sr == NULL) {
		fprintf(stderr, "test-unit: no such suite\n");
		return 2;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
