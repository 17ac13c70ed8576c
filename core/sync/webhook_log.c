/*
 * The webhook event log as the staff console shows it.
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
add_row(cJSON *o, PGresult *res, int i)
{
	cJSON_AddStringToObject(o, "id", PQgetvalue(res, i, 0));
	cJSON_AddStringToObject(o, "type", PQgetvalue(res, i, 1));
	cJSON_AddStringToObject(o, "object_id", PQgetvalue(res, i, 2));
	cJSON_AddStringToObject(o, "org_id", strcmp(PQgetvalue(res, i, 3), "0") ? PQgetvalue(res, i, 3) : "");
	cJSON_AddStringToObject(o, "status", PQgetvalue(res, i, 4));
	cJSON_AddNumberToObject(o, "attempts", atoi(PQgetvalue(res, i, 5)));
	cJSON_AddStringToObject(o, "last_error", PQgetvalue(res, i, 6));
}

cJSON *
ob_wh_list(struct ob_db *db, const char *type, const char *status, int64_t org_id,
    const char *starting_after, int limit)
{
	char org[24], lim[16];
	const char *params[5] = { type ? type : "", status ? status : "", org,
	    starting_after ? starting_after : "", lim };
	PGresult *res;
	cJSON *list, *data, *row;
	int i, n;

	snprintf(org, sizeof(org), "%lld", (long long)org_id);
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	if ((res = ob_db_exec(db, OB_STMT_WH_LIST, params, NULL)) == NULL)
		return NULL;
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	n = PQntuples(res);
	for (i = 0; i < n && i < limit; i++) {
		row = cJSON_CreateObject();
		add_row(row, res, i);
		cJSON_AddStringToObject(row, "received_at", PQgetvalue(res, i, 7));
		cJSON_AddBoolToObject(row, "failed", strcmp(PQgetvalue(res, i, 4), "failed") == 0);
		cJSON_AddItemToArray(data, row);
	}
	cJSON_AddBoolToObject(list, "has_more", n > limit);
	PQclear(res);
	return list;
}

cJSON *
ob_wh_get(struct ob_db *db, const char *event_id)
{
	const char *params[1] = { event_id };
	PGresult *res;
	unsigned char *raw;
	size_t n = 0;
	cJSON *o, *hist, *h;
	char *text;
	int i;

	if ((res = ob_db_exec(db, OB_STMT_WH_GET, params, NULL)) == NULL)
		return NULL;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return NULL;
	}
	o = cJSON_CreateObject();
	add_row(o, res, 0);
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, 0, 7), &n);
	text = malloc(n + 1);
	if (raw != NULL && text != NULL) {
		memcpy(text, raw, n);
		text[n] = '\0';
		/* Shown as text; a NUL inside (never from Stripe) cuts it short. */
		cJSON_AddStringToObject(o, "payload", text);
	}
	free(text);
	PQfreemem(raw);
	cJSON_AddStringToObject(o, "received_at", PQgetvalue(res, 0, 8));
	PQclear(res);
	if ((res = ob_db_exec(db, OB_STMT_WH_HISTORY, params, NULL)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	hist = cJSON_AddArrayToObject(o, "history");
	for (i = 0; i < PQntuples(res); i++) {
		h = cJSON_CreateObject();
		cJSON_AddNumberToObject(h, "attempt", atoi(PQgetvalue(res, i, 0)));
		cJSON_AddStringToObject(h, "source", PQgetvalue(res, i, 1));
		cJSON_AddStringToObject(h, "outcome", PQgetvalue(res, i, 2));
		cJSON_AddStringToObject(h, "error", PQgetvalue(res, i, 3));
		cJSON_AddStringToObject(h, "at", PQgetvalue(res, i, 4));
		cJSON_AddItemToArray(hist, h);
	}
	PQclear(res);
	return o;
}
