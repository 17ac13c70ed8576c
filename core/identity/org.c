/*
 * Organizations (org.h).
 */
#include "identity/org.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/row.h"
#include "identity/mutation.h"
#include "base/num.h"

int
ob_org_create(const struct ob_actx *ax, const char *name, const char *slug,
    const char *billing_email, int64_t *id, struct ob_fail *f)
{
	const char *params[3] = { name, slug, billing_email }, *state = NULL;
	char idbuf[24];
	PGresult *res;
	cJSON *after;
	int rc;

	if (!ob_mutation_text_ok(name, 1, 200))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_name", "name",
		    "The name must be 1 to 200 characters.");
	if (slug == NULL || !ob_mutation_slug_ok(slug))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_slug", "slug",
		    "The slug must be 2 to 63 lowercase letters, digits or dashes.");
	if (billing_email != NULL && *billing_email != '\0' && !ob_mutation_email_ok(billing_email))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "billing_email",
		    "The billing e-mail address is not valid.");
	if (billing_email != NULL && *billing_email == '\0')
		params[2] = NULL;
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_ORG_CREATE, params, &state)) == NULL)
		return ob_mutation_failed(ax, state, f, "slug_taken", "slug",
		    "An organization with this slug exists.");
	*id = ob_row_i64(res, 0, "id");
	PQclear(res);
	ob_num_str(idbuf, sizeof(idbuf), *id);
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "name", name);
	cJSON_AddStringToObject(after, "slug", slug);
	rc = ob_audit_commit(ax, *id, "org.create", "organization", idbuf, NULL, after, f);
	cJSON_Delete(after);
	return rc;
}

cJSON *
ob_org_get(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	cJSON *o = NULL;

	ob_num_str(org, sizeof(org), org_id);
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

int
ob_org_set_members_see_billing(const struct ob_actx *ax, int64_t org_id, int on,
    struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, on ? "true" : "false" };
	PGresult *res;
	cJSON *before, *after;
	int rc;

	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_ORG_SET_MEMBERS_SEE_BILLING, params, NULL)) == NULL)
		return ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
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
	rc = ob_audit_commit(ax, org_id, "org.settings", "organization", org, before, after, f);
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}

int64_t
ob_org_id_by_slug(struct ob_db *db, const char *slug)
{
	const char *params[1] = { slug };
	int64_t id;

	return ob_db_one_i64(db, OB_STMT_ORG_BY_SLUG, params, "id", &id) == 0 ? id : -1;
}

int
ob_org_state(struct ob_db *db, int64_t org_id, struct ob_principal *p)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;

	p->org_suspended = 0;
	p->billing_state[0] = '\0';
	if (org_id <= 0)
		return 0;
	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_ORG_STATE, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		p->org_suspended = strcmp(ob_row_str(res, 0, "org_status"), "suspended") == 0;
		snprintf(p->billing_state, sizeof(p->billing_state), "%s",
		    ob_row_str(res, 0, "billing_state"));
	}
	PQclear(res);
	return 0;
}

int
ob_org_is_suspended(const struct ob_principal *p)
{
	return p->org_suspended || strcmp(p->billing_state, "suspended") == 0;
}
