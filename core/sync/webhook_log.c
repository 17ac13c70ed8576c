/*
 * The webhook event log as the staff console shows it.
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/db_json.h"
#include "base/row.h"
#include "base/num.h"

static void
add_row(cJSON *o, const PGresult *res, int i)
{
	const char *org = ob_row_str(res, i, "org_id");

	cJSON_AddStringToObject(o, "id", ob_row_str(res, i, "id"));
	cJSON_AddStringToObject(o, "type", ob_row_str(res, i, "type"));
	cJSON_AddStringToObject(o, "object_id", ob_row_str(res, i, "object_id"));
	cJSON_AddStringToObject(o, "org_id", strcmp(org, "0") ? org : "");
	cJSON_AddStringToObject(o, "status", ob_row_str(res, i, "status"));
	cJSON_AddNumberToObject(o, "attempts", (int)ob_row_i64(res, i, "attempts"));
	cJSON_AddStringToObject(o, "last_error", ob_row_str(res, i, "last_error"));
}

/* A row of OB_STMT_WH_LIST as the console lists it (an ob_db_row_fn). */
static cJSON *
list_row(const PGresult *res, int i, const void *arg)
{
	cJSON *row = cJSON_CreateObject();

	(void)arg;
	add_row(row, res, i);
	cJSON_AddStringToObject(row, "received_at", ob_row_str(res, i, "received_iso"));
	cJSON_AddBoolToObject(row, "failed", strcmp(ob_row_str(res, i, "status"), "failed") == 0);
	return row;
}

cJSON *
ob_wh_list(struct ob_db *db, const char *type, const char *status, int64_t org_id,
    const char *starting_after, int limit)
{
	char org[24], lim[16];
	const char *params[5] = { type ? type : "", status ? status : "", org,
	    starting_after ? starting_after : "", lim };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), limit + 1);
	return ob_db_exec_rows(db, OB_STMT_WH_LIST, params, limit, list_row, NULL);
}

/* The event's processing history as o's "history" array. 0 or -1. */
static int
add_history(struct ob_db *db, const char *event_id, cJSON *o)
{
	const char *params[1] = { event_id };
	PGresult *res;
	cJSON *hist, *h;
	int i;

	if ((res = ob_db_exec(db, OB_STMT_WH_HISTORY, params, NULL)) == NULL)
		return -1;
	hist = cJSON_AddArrayToObject(o, "history");
	for (i = 0; i < PQntuples(res); i++) {
		h = cJSON_CreateObject();
		cJSON_AddNumberToObject(h, "attempt", (int)ob_row_i64(res, i, "attempt"));
		cJSON_AddStringToObject(h, "source", ob_row_str(res, i, "source"));
		cJSON_AddStringToObject(h, "outcome", ob_row_str(res, i, "outcome"));
		cJSON_AddStringToObject(h, "error", ob_row_str(res, i, "error"));
		cJSON_AddStringToObject(h, "at", ob_row_str(res, i, "at"));
		cJSON_AddItemToArray(hist, h);
	}
	PQclear(res);
	return 0;
}

/* A failed read: -1 if the database is unreachable, else 1 (no such event). */
static int
read_failed(struct ob_db *db)
{
	return db->lasterr[0] != '\0' && PQstatus(db->conn) != CONNECTION_OK ? -1 : 1;
}

int
ob_wh_get(struct ob_db *db, const char *event_id, cJSON **event)
{
	const char *params[1] = { event_id };
	PGresult *res;
	unsigned char *raw;
	size_t n = 0;
	cJSON *o = NULL;
	char *text;
	int rc = 1;

	*event = NULL;
	if ((res = ob_db_exec(db, OB_STMT_WH_GET, params, NULL)) == NULL) {
		rc = read_failed(db);
		goto out;
	}
	if (PQntuples(res) != 1)
		goto out;
	o = cJSON_CreateObject();
	add_row(o, res, 0);
	raw = PQunescapeBytea((const unsigned char *)ob_row_str(res, 0, "payload"), &n);
	text = malloc(n + 1);
	if (raw != NULL && text != NULL) {
		memcpy(text, raw, n);
		text[n] = '\0';
		/* Shown as text; a NUL inside (never from Stripe) cuts it short. */
		cJSON_AddStringToObject(o, "payload", text);
	}
	free(text);
	PQfreemem(raw);
	cJSON_AddStringToObject(o, "received_at", ob_row_str(res, 0, "received_iso"));
	if (add_history(db, event_id, o) != 0) {
		rc = read_failed(db);
		goto out;
	}
	*event = o;
	o = NULL;
	rc = 0;
out:
	PQclear(res);
	cJSON_Delete(o);
	return rc;
}
