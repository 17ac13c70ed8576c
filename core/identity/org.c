#include "identity/org.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "identity/auth.h"
#include "base/db_json.h"
#include "base/row.h"

#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024

int64_t
ob_parse_id(const char *s)
{
	char *end;
	long long v;

	if (s == NULL || *s < '1' || *s > '9' || strlen(s) > 18)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return 0;
	return (int64_t)v;
}

static void
fmt_id(char *buf, size_t len, int64_t id)
{
	snprintf(buf, len, "%lld", (long long)id);
}

static int
slug_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 63 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

static int
email_ok(const char *s)
{
	const char *at;
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n < 3 || n > 320)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return 0;
	at = strchr(s, '@');
	return at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

static int
text_ok(const char *s, size_t min, size_t max)
{
	size_t i, n;

	if (s == NULL)
		return min == 0;
	n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* Map a failed statement inside a mutation; rolls back. Returns -1. */
static int
mutation_failed(const struct ob_actx *ax, const char *state, struct ob_fail *f,
    const char *conflict_code, const char *conflict_param, const char *conflict_msg)
{
	ob_db_rollback(ax->db);
	if (state != NULL && strcmp(state, "23505") == 0 && conflict_code != NULL)
		return ob_fail(f, OB_FAIL_CONFLICT, conflict_code, conflict_param, "%s", conflict_msg);
	if (state != NULL && strcmp(state, "23514") == 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_value", NULL,
		    "A value is out of range.");
	return ob_fail_db(f, ax->db->lasterr);
}

int
ob_org_create(const struct ob_actx *ax, const char *name, const char *slug,
    const char *billing_email, int64_t *id, struct ob_fail *f)
{
	const char *params[3] = { name, slug, billing_email }, *state = NULL;
	char idbuf[24];
	PGresult *res;
	cJSON *after;
	int rc;

	if (!text_ok(name, 1, 200))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_name", "name",
		    "The name must be 1 to 200 characters.");
	if (slug == NULL || !slug_ok(slug))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_slug", "slug",
		    "The slug must be 2 to 63 lowercase letters, digits or dashes.");
	if (billing_email != NULL && *billing_email != '\0' && !email_ok(billing_email))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "billing_email",
		    "The billing e-mail address is not valid.");
	if (billing_email != NULL && *billing_email == '\0')
		params[2] = NULL;
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_ORG_CREATE, params, &state)) == NULL)
		return mutation_failed(ax, state, f, "slug_taken", "slug",
		    "An organization with this slug exists.");
	*id = ob_row_i64(res, 0, "id");
	PQclear(res);
	fmt_id(idbuf, sizeof(idbuf), *id);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "name", name);
	cJSON_AddStringToObject(after, "slug", slug);
	rc = ob_audit_write(ax, *id, "org.create", "organization", idbuf, NULL, after);
	cJSON_Delete(after);
	if (rc != 0 || ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}

int
ob_user_create(const struct ob_actx *ax, const char *email, const char *name,
    const char *password, int is_staff, int64_t *id, struct ob_fail *f)
{
	char hash[crypto_pwhash_STRBYTES], idbuf[24];
	const char *params[4], *state = NULL;
	PGresult *res;
	cJSON *after;
	int rc;

	if (!email_ok(email))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "email",
		    "The e-mail address is not valid.");
	if (!text_ok(name, 0, 200))
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
		return mutation_failed(ax, state, f, "email_taken", "email",
		    "A user with this e-mail address exists.");
	*id = ob_row_i64(res, 0, "id");
	PQclear(res);
	fmt_id(idbuf, sizeof(idbuf), *id);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "email", email);
	cJSON_AddBoolToObject(after, "is_staff", is_staff);
	rc = ob_audit_write(ax, 0, "user.create", "user", idbuf, NULL, after);
	cJSON_Delete(after);
	if (rc != 0 || ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}

/* Inside a transaction: upsert the membership and audit it. */
static int
member_add_tx(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, const char *department, struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[5] = { org, user, role, department ? department : "", "active" };
	const char *state = NULL;
	PGresult *res;
	cJSON *after;
	int rc;

	fmt_id(org, sizeof(org), org_id);
	fmt_id(user, sizeof(user), user_id);
	if ((res = ob_db_exec(ax->db, OB_STMT_MEMBER_UPSERT, params, &state)) == NULL) {
		if (state != NULL && strcmp(state, "23503") == 0) {
			ob_db_rollback(ax->db);
			return ob_fail(f, OB_FAIL_NOT_FOUND, "not_found", NULL,
			    "No such organization or user.");
		}
		return mutation_failed(ax, state, f, NULL, NULL, NULL);
	}
	PQclear(res);
	/* The first org a user joins becomes their default. */
	{
		const char *p3[3] = { user, org, "false" };

		if (ob_db_run(ax->db, OB_STMT_USER_SET_DEFAULT_ORG, p3) != 0)
			return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	}
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "role", role);
	cJSON_AddStringToObject(after, "department", department ? department : "");
	rc = ob_audit_write(ax, org_id, "member.add", "user", user, NULL, after);
	cJSON_Delete(after);
	if (rc != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}

int
ob_member_add(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, const char *department, struct ob_fail *f)
{
	if (ob_role_parse(role) == OB_ROLE_NONE)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_role", "role",
		    "The role must be owner, admin, billing or member.");
	if (!text_ok(department, 0, 100))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_department", "department",
		    "The department must be at most 100 characters.");
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (member_add_tx(ax, org_id, user_id, role, department, f) != 0)
		return -1;
	if (ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}

int
ob_member_invite(const struct ob_actx *ax, int64_t org_id, const char *email,
    const char *role, const char *department, int64_t *user_id, struct ob_fail *f)
{
	const char *params[4], *state = NULL;
	PGresult *res;

	if (!email_ok(email))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "email",
		    "The e-mail address is not valid.");
	if (ob_role_parse(role) == OB_ROLE_NONE)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_role", "role",
		    "The role must be owner, admin, billing or member.");
	if (!text_ok(department, 0, 100))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_department", "department",
		    "The department must be at most 100 characters.");
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	params[0] = email;
	if ((res = ob_db_exec(ax->db, OB_STMT_USER_BY_EMAIL, params, &state)) == NULL)
		return mutation_failed(ax, state, f, NULL, NULL, NULL);
	if (PQntuples(res) == 1) {
		*user_id = ob_row_i64(res, 0, "id");
		PQclear(res);
	} else {
		PQclear(res);
		params[0] = email;
		params[1] = "";
		params[2] = NULL;
		params[3] = "false";
		if ((res = ob_db_exec(ax->db, OB_STMT_USER_CREATE, params, &state)) == NULL)
			return mutation_failed(ax, state, f, "email_taken", "email",
			    "A user with this e-mail address exists.");
		*user_id = ob_row_i64(res, 0, "id");
		PQclear(res);
	}
	if (member_add_tx(ax, org_id, *user_id, role, department, f) != 0)
		return -1;
	if (ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}

/*
 * Lock the org's owners (fixed order: by user id) and refuse a change that
 * would leave none. Inside a transaction. 0, or -1 with f set.
 */
static int
keep_an_owner(const struct ob_actx *ax, const char *org, int64_t user_id, struct ob_fail *f)
{
	const char *params[1] = { org };
	PGresult *res;
	int i, n, is_owner = 0;

	if ((res = ob_db_exec(ax->db, OB_STMT_MEMBER_OWNERS, params, NULL)) == NULL)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		if (ob_row_i64(res, i, "user_id") == user_id)
			is_owner = 1;
	PQclear(res);
	if (is_owner && n == 1) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_CONFLICT, "last_owner", "user_id",
		    "An organization must keep at least one owner.");
	}
	return 0;
}

int
ob_member_set_role(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const char *role, struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[3] = { org, user, role };
	PGresult *res;
	cJSON *before, *after;
	int rc;

	if (ob_role_parse(role) == OB_ROLE_NONE)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_role", "role",
		    "The role must be owner, admin, billing or member.");
	fmt_id(org, sizeof(org), org_id);
	fmt_id(user, sizeof(user), user_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (strcmp(role, "owner") != 0 && keep_an_owner(ax, org, user_id, f) != 0)
		return -1;
	if ((res = ob_db_exec(ax->db, OB_STMT_MEMBER_SET_ROLE, params, NULL)) == NULL)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (PQntuples(res) != 1) {
		PQclear(res);
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No such member.");
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "role", ob_row_str(res, 0, "old_role"));
	PQclear(res);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "role", role);
	rc = ob_audit_write(ax, org_id, "member.role", "user", user, before, after);
	cJSON_Delete(before);
	cJSON_Delete(after);
	if (rc != 0 || ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}

int
ob_member_remove(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[2] = { org, user };
	PGresult *res;
	cJSON *before;
	int rc;

	fmt_id(org, sizeof(org), org_id);
	fmt_id(user, sizeof(user), user_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (keep_an_owner(ax, org, user_id, f) != 0)
		return -1;
	if ((res = ob_db_exec(ax->db, OB_STMT_MEMBER_REMOVE, params, NULL)) == NULL)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (PQntuples(res) != 1) {
		PQclear(res);
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No such member.");
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "role", ob_row_str(res, 0, "role"));
	PQclear(res);
	rc = ob_audit_write(ax, org_id, "member.remove", "user", user, before, NULL);
	cJSON_Delete(before);
	if (rc != 0 || ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
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
	fmt_id(org, sizeof(org), org_id);
	fmt_id(user, sizeof(user), p->user_id);
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

	fmt_id(org, sizeof(org), org_id);
	return ob_db_exec_list(db, OB_STMT_MEMBER_LIST, params, cols, -1, NULL);
}

cJSON *
ob_user_orgs(struct ob_db *db, int64_t user_id, int64_t current_org)
{
	char user[24];
	const char *params[1] = { user };
	PGresult *res;
	cJSON *arr, *row;
	int i, n;

	fmt_id(user, sizeof(user), user_id);
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

cJSON *
ob_org_get(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	cJSON *o = NULL;

	fmt_id(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_ORG_GET, params, NULL)) == NULL)
		return NULL;
	if (PQntuples(res) == 1) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", ob_row_str(res, 0, "id"));
		cJSON_AddStringToObject(o, "object", "organization");
		cJSON_AddStringToObject(o, "name", ob_row_str(res, 0, "name"));
		cJSON_AddStringToObject(o, "slug", ob_row_str(res, 0, "slug"));
		cJSON_AddStringToObject(o, "status", ob_row_str(res, 0, "status"));
		cJSON_AddStringToObject(o, "suspended_reason", ob_row_str(res, 0, "suspended_reason"));
		cJSON_AddStringToObject(o, "billing_email", ob_row_str(res, 0, "billing_email"));
		cJSON_AddBoolToObject(o, "members_see_billing",
		    ob_row_bool(res, 0, "members_see_billing"));
	}
	PQclear(res);
	return o;
}

cJSON *
ob_apikey_list(struct ob_db *db, int64_t org_id)
{
	static const struct ob_col cols[] = {
		{ "prefix", OB_COL_STR }, { "name", OB_COL_STR }, { "scopes", OB_COL_STR },
		{ "created_at", OB_COL_STR }, { "last_used_at", OB_COL_STR },
		{ "revoked", OB_COL_BOOL }, { NULL, OB_COL_SKIP },
	};
	char org[24];
	const char *params[1] = { org };

	fmt_id(org, sizeof(org), org_id);
	return ob_db_exec_list(db, OB_STMT_APIKEY_LIST, params, cols, -1, NULL);
}

int
ob_apikey_create_audited(const struct ob_actx *ax, int64_t org_id, const char *name,
    const char *scopes, char *key_text, char *prefix, struct ob_fail *f)
{
	unsigned bits;
	int64_t by = 0;
	cJSON *after;
	int rc;

	if (ob_scopes_parse(scopes, &bits) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_scopes", "scopes",
		    "Scopes are a comma-separated list of read, write, meter, admin.");
	if (!text_ok(name, 0, 100))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_name", "name",
		    "The name must be at most 100 characters.");
	if (ax->who != NULL && ax->who->kind == OB_PRINCIPAL_USER)
		by = ax->who->user_id;
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_auth_apikey_create(ax->db, org_id, name, scopes, by, key_text, prefix) < 0) {
		if (strstr(ax->db->lasterr, "foreign key") != NULL) {
			ob_db_rollback(ax->db);
			return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", "org",
			    "No such organization.");
		}
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	}
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "name", name ? name : "");
	cJSON_AddStringToObject(after, "scopes", scopes);
	rc = ob_audit_write(ax, org_id, "apikey.create", "api_key", prefix, NULL, after);
	cJSON_Delete(after);
	if (rc != 0 || ob_db_commit(ax->db) != 0) {
		sodium_memzero(key_text, OB_APIKEY_TEXT);
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	}
	return 0;
}

int
ob_apikey_revoke(const struct ob_actx *ax, int64_t org_id, const char *prefix,
    struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { prefix, org };
	PGresult *res;
	int64_t key_org;
	int rc;

	fmt_id(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_APIKEY_REVOKE, params, NULL)) == NULL)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (PQntuples(res) != 1) {
		PQclear(res);
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "apikey_not_found", "prefix",
		    "No such active API key.");
	}
	key_org = ob_row_i64(res, 0, "org_id");
	PQclear(res);
	rc = ob_audit_write(ax, key_org, "apikey.revoke", "api_key", prefix, NULL, NULL);
	if (rc != 0 || ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	ob_auth_apikey_cache_clear();
	return 0;
}

int
ob_org_set_members_see_billing(const struct ob_actx *ax, int64_t org_id, int on,
    struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, on ? "true" : "false" };
	PGresult *res;
	cJSON *before, *after;
	int rc;

	fmt_id(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_ORG_SET_MEMBERS_SEE_BILLING, params, NULL)) == NULL)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (PQntuples(res) != 1) {
		PQclear(res);
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
	}
	before = cJSON_CreateObject();
	cJSON_AddBoolToObject(before, "members_see_billing",
	    ob_row_bool(res, 0, "members_see_billing"));
	PQclear(res);
	after = cJSON_CreateObject();
	cJSON_AddBoolToObject(after, "members_see_billing", on);
	rc = ob_audit_write(ax, org_id, "org.settings", "organization", org, before, after);
	cJSON_Delete(before);
	cJSON_Delete(after);
	if (rc != 0 || ob_db_commit(ax->db) != 0)
		return mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	return 0;
}
