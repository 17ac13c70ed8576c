/*
 * Guards of the demo data set (orgbill seed-demo): it runs only against a
 * database made for the demo, and the demo staff password is set by whoever
 * made that database, never a constant.
 */
#ifndef OB_DEMO_H
#define OB_DEMO_H

#include <stdint.h>

#include "base/db.h"

/* The comment deploy/stack.sh gives the demo's database (COMMENT ON DATABASE). */
#define OB_DEMO_DB_MARK "orgbill demo database (deploy/stack.sh)"

/** 1 if the connected database carries OB_DEMO_DB_MARK, 0 if not, -1 on error (db->lasterr). */
int ob_demo_db_marked(struct ob_db *db);

/** Set user_id's password (Argon2id hash); 0, or -1 (db->lasterr, or a short password). */
int ob_demo_set_password(struct ob_db *db, int64_t user_id, const char *password);

/** Make user_id staff with role ("support", "finance", "admin"); 0, or -1 (db->lasterr). */
int ob_demo_set_staff_role(struct ob_db *db, int64_t user_id, const char *role);

#endif
