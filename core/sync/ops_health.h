/*
 * The staff console's system health figures: the webhook and outbox
 * queues, the job runner's last retry, and the database's size and
 * connections (sql: stmt_ops.def).
 */
#ifndef OB_OPS_HEALTH_H
#define OB_OPS_HEALTH_H

#include <cJSON.h>

#include "base/db.h"

/**
 * A new object {jobs, webhooks, outbox, database, pools} with the current
 * figures (counts, ages in seconds, times as Unix seconds or null), or
 * NULL on a database failure (db->lasterr set).
 */
cJSON *ob_ops_health(struct ob_db *db);

#endif
