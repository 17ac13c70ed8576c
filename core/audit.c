#include "audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "mem.h"

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
		snprintf(actor, sizeof(actor), "%lld", (long long)p->user_id);
	} else if (p != NULL && p->kind == OB_PRINCIPAL_KEY) {
		actor_type = "api_key";
		snprintf(actor, sizeof(actor), "%s", p->key_prefix);
	}
	if (before != NULL)
		b = cJSON_PrintUnformatted(before);
	if (after != NULL)
		a = cJSON_PrintUnformatted(after);
	snprintf(org, sizeof(org), "%lld", (long long)org_id);
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

static cJSON *
parse_or_null(const char *s)
{
	cJSON *j = cJSON_Parse(s);

	return j != NULL ? j : cJSON_CreateNull();
}

cJSON *
ob_audit_list(struct ob_db *db, int64_t org_id, int64_t before_id, int limit)
{
	char org[24], before[24], lim[16];
	const char *params[3] = { org, before, lim };
	PGresult *res;
	cJSON *list, *data, *row;
	int i, n;

	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	snprintf(before, sizeof(before), "%lld", (long long)before_id);
	snprintf(lim, sizeof(lim), "%d", limit + 1);	/* one more: has_more */
	if ((res = ob_db_exec(db, OB_STMT_AUDIT_LIST, params, NULL)) == NULL)
		return NULL;
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	n = PQntuples(res);
	for (i = 0; i < n && i < limit; i++) {
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "id", PQgetvalue(res, i, 0));
		cJSON_AddStringToObject(row, "object", "audit_event");
		cJSON_AddStringToObject(row, "actor_type", PQgetvalue(res, i, 1));
		cJSON_AddStringToObject(row, "actor_id", PQgetvalue(res, i, 2));
		cJSON_AddStringToObject(row, "action", PQgetvalue(res, i, 3));
		cJSON_AddStringToObject(row, "target_type", PQgetvalue(res, i, 4));
		cJSON_AddStringToObject(row, "target_id", PQgetvalue(res, i, 5));
		cJSON_AddItemToObject(row, "before", parse_or_null(PQgetvalue(res, i, 6)));
		cJSON_AddItemToObject(row, "after", parse_or_null(PQgetvalue(res, i, 7)));
		cJSON_AddStringToObject(row, "request_id", PQgetvalue(res, i, 8));
		cJSON_AddStringToObject(row, "reason", PQgetvalue(res, i, 9));
		cJSON_AddStringToObject(row, "created_at", PQgetvalue(res, i, 10));
		cJSON_AddItemToArray(data, row);
	}
	cJSON_AddBoolToObject(list, "has_more", n > limit);
	PQclear(res);
	return list;
}
