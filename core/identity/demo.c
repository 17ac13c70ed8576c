/*
 * Guards of the demo data set (demo.h).
 */
#include "identity/demo.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/num.h"
#include "base/row.h"
#include "identity/auth.h"

int
ob_demo_db_marked(struct ob_db *db)
{
	PGresult *res;
	int marked;

	if ((res = ob_db_exec(db, OB_STMT_DEMO_DB_MARK, NULL, NULL)) == NULL)
		return -1;
	marked = PQntuples(res) == 1 && strcmp(ob_row_str(res, 0, "db_comment"), OB_DEMO_DB_MARK) == 0;
	PQclear(res);
	return marked;
}

int
ob_demo_set_password(struct ob_db *db, int64_t user_id, const char *password)
{
	char hash[crypto_pwhash_STRBYTES], id[24];
	const char *params[2] = { id, hash };
	PGresult *res;
	int rc = -1;

	if (strlen(password) < 10 || ob_auth_password_hash(password, hash, sizeof(hash)) != 0) {
		snprintf(db->lasterr, sizeof(db->lasterr), "the demo password could not be set");
		return -1;
	}
	ob_num_str(id, sizeof(id), user_id);
	if ((res = ob_db_exec(db, OB_STMT_DEMO_SET_PASSWORD, params, NULL)) != NULL) {
		rc = PQntuples(res) == 1 ? 0 : -1;
		PQclear(res);
	}
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

int
ob_demo_set_staff_role(struct ob_db *db, int64_t user_id, const char *role)
{
	char id[24];
	const char *params[2] = { id, role };
	PGresult *res;
	int rc = -1;

	ob_num_str(id, sizeof(id), user_id);
	if ((res = ob_db_exec(db, OB_STMT_DEMO_SET_STAFF_ROLE, params, NULL)) != NULL) {
		rc = PQntuples(res) == 1 ? 0 : -1;
		PQclear(res);
	}
	return rc;
}
