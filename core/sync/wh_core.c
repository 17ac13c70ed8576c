/*
 * Webhook handlers that need no other module.
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "identity/audit.h"

int ob_wh_on_trial_will_end(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);

/*
 * A trial ends in three days: recorded as an event for notification (an
 * audit row the activity log shows; e-mail goes through the outbox when
 * the org is known).
 */
int
ob_wh_on_trial_will_end(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const char *id = ob_json_str_or(event, "id", "");
	cJSON *after = cJSON_CreateObject();
	int rc;

	cJSON_AddStringToObject(after, "event", id);
	rc = ob_audit_write(&ax, *org_id, "subscription.trial_will_end", "webhook_event", id,
	    NULL, after);
	cJSON_Delete(after);
	if (rc != 0)
		return ob_fail_db(f, cx->db->lasterr);
	return 0;
}
