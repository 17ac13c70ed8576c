/*
 * Budgets: teams inside departments, and members' teams (budgets.h).
 */
#include "credits/budgets.h"
#include "identity/mutation.h"
#include "base/json.h"
#include "base/num.h"
#include "base/row.h"

#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

/*
 * A required field was absent: 404 when user_id is not an active member of
 * org (another tenant's ids learn nothing), else 400 naming param.
 */
static cJSON *
absent_field(struct ob_db *db, int64_t org_id, int64_t user_id, const char *param,
    struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[2] = { org, user };
	int64_t n = 0;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	if (ob_db_one_i64(db, OB_STMT_BUDGET_MEMBER, params, "n", &n) != 0)
		ob_fail_db(f, db->lasterr);
	else if (n == 0)
		ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
	else
		ob_fail(f, OB_FAIL_INVALID, "parameter_missing", param, "%s is required.", param);
	return NULL;
}

cJSON *
ob_budget_teams(struct ob_db *db, int64_t org_id, struct ob_fail *f)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	cJSON *o, *a, *t;
	int i;

	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_BUDGET_TEAM_LIST, params, NULL)) == NULL) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "list");
	a = cJSON_AddArrayToObject(o, "data");
	for (i = 0; i < PQntuples(res); i++) {
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "object", "team");
		cJSON_AddStringToObject(t, "id", ob_row_str(res, i, "id"));
		cJSON_AddStringToObject(t, "department", ob_row_str(res, i, "department"));
		cJSON_AddStringToObject(t, "name", ob_row_str(res, i, "name"));
		ob_json_add_i64(t, "members", ob_row_i64(res, i, "members"));
		cJSON_AddItemToArray(a, t);
	}
	cJSON_AddBoolToObject(o, "has_more", 0);
	PQclear(res);
	return o;
}

cJSON *
ob_budget_team_create(const struct ob_actx *ax, int64_t org_id, const char *department,
    const char *name, struct ob_fail *f)
{
	char org[24];
	const char *params[3] = { org, department != NULL ? department : "", name };
	const char *state = NULL;
	PGresult *res;
	cJSON *o;

	if (!ob_mutation_text_ok(params[1], 0, OB_BUDGET_NAME_MAX) ||
	    !ob_mutation_text_ok(name, 1, OB_BUDGET_NAME_MAX)) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "name",
		    "name (1 to 100) and department (up to 100) must be printable text.");
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_BUDGET_TEAM_INSERT, params, &state)) == NULL) {
		ob_mutation_failed(ax, state, f, "team_exists", "name",
		    "The organization has a team of this name.");
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "team");
	cJSON_AddStringToObject(o, "id", ob_row_str(res, 0, "id"));
	cJSON_AddStringToObject(o, "department", params[1]);
	cJSON_AddStringToObject(o, "name", name);
	ob_json_add_i64(o, "members", 0);
	if (ob_audit_commit(ax, org_id, "team.create", "team", ob_row_str(res, 0, "id"), NULL, o,
	    f) != 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	PQclear(res);
	return o;
}

cJSON *
ob_budget_team_assign(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    int64_t team_id, struct ob_fail *f)
{
	char org[24], user[24], team[24];
	const char *params[3] = { org, user, team_id > 0 ? team : NULL };
	const char *state = NULL;
	PGresult *res;
	cJSON *o = NULL, *before;

	if (team_id < 0)
		return absent_field(ax->db, org_id, user_id, "team_id", f);
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_num_str(team, sizeof(team), team_id);
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_BUDGET_TEAM_ASSIGN, params, &state)) == NULL) {
		if (state != NULL && (strcmp(state, "23503") == 0 || strcmp(state, "22023") == 0)) {
			ob_db_rollback(ax->db);
			ob_fail(f, OB_FAIL_NOT_FOUND, "team_not_found", "team_id",
			    "No team with this team_id in the member's department.");
			return NULL;
		}
		ob_mutation_failed(ax, state, f, NULL, NULL, NULL);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		ob_db_rollback(ax->db);
		ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
		goto out;
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "team_id", ob_row_str(res, 0, "old_team"));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "team_membership");
	cJSON_AddStringToObject(o, "user_id", user);
	cJSON_AddStringToObject(o, "department", ob_row_str(res, 0, "department"));
	cJSON_AddStringToObject(o, "team_id", team_id > 0 ? team : "");
	if (ob_audit_commit(ax, org_id, "team.assign", "membership", user, before, o, f) != 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	cJSON_Delete(before);
out:
	PQclear(res);
	return o;
}

cJSON *
ob_budget_manager_set(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *department, struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[3] = { org, user, department != NULL ? department : "" };
	PGresult *res;
	cJSON *o = NULL, *before;

	if (department == NULL)
		return absent_field(ax->db, org_id, user_id, "department", f);
	if (!ob_mutation_text_ok(params[2], 0, OB_BUDGET_NAME_MAX)) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "department",
		    "department must be at most 100 printable characters.");
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_BUDGET_MANAGER_SET, params, NULL)) == NULL) {
		ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		ob_db_rollback(ax->db);
		ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
		goto out;
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "manages", ob_row_str(res, 0, "old_manages"));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "department_manager");
	cJSON_AddStringToObject(o, "user_id", user);
	cJSON_AddStringToObject(o, "manages", params[2]);
	if (ob_audit_commit(ax, org_id, "member.manages", "membership", user, before, o, f) != 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	cJSON_Delete(before);
out:
	PQclear(res);
	return o;
}
