/*
 * The activity log: an org's billing events and audit rows.
 */
#include "fcgi/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi/api.h"
#include "identity/audit.h"
#include "fcgi/input.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "base/num.h"

/* limit (1–100, default 20) and starting_after (an id) from the query. */
static int
paging(struct ob_req *r, int *limit, int64_t *after)
{
	const char *l = ob_query_get(r, "limit"), *s = ob_query_get(r, "starting_after");
	char *end;
	long v;

	*limit = 20;
	*after = 0;
	if (l != NULL) {
		v = strtol(l, &end, 10);
		if (*l == '\0' || *end != '\0' || v < 1 || v > 100) {
			ob_worker_error(r, 400, "invalid_request_error", "invalid_limit",
			    "limit must be an integer from 1 to 100.", "limit");
			return -1;
		}
		*limit = (int)v;
	}
	if (s != NULL && (*after = ob_num_id(s)) == 0) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_cursor",
		    "starting_after must be an id from a previous page.", "starting_after");
		return -1;
	}
	return 0;
}

int
ob_h_api_history(struct ob_req *r)
{
	cJSON *list;
	int limit;
	int64_t after;

	if (paging(r, &limit, &after) != 0)
		return 0;
	if ((list = ob_audit_list(&r->w->db, r->who.org_id, after, limit)) == NULL)
		return -1;
	ob_api_json(r, 200, list);
	cJSON_Delete(list);
	return 0;
}

int
ob_h_activity_page(struct ob_req *r)
{
	cJSON *d, *list, *data, *last;
	int limit;
	int64_t after;

	if (paging(r, &limit, &after) != 0)
		return 0;
	if ((list = ob_audit_list(&r->w->db, r->who.org_id, after, limit)) == NULL)
		return -1;
	d = ob_page_new(r, "Activity", "activity");
	data = cJSON_GetObjectItem(list, "data");
	cJSON_AddItemReferenceToObject(d, "events", data);
	if (cJSON_IsTrue(cJSON_GetObjectItem(list, "has_more")) &&
	    (last = cJSON_GetArrayItem(data, cJSON_GetArraySize(data) - 1)) != NULL)
		cJSON_AddStringToObject(d, "next_cursor", cJSON_GetObjectItem(last, "id")->valuestring);
	ob_page_render(r, 200, "pages/activity", d);
	cJSON_Delete(d);
	cJSON_Delete(list);
	return 0;
}
