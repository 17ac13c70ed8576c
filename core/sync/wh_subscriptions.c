/*
 * Subscription events: local state follows Stripe's CURRENT subscription,
 * fetched (before the event's transaction begins) when a Stripe client is
 * at hand, so events delivered late, twice
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

int ob_wh_subscription_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f);
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

/* The event's subscription id, or NULL. */
static const char *
sub_id(const cJSON *event)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(data,
	    "object"), "id");

	return cJSON_IsString(id) && strlen(id->valuestring) <= 255 ? id->valuestring : NULL;
}

/* Fetch step: the current subscription into pre->obj (no transaction open). */
int
ob_wh_subscription_fetch(struct ob_wh_ctx *cx, const cJSON *event, struct ob_wh_pre *pre,
    struct ob_fail *f)
{
	const char *id = sub_id(event);
	char path[320];
	int rc;

	if (id == NULL || cx->stripe == NULL)
		return 0;
	snprintf(path, sizeof(path), "/v1/subscriptions/%s", id);
	if ((rc = ob_wh_stripe_get(cx, path, &pre->obj, f)) < 0)
		return -1;
	if (rc > 0)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "fetching %s from Stripe: not found", id);
	return 0;
}

/* Apply step: the fetched subscription (else the event's) becomes ours. */
int
ob_wh_subscription_sync(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(data, "object");

	if (sub_id(event) == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL, "event without a subscription id");
	if (cx->pre != NULL && cx->pre->obj != NULL)
		sub = cx->pre->obj;
	*org_id = org_of(sub);
	if (*org_id == 0)
		return 0;	/* not one of ours (or made outside orgbill): nothing to keep in step */
	return ob_subscription_apply_stripe(&ax, *org_id, sub, "subscription.stripe_sync", f);
}
