/*
 * The activity log: an org's billing events and audit rows.
 */
#include "fcgi/handlers.h"

#include "fcgi/api.h"
#include "identity/audit.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"

/* One page of the org's audit rows (the query's limit and cursor): 0, or -1 after answering 400. */
static int
audit_page(struct ob_req *r, cJSON **list)
{
	int limit;
	int64_t after;

	*list = NULL;
	if (ob_api_paging(r, 20, 100, &limit, &after) != 0)
		return -1;
	*list = ob_audit_list(&r->w->db, r->who.org_id, after, limit);
	return 0;
}

int
ob_h_api_history(struct ob_req *r)
{
	cJSON *list;

	if (audit_page(r, &list) != 0)
		return 0;
	return ob_api_answer(r, list);
}

int
ob_h_activity_page(struct ob_req *r)
{
	cJSON *d, *list;

	if (audit_page(r, &list) != 0)
		return 0;
	if (list == NULL)
		return -1;
	d = ob_page_new(r, "Activity", "activity");
	cJSON_AddItemReferenceToObject(d, "events", cJSON_GetObjectItem(list, "data"));
	ob_page_next_cursor(d, list);
	ob_page_render(r, 200, "pages/activity", d);
	cJSON_Delete(d);
	cJSON_Delete(list);
	return 0;
}
