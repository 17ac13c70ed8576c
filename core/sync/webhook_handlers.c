/*
 * The webhook handler table: which event types change local state, and
 * how. Each module lists its handlers in core/sync/wh_<module>.def as
 * OB_WH_HANDLER("event.type", fetch, function, snapshot); wh_modules.def
 * lists the modules. Types not listed are stored and marked skipped.
 * fetch runs with no transaction open, function inside the event's
 * (webhook.h), so no Stripe call is made while rows are locked.
 */
#include "sync/webhook.h"

#include <string.h>

#include "stripe/client.h"

/* Every handler's prototypes, from the same lists. */
#define OB_WH_HANDLER(type, fetch, fn, snapshot) \
	int fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre, \
	    struct ob_fail *f); \
	int fn(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id, struct ob_fail *f);
#include "sync/wh_modules.def"
#undef OB_WH_HANDLER

static const struct ob_wh_handler handlers[] = {
#define OB_WH_HANDLER(type, fetch, fn, snapshot) { type, fetch, fn, snapshot },
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

int
ob_wh_fetch_none(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	(void)cx;
	(void)event;
	(void)pre;
	(void)f;
	return 0;
}

int
ob_wh_stripe_get(struct ob_wh_ctx *cx, const char *path, cJSON **out, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	int rc;

	*out = NULL;
	if (cx->stripe == NULL)
		return 1;
	if (ob_stripe_request(cx->stripe, "GET", path, NULL, NULL, &res) == 0) {
		*out = res.body;
		res.body = NULL;
		rc = 0;
	} else if (res.outcome == OB_STRIPE_NOT_FOUND) {
		rc = 1;
	} else {
		rc = ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "Stripe: GET %s: %s",
		    path, ob_stripe_outcome_name(res.outcome));
	}
	ob_stripe_result_clear(&res);
	return rc;
}

void
ob_wh_pre_clear(struct ob_wh_pre *p)
{
	size_t i;

	cJSON_Delete(p->obj);
	for (i = 0; i < sizeof(p->rel) / sizeof(p->rel[0]); i++)
		cJSON_Delete(p->rel[i]);
	memset(p, 0, sizeof(*p));
}
