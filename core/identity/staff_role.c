/*
 * A user's staff role (org.h, docs/ADMIN.md "Roles"): set or taken away
 * by an operator, audited. Sessions read the role on every request, so a
 * change takes effect at the user's next request.
 */
#include "identity/org.h"

#include <string.h>

#include "base/num.h"
#include "base/row.h"
#include "identity/policy.h"

int
ob_user_set_staff_role(const struct ob_actx *ax, int64_t user_id, const char *role,
    struct ob_fail *f)
{
	char id[24];
	const char *params[2] = { id, role };
	cJSON *before, *after;
	PGresult *res;
	int rc;

	if (strcmp(role, "none") == 0)
		params[1] = role = "";
	else if (ob_staff_role_parse(role) == OB_STAFF_NONE)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_staff_role", "role",
		    "The staff role is support, finance, admin or none.");
	ob_num_str(id, sizeof(id), user_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_USER_STAFF_ROLE_SET, params, NULL)) == NULL) {
		ob_db_rollback(ax->db);
		return ob_fail_db(f, ax->db->lasterr);
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "user_not_found", NULL, "No such user.");
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "staff_role", ob_row_str(res, 0, "before_role"));
	PQclear(res);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "staff_role", role);
	rc = ob_audit_commit(ax, 0, "user.staff_role", "user", id, before, after, f);
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}
