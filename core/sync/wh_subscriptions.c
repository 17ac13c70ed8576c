/*
 * Subscription events: local state follows Stripe's CURRENT subscription,
 * fetched when a Stripe client is at hand, so events delivered late, twice
 * or newest-first can never leave older state behind. Without a client
 * (tests, offline replays) the event's own snapshot is used, and an older
 * snapshot than one already applied is skipped before we get here.
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <string.h>

#include "identity/audit.h"
#include "stripe/client.h"
#include "billing/subscription.h"

int ob_wh_subscription_sync(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);

/* The org a Stripe subscription belongs to: metadata.orgbill_org. */
static int64_t
org_of(const cJSON *sub)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(sub, "metadata");
	const cJSON *o = cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md, "orgbill_org") : NULL;
	long long v;

	if (!cJSON_IsString(o) || sscanf(o->valuestring, "%lld", &v) != 1 || v <= 0)
		return 0;
	return (int64_t)v;
}

int
ob_wh_subscription_sync(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(data, "object");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(sub, "id");
	struct ob_stripe_result res;
	char path[320];
	int rc;

	if (!cJSON_IsString(id) || strlen(id->valuestring) > 255)
		return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL, "event without a subscription id");
	memset(&res, 0, sizeof(res));
	if (cx->stripe != NULL) {
		snprintf(path, sizeof(path), "/v1/subscriptions/%s", id->valuestring);
		if (ob_stripe_request(cx->stripe, "GET", path, NULL, NULL, &res) != 0) {
			rc = ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
			    "fetching %s from Stripe: %s", id->valuestring,
			    ob_stripe_outcome_name(res.outcome));
			ob_stripe_result_clear(&res);
			return rc;
		}
		sub = res.body;
	}
	*org_id = org_of(sub);
	if (*org_id == 0) {
		/* Not one of ours (or made outside orgbill): nothing to keep in step. */
		ob_stripe_result_clear(&res);
		return 0;
	}
	rc = ob_subscription_apply_stripe(&ax, *org_id, sub, "subscription.stripe_sync", f);
	ob_stripe_result_clear(&res);
	return rc;
}
