/*
 * ob_migrate: schema migrations, sql/migrations/NNN_name.sql applied in
 * order, each in its own transaction, recorded in schema_migrations.
 * A session advisory lock makes concurrent runs wait for each other, so
 * running it twice or at once from two hosts is safe.
 */
#ifndef OB_MIGRATE_H
#define OB_MIGRATE_H

#include <stddef.h>

#include "base/db.h"

/**
 * Apply every migration under sql_dir/migrations that the database has not
 * recorded. Sets *applied to how many ran. Returns 0, or -1 with a one-line
 * reason in err (the failed migration's transaction is rolled back; those
 * before it stay applied).
 */
int ob_migrate_run(struct ob_db *db, const char *sql_dir, int *applied,
    char *err, size_t errlen);

/**
 * The highest applied version into *version and, if count is not NULL, how
 * many are applied into *count. Returns 0, or -1 with err set (no
 * schema_migrations table counts as an error: never migrated).
 */
int ob_migrate_current(struct ob_db *db, long *version, long *count, char *err,
    size_t errlen);

#endif
