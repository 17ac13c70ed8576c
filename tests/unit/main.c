/* The unit test runner (no database): see tests/runner.c. */
#define OB_SUITES_FILE "unit_suites.h"
#include "runner.c"
