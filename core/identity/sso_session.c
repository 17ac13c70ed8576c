#include "identity/sso_session.h"

#include <sodium.h>

#include "base/num.h"
#include "base/row.h"
#include "identity/auth.h"
#include "identity/sso.h"

int
ob_sso_session_mark(struct ob_db *db, const char *token_text, int64_t org_id)
{
	unsigned char raw[OB_TOKEN_BYTES];
	char hash[67], org[24];
	const char *params[2] = { hash, org };

	if (ob_auth_token_decode(token_text, raw) != 0)
		return -1;
	ob_auth_token_hash_param(raw, sizeof(raw), hash);
	sodium_memzero(raw, sizeof(raw));
	ob_num_str(org, sizeof(org), org_id);
	return ob_db_run(db, OB_STMT_SSO_SESSION_MARK, params);
}

int
ob_sso_session_allowed(struct ob_db *db, int64_t org_id, int64_t session_id)
{
	char org[24], sid[24];
	const char *params[2] = { org, sid };
	PGresult *res = NULL;
	int ok;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(sid, sizeof(sid), session_id);
	if (ob_db_one(db, OB_STMT_SSO_SESSION_ALLOWED, params, &res) != 0)
		return -1;
	ok = ob_row_bool(res, 0, "allowed");
	PQclear(res);
	return ok;
}

int
ob_sso_org_required(struct ob_db *db, int64_t org_id)
{
	struct ob_sso_conn c;
	int rc;

	if ((rc = ob_sso_conn_get(db, NULL, org_id, &c)) < 0)
		return -1;
	return rc == 1 && c.required;
}
