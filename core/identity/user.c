/*
 * Users (org.h).
 */
#include "identity/org.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/row.h"
#include "base/num.h"
#include "identity/auth.h"
#include "identity/mutation.h"

#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024

int
ob_user_create(const struct ob_actx *ax, const char *email, const char *name,
    const char *password, int is_staff, int64_t *id, struct ob_fail *f)
{
	char hash[crypto_pwhash_STRBYTES], idbuf[24];
	const char *params[4], *state = NULL;
	PGresult *res;
	cJSON *after;
	int rc;

	if (!ob_mutation_email_ok(email))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "email",
		    "The e-mail address is not valid.");
	if (!ob_mutation_text_ok(name, 0, 200))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_name", "name",
		    "The name must be at most 200 characters.");
	if (password != NULL) {
		size_t n = strlen(password);

		if (n < PASSWORD_MIN || n > PASSWORD_MAX)
			return ob_fail(f, OB_FAIL_INVALID, "invalid_password", "password",
			    "The password must be %d to %d characters.", PASSWORD_MIN, PASSWORD_MAX);
		if (ob_auth_password_hash(password, hash, sizeof(hash)) != 0)
			return ob_fail(f, OB_FAIL_INVALID, "invalid_password", "password",
			    "The password could not be hashed.");
	}
	params[0] = email;
	params[1] = name ? name : "";
	params[2] = password ? hash : NULL;
	params[3] = is_staff ? "true" : "false";
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	res = ob_db_exec(ax->db, OB_STMT_USER_CREATE, params, &state);
	sodium_memzero(hash, sizeof(hash));
	if (res == NULL)
		return ob_mutation_failed(ax, state, f, "email_taken", "email",
		    "A user with this e-mail address exists.");
	*id = ob_row_i64(res, 0, "id");
	PQclear(res);
	ob_num_str(idbuf, sizeof(idbuf), *id);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "email", email);
	cJSON_AddBoolToObject(after, "is_staff", is_staff);
	rc = ob_audit_commit(ax, 0, "user.create", "user", idbuf, NULL, after, f);
	cJSON_Delete(after);
	return rc;
}

cJSON *
ob_user_orgs(struct ob_db *db, int64_t user_id, int64_t current_org)
{
	char user[24];
	const char *params[1] = { user };
	PGresult *res;
	cJSON *arr, *row;
	int i, n;

	ob_num_str(user, sizeof(user), user_id);
	if ((res = ob_db_exec(db, OB_STMT_USER_ORGS, params, NULL)) == NULL)
		return NULL;
	arr = cJSON_CreateArray();
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "id", ob_row_str(res, i, "id"));
		cJSON_AddStringToObject(row, "name", ob_row_str(res, i, "name"));
		cJSON_AddStringToObject(row, "role", ob_row_str(res, i, "role"));
		cJSON_AddBoolToObject(row, "current", ob_row_i64(res, i, "id") == current_org);
		cJSON_AddItemToArray(arr, row);
	}
	PQclear(res);
	return arr;
}

int64_t
ob_user_id_by_email(struct ob_db *db, const char *email)
{
	int64_t id;

	return ob_user_credentials(db, email, &id, NULL, 0) < 0 ? -1 : id;
}

int
ob_user_credentials(struct ob_db *db, const char *email, int64_t *user_id, char *hash,
    size_t hashlen)
{
	const char *params[1] = { email };
	PGresult *res;
	int found;

	*user_id = 0;
	if (hashlen > 0)
		hash[0] = '\0';
	if ((res = ob_db_exec(db, OB_STMT_USER_BY_EMAIL, params, NULL)) == NULL)
		return -1;
	found = PQntuples(res) == 1;
	if (found) {
		*user_id = ob_row_i64(res, 0, "id");
		if (hashlen > 0)
			snprintf(hash, hashlen, "%s", ob_row_str(res, 0, "password_hash"));
	}
	PQclear(res);
	return found;
}

int
ob_user_login(const struct ob_actx *ax, int64_t user_id, long max_age_s,
    const char *user_agent, char token_text[OB_TOKEN_TEXT])
{
	char uid[24];
	const char *params[1] = { uid };

	ob_num_str(uid, sizeof(uid), user_id);
	if (ob_db_begin(ax->db) != 0)
		return -1;
	if (ob_auth_session_create(ax->db, user_id, max_age_s, ax->ip, user_agent, token_text) < 0 ||
	    ob_db_run(ax->db, OB_STMT_USER_LOGIN_DONE, params) != 0 ||
	    ob_audit_write(ax, 0, "user.login", "user", uid, NULL, NULL) != 0 ||
	    ob_db_commit(ax->db) != 0) {
		ob_db_rollback(ax->db);
		return -1;
	}
	return 0;
}

int
ob_user_switch_org(const struct ob_actx *ax, int64_t org_id)
{
	char sid[24], uid[24], oid[24];
	const char *p2[2] = { sid, oid }, *p3[3] = { uid, oid, "true" };

	ob_num_str(sid, sizeof(sid), ax->who->session_id);
	ob_num_str(uid, sizeof(uid), ax->who->user_id);
	ob_num_str(oid, sizeof(oid), org_id);
	if (ob_db_begin(ax->db) != 0)
		return -1;
	if (ob_db_run(ax->db, OB_STMT_SESSION_SET_ORG, p2) != 0 ||
	    ob_db_run(ax->db, OB_STMT_USER_SET_DEFAULT_ORG, p3) != 0 ||
	    ob_audit_write(ax, org_id, "user.switch_org", "organization", oid, NULL, NULL) != 0 ||
	    ob_db_commit(ax->db) != 0) {
		ob_db_rollback(ax->db);
		return -1;
	}
	return 0;
}
