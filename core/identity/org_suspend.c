/*
 * Staff suspension of an org (org.h, docs/ADMIN.md): suspend with a
 * reason, activate again; each one transaction with one staff audit row.
 * A suspension made by dunning ("billing:…") is not lifted here.
 */
#include "identity/org.h"

#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "base/row.h"

/* Lock the org's row; its status and reason into st / why. 0, 1 none, -1. */
static int
lock_org(struct ob_db *db, const char *id, char *st, size_t stlen, char *why, size_t whylen)
{
	const char *params[1] = { id };
	PGresult *res;
	int rc = 1;

	if ((res = ob_db_exec(db, OB_STMT_ORG_SUSPEND_LOCK, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		snprintf(st, stlen, "%s", ob_row_str(res, 0, "status"));
		snprintf(why, whylen, "%s", ob_row_str(res, 0, "suspended_reason"));
		rc = 0;
	}
	PQclear(res);
	return rc;
}

/* The state change: suspend (1) or activate (0), checked against the locked row. */
static int
change(const struct ob_actx *ax, int64_t org_id, int suspend, struct ob_fail *f)
{
	char id[24], st[16], why[600], reason[600];
	const char *params[2] = { id, reason };
	cJSON *before, *after;
	int rc;

	ob_num_str(id, sizeof(id), org_id);
	snprintf(reason, sizeof(reason), "staff: %s", ax->reason ? ax->reason : "");
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((rc = lock_org(ax->db, id, st, sizeof(st), why, sizeof(why))) != 0) {
		ob_db_rollback(ax->db);
		return rc < 0 ? ob_fail_db(f, ax->db->lasterr) :
		    ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
	}
	if (suspend && strcmp(st, "suspended") == 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_CONFLICT, "already_suspended", NULL,
		    "The organization is already suspended.");
	}
	if (!suspend && strcmp(st, "suspended") != 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_CONFLICT, "not_suspended", NULL,
		    "The organization is not suspended.");
	}
	if (!suspend && strncmp(why, "billing:", 8) == 0) {
		ob_db_rollback(ax->db);
		return ob_fail(f, OB_FAIL_CONFLICT, "billing_suspension", NULL,
		    "Dunning suspended this organization: it is lifted by payment or the "
		    "dunning override (finance), not here.");
	}
	if (ob_db_run(ax->db, suspend ? OB_STMT_ORG_SUSPEND_SET : OB_STMT_ORG_SUSPEND_LIFT,
	    params) != 0) {
		ob_db_rollback(ax->db);
		return ob_fail_db(f, ax->db->lasterr);
	}
	before = cJSON_CreateObject();
	cJSON_AddStringToObject(before, "status", st);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "status", suspend ? "suspended" : "active");
	rc = ob_audit_commit(ax, org_id, suspend ? "org.suspend" : "org.activate", "organization",
	    id, before, after, f);
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}

int
ob_org_suspend(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f)
{
	return change(ax, org_id, 1, f);
}

int
ob_org_activate(const struct ob_actx *ax, int64_t org_id, struct ob_fail *f)
{
	return change(ax, org_id, 0, f);
}
