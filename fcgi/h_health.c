#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "base/migrate.h"
#include "ob_schema.h"
#include "fcgi/worker.h"

int
ob_h_healthz(struct ob_req *r)
{
	static const char body[] = "{\"status\":\"ok\"}\n";

	ob_resp_json(r, 200, body, sizeof(body) - 1);
	return 0;
}

/*
 * 503 with a fixed reason anyone may read; the detail (database errors,
 * versions) goes to the log only.
 */
static void
not_ready(struct ob_req *r, const char *reason, const char *detail)
{
	struct ob_buf b = OB_BUF_INIT;

	ob_log(OB_LOG_WARN, "not_ready", "%s: %s", reason, detail);
	ob_buf_puts(&b, "{\"status\":\"unavailable\",\"reason\":");
	ob_json_put_str(&b, reason);
	ob_buf_puts(&b, "}\n");
	ob_resp_json(r, 503, b.data, b.len);
	ob_resp_header(r, "Retry-After", "1");
	ob_buf_free(&b);
}

int
ob_h_readyz(struct ob_req *r)
{
	struct ob_db *db = &r->w->db;
	struct ob_buf b = OB_BUF_INIT;
	char err[256], detail[320];
	long version, count;

	if (ob_db_ping(db) != 0) {
		not_ready(r, "database unreachable", db->lasterr);
		return 0;
	}
	if (ob_migrate_current(db, &version, &count, err, sizeof(err)) != 0) {
		not_ready(r, "schema not current", err);
		return 0;
	}
	if (version != OB_SCHEMA_VERSION || count != OB_SCHEMA_COUNT) {
		snprintf(detail, sizeof(detail),
		    "schema at version %ld (%ld migrations), this build expects %d (%d)"
		    " (run: orgbill migrate)", version, count, OB_SCHEMA_VERSION, OB_SCHEMA_COUNT);
		not_ready(r, "schema not current", detail);
		return 0;
	}
	if (ob_db_ensure(db) != 0) {
		not_ready(r, "statements not prepared", db->lasterr);
		return 0;
	}
	ob_buf_printf(&b, "{\"status\":\"ready\",\"schema_version\":%ld}\n", version);
	ob_resp_json(r, 200, b.data, b.len);
	ob_buf_free(&b);
	return 0;
}
