/* The helpers every suite may use (tests/unit/unit.c), built into this runner too. */
#include "unit/unit.c"
