/*
 * Memberships (org.h): who belongs to an org, in which role. Every change
 * of a role passes the rules of roles.h (the last owner can neither leave
 * nor stop being an owner; only owners grant or remove `owner`).
 */
#include "identity/org.h"

#include <stdio.h>
#include <string.h>

#include "base/db_json.h"
#include "base/row.h"
#include "base/num.h"
#include "identity/invite.h"
#include "identity/mutation.h"
#include "identity/roles.h"

/* The role and department of a new membership. 0, or -1 with f. */
static int
member_input_ok(const char *role, const char *department, struct ob_fail *f)
{
	if (ob_role_parse(role) == OB_ROLE_NONE)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_role", "role",
		    "The role must be owner, admin, billing or member.");
	if (!ob_mutation_text_ok(department, 0, 100))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_department", "department",
		    "The department must be at most 100 characters.");
	return 0;
}

/*
 * Inside the caller's transaction: upsert the membership, audit it and
 * commit. 0, or -1 with f (rolled back).
 */
static int
member_add_commit(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, const char *department, struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[5] = { org, user, role, department ? department : "", "active" };
	const char *p3[3] = { user, org, "false" };
	const char *state = NULL;
	PGresult *res;
	cJSON *after;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	if ((res = ob_db_exec(ax->db, OB_STMT_MEMBER_UPSERT, params, &state)) == NULL) {
		if (state != NULL && strcmp(state, "23503") == 0) {
			ob_db_rollback(ax->db);
			return ob_fail(f, OB_FAIL_NOT_FOUND, "not_found", NULL,
			    "No such organization or user.");
		}
		return ob_mutation_failed(ax, state, f, NULL, NULL, NULL);
	}
	PQclear(res);
	/* The first org a user joins becomes their default. */
	if (ob_db_run(ax->db, OB_STMT_USER_SET_DEFAULT_ORG, p3) != 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "role", role);
	cJSON_AddStringToObject(after, "department", department ? department : "");
	rc = ob_audit_commit(ax, org_id, "member.add", "user", user, NULL, after, f);
	cJSON_Delete(after);
	return rc;
}

/*
 * A signed-in actor's membership of org, locked, into c->actor: the role
 * the rules check is the one the actor holds now, not the one read when
 * the request began (another change may have committed since). Staff, the
 * system and keys keep what ob_role_actor gave. 0, or -1 with f (rolled back).
 */
static int
actor_now(const struct ob_actx *ax, const char *org, int64_t org_id, struct ob_role_change *c,
    struct ob_fail *f)
{
	const struct ob_principal *p = ax->who;
	char actor[24];
	const char *params[2] = { org, actor };
	PGresult *res;
	int rc;

	if (c->system || p == NULL || p->kind != OB_PRINCIPAL_USER || p->org_id != org_id)
		return 0;
	ob_num_str(actor, sizeof(actor), p->user_id);
	if ((rc = ob_db_one(ax->db, OB_STMT_MEMBER_LOCK, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	c->actor = OB_ROLE_NONE;
	if (rc == 0) {
		if (strcmp(ob_row_str(res, 0, "status"), "active") == 0)
			c->actor = ob_role_parse(ob_row_str(res, 0, "role"));
		PQclear(res);
	}
	return 0;
}

/*
 * Lock the org's owners (fixed order: by user id), then the acting user's
 * membership (actor_now), then user's, and fill c->actor, c->from
 * (OB_ROLE_NONE: not a member) and c->last_owner. Inside a transaction.
 * 0, or -1 with f set (rolled back).
 */
static int
role_from(const struct ob_actx *ax, const char *org, const char *user, int64_t user_id,
    struct ob_role_change *c, struct ob_fail *f)
{
	const char *params[2] = { org, user };
	PGresult *res;
	int i, n, is_owner = 0, rc;

	if ((res = ob_db_exec(ax->db, OB_STMT_MEMBER_OWNERS, params, NULL)) == NULL)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (ob_row_i64(res, i, "user_id") == user_id)
			is_owner = 1;
	PQclear(res);
	if (actor_now(ax, org, ob_num_id(org), c, f) != 0)
		return -1;
	if ((rc = ob_db_one(ax->db, OB_STMT_MEMBER_LOCK, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	c->from = OB_ROLE_NONE;
	if (rc == 0) {
		c->from = ob_role_parse(ob_row_str(res, 0, "role"));
		PQclear(res);
	}
	c->last_owner = is_owner && n == 1;
	return 0;
}

/* role_from for a change to an existing member: none is member_not_found. */
static int
role_standing(const struct ob_actx *ax, const char *org, const char *user, int64_t user_id,
    struct ob_role_change *c, struct ob_fail *f)
{
	if (role_from(ax, org, user, user_id, c, f) != 0)
		return -1;
	if (c->from != OB_ROLE_NONE)
		return 0;
	ob_db_rollback(ax->db);
	return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id", "No such member.");
}

int
ob_member_add(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, const char *department, struct ob_fail *f)
{
	char org[24], user[24];
	struct ob_role_change c;

	if (member_input_ok(role, department, f) != 0)
		return -1;
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_role_actor(ax, org_id, &c);
	c.self = ax->who != NULL && ax->who->kind == OB_PRINCIPAL_USER &&
	    ax->who->user_id == user_id;
	c.to = ob_role_parse(role);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (role_from(ax, org, user, user_id, &c, f) != 0)
		return -1;
	if (ob_role_change_check(&c, f) != 0) {
		ob_db_rollback(ax->db);
		return -1;
	}
	return member_add_commit(ax, org_id, user_id, role, department, f);
}

/*
 * Change user_id's membership of org_id in one transaction: check the role
 * rules (roles.h) for ax's actor, run s (org, user, role), which returns
 * the member's old role as old_role, and audit action with before {role:
 * old}, after {role} (role NULL: the member is removed, no after). 0, or
 * -1 with f (rolled back).
 */
static int
member_change(const struct ob_actx *ax, int64_t org_id, int64_t user_id, enum ob_stmt s,
    const char *role, const char *action, struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[3] = { org, user, role };
	struct ob_role_change c;
	PGresult *res;
	cJSON *before, *after = NULL;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_role_actor(ax, org_id, &c);
	c.self = ax->who != NULL && ax->who->kind == OB_PRINCIPAL_USER &&
	    ax->who->user_id == user_id;
	c.to = role != NULL ? ob_role_parse(role) : OB_ROLE_NONE;
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (role_standing(ax, org, user, user_id, &c, f) != 0)
		return -1;
	if (ob_role_change_check(&c, f) != 0) {
		ob_db_rollback(ax->db);
		return -1;
	}
	if ((rc = ob_db_one(ax->db, s, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (rc > 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No such member.");
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "role", ob_row_str(res, 0, "old_role"));
	PQclear(res);
	if (ob_invite_revoke_by_inviter_tx(ax, org_id, user_id, role, f) != 0) {
		cJSON_Delete(before);
		return -1;
	}
	if (role != NULL) {
		after = cJSON_CreateObject();
		cJSON_AddStringToObject(after, "role", role);
	}
	rc = ob_audit_commit(ax, org_id, action, "user", user, before, after, f);
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}

int
ob_member_join_tx(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_role_change *inviter, const char *role, const char *department,
    int *joined, struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[5] = { org, user, role, department ? department : "", "active" };
	const char *p3[3] = { user, org, "false" };
	struct ob_role_change c = *inviter;
	PGresult *res;
	cJSON *after;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	*joined = 0;
	if ((rc = ob_db_one(ax->db, OB_STMT_MEMBER_LOCK, params, &res)) < 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (rc == 0) {
		PQclear(res);	/* already a member: their role stays */
		return 0;
	}
	c.self = 0;
	c.from = OB_ROLE_NONE;
	c.to = ob_role_parse(role);
	c.last_owner = 0;
	if (ob_role_change_check(&c, f) != 0) {
		ob_db_rollback(ax->db);
		return -1;
	}
	if (ob_db_run(ax->db, OB_STMT_MEMBER_UPSERT, params) != 0 ||
	    ob_db_run(ax->db, OB_STMT_USER_SET_DEFAULT_ORG, p3) != 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "role", role);
	cJSON_AddStringToObject(after, "department", department ? department : "");
	rc = ob_audit_write(ax, org_id, "member.join", "user", user, NULL, after);
	cJSON_Delete(after);
	if (rc != 0)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	*joined = 1;
	return 0;
}

int
ob_member_set_role(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, struct ob_fail *f)
{
	if (ob_role_parse(role) == OB_ROLE_NONE)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_role", "role",
		    "The role must be owner, admin, billing or member.");
	return member_change(ax, org_id, user_id, OB_STMT_MEMBER_SET_ROLE, role, "member.role", f);
}

int
ob_member_remove(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    struct ob_fail *f)
{
	return member_change(ax, org_id, user_id, OB_STMT_MEMBER_REMOVE, NULL, "member.remove", f);
}

int
ob_member_standing(struct ob_db *db, int64_t org_id, struct ob_principal *p)
{
	char org[24], user[24];
	const char *params[2] = { org, user };
	PGresult *res;

	p->org_id = org_id;
	p->role = OB_ROLE_NONE;
	p->members_see_billing = 0;
	p->org_suspended = 0;
	p->billing_state[0] = '\0';
	if (org_id <= 0 || p->kind != OB_PRINCIPAL_USER)
		return 0;
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), p->user_id);
	if ((res = ob_db_exec(db, OB_STMT_MEMBER_GET, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && strcmp(ob_row_str(res, 0, "status"), "active") == 0) {
		p->role = ob_role_parse(ob_row_str(res, 0, "role"));
		p->members_see_billing = ob_row_bool(res, 0, "members_see_billing");
		p->org_suspended = strcmp(ob_row_str(res, 0, "org_status"), "suspended") == 0;
		snprintf(p->billing_state, sizeof(p->billing_state), "%s",
		    ob_row_str(res, 0, "billing_state"));
	}
	PQclear(res);
	return 0;
}

cJSON *
ob_member_list(struct ob_db *db, int64_t org_id)
{
	static const struct ob_col cols[] = {
		{ "user_id", OB_COL_STR }, { "email", OB_COL_STR }, { "name", OB_COL_STR },
		{ "role", OB_COL_STR }, { "department", OB_COL_STR }, { "status", OB_COL_STR },
		{ "last_active_at", OB_COL_STR }, { NULL, OB_COL_SKIP },
	};
	char org[24];
	const char *params[1] = { org };

	ob_num_str(org, sizeof(org), org_id);
	return ob_db_exec_list(db, OB_STMT_MEMBER_LIST, params, cols, -1, NULL);
}

int
ob_member_touch(struct ob_db *db, int64_t org_id, int64_t user_id)
{
	char org[24], user[24];
	const char *params[2] = { org, user };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	return ob_db_run(db, OB_STMT_MEMBER_TOUCH, params);
}
