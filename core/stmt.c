#include "stmt.h"

/*
 * Transaction control is prepared like everything else: the extended query
 * protocol runs BEGIN/COMMIT/ROLLBACK as any other statement.
 */
const struct ob_stmt_def ob_stmts[OB_STMT__MAX] = {
	[OB_STMT_BEGIN] = { "begin", "BEGIN", 0 },
	[OB_STMT_COMMIT] = { "commit", "COMMIT", 0 },
	[OB_STMT_ROLLBACK] = { "rollback", "ROLLBACK", 0 },
	[OB_STMT_PING] = { "ping", "SELECT 1", 0 },

	/* Migrations (core/migrate.c). The lock key is "orgbill" in ASCII. */
	[OB_STMT_MIGRATE_LOCK] = { "migrate_lock",
	    "SELECT pg_advisory_lock(111600614811500)", 0 },
	[OB_STMT_MIGRATE_UNLOCK] = { "migrate_unlock",
	    "SELECT pg_advisory_unlock(111600614811500)", 0 },
	[OB_STMT_MIGRATE_TABLE] = { "migrate_table",
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now())", 0 },
	[OB_STMT_SCHEMA_VERSION] = { "schema_version",
	    "SELECT COALESCE(max(version), 0) FROM schema_migrations", 0 },
	[OB_STMT_MIGRATION_APPLIED] = { "migration_applied",
	    "SELECT 1 FROM schema_migrations WHERE version = $1::integer", 1 },
	[OB_STMT_MIGRATION_RECORD] = { "migration_record",
	    "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)", 2 },
};
