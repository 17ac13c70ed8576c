/*
 * GET /admin/health and /admin/api/health: the queues, the database and
 * the workers (core/sync/ops_health.c), the version and the schema.
 */
#include "fcgi/h_ops.h"

#include <stdio.h>
#include <unistd.h>

#include "base/migrate.h"
#include "fcgi/api.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "ob_schema.h"
#include "sync/ops_health.h"

/* Version, schema and this worker into d. */
static void
build_info(struct ob_req *r, cJSON *d)
{
	char err[256];
	long version = 0, count = 0;
	cJSON *o;

	cJSON_AddStringToObject(d, "version", OB_VERSION);
	o = cJSON_AddObjectToObject(d, "schema");
	cJSON_AddNumberToObject(o, "expected_version", OB_SCHEMA_VERSION);
	cJSON_AddNumberToObject(o, "expected_count", OB_SCHEMA_COUNT);
	if (ob_migrate_current(&r->w->db, &version, &count, err, sizeof(err)) == 0) {
		cJSON_AddNumberToObject(o, "version", (double)version);
		cJSON_AddNumberToObject(o, "count", (double)count);
	} else {
		cJSON_AddNullToObject(o, "version");
		cJSON_AddNullToObject(o, "count");
	}
	cJSON_AddBoolToObject(o, "current",
	    version == OB_SCHEMA_VERSION && count == OB_SCHEMA_COUNT);
	o = cJSON_AddObjectToObject(d, "worker");
	cJSON_AddStringToObject(o, "name", r->w->name);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddNumberToObject(o, "requests", (double)r->w->requests);
	cJSON_AddNumberToObject(o, "app_workers", (double)r->w->cfg->app_workers);
	cJSON_AddNumberToObject(o, "webhook_workers", (double)r->w->cfg->webhook_workers);
}

/* The view model: {object: "health", version, schema, worker, jobs, ...}; NULL on failure. */
static cJSON *
health_model(struct ob_req *r)
{
	cJSON *d = ob_ops_health(&r->w->db);

	if (d == NULL)
		return NULL;
	cJSON_AddStringToObject(d, "object", "health");
	build_info(r, d);
	return d;
}

int
ob_h_ops_health_api(struct ob_req *r)
{
	cJSON *d = health_model(r);

	if (d == NULL)
		return -1;
	ob_api_json(r, 200, d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_ops_health_page(struct ob_req *r)
{
	cJSON *m = health_model(r), *d;

	if (m == NULL)
		return -1;
	d = ob_page_new(r, "System health", "admin");
	cJSON_AddItemReferenceToObject(d, "health", m);
	ob_page_render(r, 200, "pages/ops_health", d);
	cJSON_Delete(d);
	cJSON_Delete(m);
	return 0;
}
