/* The integration test runner (against the running stack, see
 * tests/run-all.sh): see tests/runner.c. */
#define OB_SUITES_FILE "integ_suites.h"
#include "runner.c"
