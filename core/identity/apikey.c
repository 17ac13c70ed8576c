/*
 * API keys as an org manages them (org.h): listed, created and revoked
 * with an audit row. Making and verifying the key itself is auth.c's.
 */
#include "identity/org.h"

#include <string.h>

#include <sodium.h>

#include "base/db_json.h"
#include "base/row.h"
#include "base/num.h"
#include "identity/auth.h"
#include "identity/mutation.h"

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

	ob_num_str(org, sizeof(org), org_id);
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
	if (!ob_mutation_text_ok(name, 0, 100))
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
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	}
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "name", name ? name : "");
	cJSON_AddStringToObject(after, "scopes", scopes);
	rc = ob_audit_commit(ax, org_id, "apikey.create", "api_key", prefix, NULL, after, f);
	cJSON_Delete(after);
	if (rc != 0)
		sodium_memzero(key_text, OB_APIKEY_TEXT);
	return rc;
}

int
ob_apikey_revoke(const struct ob_actx *ax, int64_t org_id, const char *prefix,
    struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { prefix, org };
	PGresult *res;
	int64_t key_org;

	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_APIKEY_REVOKE, params, NULL)) == NULL)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
	if (PQntuples(res) != 1) {
		PQclear(res);
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "apikey_not_found", "prefix",
		    "No such active API key.");
	}
	key_org = ob_row_i64(res, 0, "org_id");
	PQclear(res);
	if (ob_audit_commit(ax, key_org, "apikey.revoke", "api_key", prefix, NULL, NULL, f) != 0)
		return -1;
	ob_auth_apikey_cache_clear();
	return 0;
}

int
ob_apikey_revoke_named(struct ob_db *db, int64_t org_id, const char *name)
{
	char org[24];
	const char *params[2] = { org, name };

	ob_num_str(org, sizeof(org), org_id);
	return ob_db_run(db, OB_STMT_APIKEY_REVOKE_NAMED, params);
}
