#include "fcgi/h_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/audit.h"
#include "stripe/client.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "identity/org.h"
#include "fcgi/page.h"
#include "fcgi/router.h"
#include "sync/webhook.h"
#include "fcgi/worker.h"
#include "base/num.h"

static int
id_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 5 || n > 255 || strncmp(s, "evt_", 4) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

int
ob_h_admin_webhooks(struct ob_req *r)
{
	static const char *const statuses[] = { "", "received", "processed", "failed", "skipped" };
	const char *type = ob_query_get(r, "type"), *status = ob_query_get(r, "status");
	const char *org = ob_query_get(r, "org_id"), *after = ob_query_get(r, "starting_after");
	cJSON *d, *list, *data, *opts, *o;
	int64_t org_id = 0;
	size_t i;
	int ok_status = 0;

	if (type != NULL && strlen(type) > 200)
		type = NULL;
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (status == NULL || strcmp(status, statuses[i]) == 0)
			ok_status = 1;
	if (!ok_status) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_status",
		    "status is one of received, processed, failed, skipped.", "status");
		return 0;
	}
	if (org != NULL && *org != '\0' && (org_id = ob_num_id(org)) == 0) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_org", "org_id is an id.", "org_id");
		return 0;
	}
	if (after != NULL && *after != '\0' && !id_ok(after)) {
		ob_worker_error(r, 400, "invalid_request_error", "invalid_cursor",
		    "starting_after is an event id.", "starting_after");
		return 0;
	}
	if ((list = ob_wh_list(&r->w->db, type, status, org_id, after, 50)) == NULL)
		return -1;
	d = ob_page_new(r, "Webhook events", "admin");
	data = cJSON_GetObjectItem(list, "data");
	cJSON_AddItemReferenceToObject(d, "events", data);
	cJSON_AddStringToObject(d, "f_type", type ? type : "");
	cJSON_AddStringToObject(d, "f_org", org ? org : "");
	opts = cJSON_AddArrayToObject(d, "status_options");
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "value", statuses[i]);
		cJSON_AddStringToObject(o, "label", statuses[i][0] ? statuses[i] : "any status");
		cJSON_AddBoolToObject(o, "selected", status != NULL && strcmp(status, statuses[i]) == 0);
		cJSON_AddItemToArray(opts, o);
	}
	ob_page_next_cursor(d, list);
	ob_page_render(r, 200, "pages/admin_webhooks", d);
	cJSON_Delete(d);
	cJSON_Delete(list);
	return 0;
}

static int
render_event(struct ob_req *r, int status, const char *id, const char *error)
{
	cJSON *d, *ev;
	int rc;

	if (!id_ok(id)) {
		ob_worker_error(r, 404, "invalid_request_error", "event_not_found", "No such event.", NULL);
		return 0;
	}
	if ((rc = ob_wh_get(&r->w->db, id, &ev)) < 0)
		return -1;
	if (rc > 0) {
		ob_worker_error(r, 404, "invalid_request_error", "event_not_found", "No such event.", NULL);
		return 0;
	}
	d = ob_page_new(r, "Webhook event", "admin");
	cJSON_AddItemToObject(d, "event", ev);
	if (error != NULL)
		ob_page_flash(d, "error", error);
	ob_page_render(r, status, "pages/admin_webhook", d);
	cJSON_Delete(d);
	return 0;
}

int
ob_h_admin_webhook(struct ob_req *r)
{
	const char *flash = ob_query_get(r, "replayed");
	int rc = render_event(r, 200, ob_route_param(r, "event_id"), NULL);

	(void)flash;
	return rc;
}

/* The reason refused: the event's page again (404 for no such event) with the message. */
static int
replay_fail(struct ob_req *r, const struct ob_fail *f)
{
	return render_event(r, 400, ob_route_param(r, "event_id"), f->message);
}

static const struct ob_field replay_rows[] = {
	{ .name = "reason", .type = OB_FIELD_STRING,
	    .flags = OB_FIELD_REQUIRED | OB_FIELD_ABSENT_INVALID, .min = 3, .max = 500,
	    .message = "Give a reason ({min} to {max} characters) for reprocessing." },
};
const struct ob_fields ob_h_admin_webhook_replay_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, replay_rows, replay_fail);

int
ob_h_admin_webhook_replay(struct ob_req *r)
{
	const char *id = ob_route_param(r, "event_id"), *reason = ob_field_str(r, "reason");
	struct ob_actx ax = { &r->w->db, &r->who, r->request_id, r->remote_addr, reason, 1 };
	struct ob_wh_ctx cx = { &r->w->db, NULL, "replay", NULL };
	int rc;

	if (!id_ok(id))
		return render_event(r, 404, id, NULL);
	cx.stripe = ob_worker_stripe(r->w);
	if (ob_db_begin(&r->w->db) != 0)
		return -1;
	rc = ob_wh_rearm(&r->w->db, id);
	if (rc != 0 || ob_audit_write(&ax, 0, "webhook.replay", "webhook_event", id, NULL, NULL) != 0 ||
	    ob_db_commit(&r->w->db) != 0) {
		ob_db_rollback(&r->w->db);
		return rc > 0 ? render_event(r, 404, id, NULL) : -1;
	}
	(void)ob_wh_apply(&cx, id);
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/admin/webhooks/%s", id));
	return 0;
}
