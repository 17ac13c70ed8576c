/*
 * The webhook handler table: which event types change local state, and
 * how. Each module lists its handlers in core/sync/wh_<module>.def as
 * OB_WH_HANDLER("event.type", function, snapshot); wh_modules.def lists
 * the modules. Types not listed are stored and marked skipped.
 */
#include "sync/webhook.h"

#include <string.h>

/* Every handler's prototype, from the same lists. */
#define OB_WH_HANDLER(type, fn, snapshot) \
	int fn(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
#include "sync/wh_modules.def"
#undef OB_WH_HANDLER

static const struct ob_wh_handler handlers[] = {
#define OB_WH_HANDLER(type, fn, snapshot) { type, fn, snapshot },
#include "sync/wh_modules.def"
#undef OB_WH_HANDLER
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
