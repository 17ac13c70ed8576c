#include "base/stmt.h"

const struct ob_stmt_def ob_stmts[OB_STMT__MAX] = {
#define OB_STMT_DEF(id, name, sql, nparams) [id] = { name, sql, nparams },
#include "ob_stmt_modules.def"
#undef OB_STMT_DEF
};
