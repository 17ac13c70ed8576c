#include "identity/audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/db_json.h"
#include "base/mem.h"
#include "base/num.h"

int
ob_audit_write(const struct ob_actx *ax, int64_t org_id, const char *action,
    const char *target_type, const char *target_id, const cJSON *before,
    const cJSON *after)
{
	const struct ob_principal *p = ax->who;
	char org[24], actor[40];
	const char *actor_type = "system", *params[11];
	char *b = NULL, *a = NULL;
	int rc;

	actor[0] = '\0';
	if (p != NULL && p->kind == OB_PRINCIPAL_USER) {
		/* Staff-console actions are the staff's, with their reason. */
		actor_type = (ax->as_staff && p->is_staff) ? "staff" : "user";
		ob_num_str(actor, sizeof(actor), p->user_id);
	} else if (p != NULL && p->kind == OB_PRINCIPAL_KEY) {
		actor_type = "api_key";
		snprintf(actor, sizeof(actor), "%s", p->key_prefix);
	}
	if (before != NULL)
		b = cJSON_PrintUnformatted(before);
	if (after != NULL)
		a = cJSON_PrintUnformatted(after);
	ob_num_str(org, sizeof(org), org_id);
	params[0] = org;
	params[1] = actor_type;
	params[2] = actor[0] ? actor : NULL;
	params[3] = action;
	params[4] = target_type;
	params[5] = target_id;
	params[6] = b;
	params[7] = a;
	params[8] = ax->request_id;
	params[9] = ax->ip;
	params[10] = (ax->reason != NULL && *ax->reason != '\0') ? ax->reason : NULL;
	rc = ob_db_run(ax->db, OB_STMT_AUDIT_INSERT, params);
	free(b);
	free(a);
	return rc;
}

int
ob_audit_commit(const struct ob_actx *ax, int64_t org_id, const char *action,
    const char *target_type, const char *target_id, const cJSON *before,
    const cJSON *after, struct ob_fail *f)
{
	if ((action == NULL ||
	    ob_audit_write(ax, org_id, action, target_type, target_id, before, after) == 0) &&
	    ob_db_commit(ax->db) == 0)
		return 0;
	return ob_db_fail(ax->db, f);
}

cJSON *
ob_audit_list(struct ob_db *db, int64_t org_id, int64_t before_id, int limit)
{
	static const struct ob_col cols[] = {
		{ "id", OB_COL_STR }, { "actor_type", OB_COL_STR }, { "actor_id", OB_COL_STR },
		{ "action", OB_COL_STR }, { "target_type", OB_COL_STR }, { "target_id", OB_COL_STR },
		{ "before", OB_COL_JSON }, { "after", OB_COL_JSON }, { "request_id", OB_COL_STR },
		{ "reason", OB_COL_STR }, { "created_at", OB_COL_STR }, { NULL, OB_COL_SKIP },
	};
	char org[24], before[24], lim[16];
	const char *params[3] = { org, before, lim };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(before, sizeof(before), before_id);
	ob_num_str(lim, sizeof(lim), limit + 1);	/* one more: has_more */
	return ob_db_exec_list(db, OB_STMT_AUDIT_LIST, params, cols, limit, "audit_event");
}
