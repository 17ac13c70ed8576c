/*
 * System health for the staff console (ops_health.h): one statement for
 * the queues and the database, one for the connections by pool.
 */
#include "sync/ops_health.h"

#include "base/row.h"

static void
num(cJSON *o, const PGresult *res, const char *col, const char *name)
{
	cJSON_AddNumberToObject(o, name != NULL ? name : col, (double)ob_row_i64(res, 0, col));
}

/* A nullable Unix time or age: null when SQL NULL. */
static void
num_or_null(cJSON *o, const PGresult *res, const char *col, const char *name)
{
	if (ob_row_null(res, 0, col))
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, (double)ob_row_i64(res, 0, col));
}

static void
queues(cJSON *d, const PGresult *res)
{
	cJSON *o;

	o = cJSON_AddObjectToObject(d, "jobs");
	num(o, res, "webhooks_due", "webhooks_due");
	num(o, res, "outbox_due", "outbox_due");
	num_or_null(o, res, "jobs_last_retry_at", "last_retry_at");
	num_or_null(o, res, "outbox_last_sent_at", "last_outbox_sent_at");
	o = cJSON_AddObjectToObject(d, "webhooks");
	num(o, res, "webhooks_pending", "pending");
	num(o, res, "webhooks_failed", "failed");
	num(o, res, "webhook_failures_24h", "failures_24h");
	num(o, res, "webhook_lag_seconds", "lag_seconds");
	o = cJSON_AddObjectToObject(d, "outbox");
	num(o, res, "outbox_pending", "pending");
	num(o, res, "outbox_failed", "failed");
	num(o, res, "outbox_oldest_seconds", "oldest_seconds");
	o = cJSON_AddObjectToObject(d, "database");
	num(o, res, "db_size_bytes", "size_bytes");
	num(o, res, "db_connections", "connections");
	num(o, res, "db_connections_active", "connections_active");
	num(o, res, "db_max_connections", "max_connections");
	num_or_null(o, res, "db_replication_lag_seconds", "replication_lag_seconds");
}

cJSON *
ob_ops_health(struct ob_db *db)
{
	PGresult *res = NULL;
	cJSON *d, *pools, *p;
	int i;

	if (ob_db_one(db, OB_STMT_OPS_HEALTH, NULL, &res) != 0)
		return NULL;
	d = cJSON_CreateObject();
	queues(d, res);
	PQclear(res);
	if ((res = ob_db_exec(db, OB_STMT_OPS_POOLS, NULL, NULL)) == NULL) {
		cJSON_Delete(d);
		return NULL;
	}
	pools = cJSON_AddArrayToObject(d, "pools");
	for (i = 0; i < PQntuples(res); i++) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "pool", ob_row_str(res, i, "pool"));
		cJSON_AddNumberToObject(p, "connections", (double)ob_row_i64(res, i, "connections"));
		cJSON_AddNumberToObject(p, "active", (double)ob_row_i64(res, i, "active"));
		cJSON_AddItemToArray(pools, p);
	}
	PQclear(res);
	return d;
}
