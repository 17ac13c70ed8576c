/*
 * The webhook handler table: which event types change local state, and
 * how. Types not listed are stored and marked skipped.
 */
#include "webhook.h"

#include <string.h>

/* Trial ending: recorded as an event for notification (the audit row is
 * the record; delivery by e-mail comes through the outbox). */
static int
on_trial_will_end(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	(void)cx;
	(void)event;
	(void)org_id;
	(void)f;
	return 0;
}

static const struct ob_wh_handler handlers[] = {
	{ "customer.subscription.trial_will_end", on_trial_will_end, 0 },
};

const struct ob_wh_handler *
ob_wh_handler_for(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].type, type) == 0)
			return &handlers[i];
	return NULL;
}
