/*
 * Staff changes to the feature flags (flags.h): one rule set or removed in
 * one transaction, audited with the staff's reason.
 */
#include "billing/flags.h"

#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "base/row.h"

static int
flag_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 63 || s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

/* Whether stmt (one param) counts a row for target. 1, 0, or -1. */
static int
exists(struct ob_db *db, enum ob_stmt stmt, const char *target)
{
	const char *params[1] = { target };
	int64_t n = 0;

	if (ob_db_one_i64(db, stmt, params, "n", &n) != 0)
		return -1;
	return n > 0;
}

/* Check r's shape and that its plan or org exists. 0, or -1 with f. */
static int
rule_check(struct ob_db *db, const struct ob_flag_rule *r, struct ob_fail *f)
{
	int rc = 1;

	if (!flag_name_ok(r->flag))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_flag", "flag",
		    "A flag's name is lowercase letters, digits, '_' and '.' (at most 63).");
	if (r->percent < 0 || r->percent > 100)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_percent", "percent",
		    "percent is 0 to 100.");
	if (strcmp(r->scope, "global") == 0) {
		if (r->target[0] != '\0')
			return ob_fail(f, OB_FAIL_INVALID, "invalid_target", "target",
			    "A global rule has no target.");
	} else if (strcmp(r->scope, "plan") == 0) {
		rc = exists(db, OB_STMT_FLAG_PLAN_EXISTS, r->target);
	} else if (strcmp(r->scope, "org") == 0) {
		rc = ob_num_id(r->target) > 0 ? exists(db, OB_STMT_FLAG_ORG_EXISTS, r->target) : 0;
	} else {
		return ob_fail(f, OB_FAIL_INVALID, "invalid_scope", "scope",
		    "scope is global, plan or org.");
	}
	if (rc < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc == 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_target", "target",
		    "No such %s.", strcmp(r->scope, "plan") == 0 ? "plan" : "organization");
	return 0;
}

/* The rule's state as {enabled, percent} from res row 0, or NULL for none. */
static cJSON *
state_of(PGresult *res)
{
	cJSON *o;

	if (PQntuples(res) != 1)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "enabled", ob_row_bool(res, 0, "enabled"));
	cJSON_AddNumberToObject(o, "percent", (double)ob_row_i64(res, 0, "percent"));
	return o;
}

int
ob_flags_set(const struct ob_actx *ax, const struct ob_flag_rule *r, int remove,
    struct ob_fail *f)
{
	const char *key[3] = { r->flag, r->scope, r->target };
	const char *up[6];
	char pct[16], by[24], id[160];
	cJSON *before = NULL, *after = NULL;
	PGresult *res;
	int rc = -1;

	if (rule_check(ax->db, r, f) != 0)
		return -1;
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_FLAG_GET, key, NULL)) == NULL)
		goto fail;
	before = state_of(res);
	PQclear(res);
	snprintf(pct, sizeof(pct), "%d", r->percent);
	ob_num_str(by, sizeof(by), ax->who != NULL ? ax->who->user_id : 0);
	up[0] = r->flag;
	up[1] = r->scope;
	up[2] = r->target;
	up[3] = r->enabled ? "true" : "false";
	up[4] = pct;
	up[5] = by;
	if (ob_db_run(ax->db, remove ? OB_STMT_FLAG_DELETE : OB_STMT_FLAG_UPSERT, up) != 0)
		goto fail;
	if (!remove) {
		after = cJSON_CreateObject();
		cJSON_AddBoolToObject(after, "enabled", r->enabled);
		cJSON_AddNumberToObject(after, "percent", r->percent);
	}
	snprintf(id, sizeof(id), "%s/%s/%s", r->flag, r->scope, r->target);
	rc = ob_audit_commit(ax, strcmp(r->scope, "org") == 0 ? ob_num_id(r->target) : 0,
	    remove ? "flag.remove" : "flag.set", "feature_flag", id, before, after, f);
	if (rc == 0)
		ob_flags_invalidate();
	goto out;
fail:
	ob_db_fail(ax->db, f);
out:
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}
