/*
 * Checkout events: a session started from the console completed (its
 * subscription is mirrored and the order marked complete) or expired.
 * The session and its subscription are fetched from Stripe when a client
 * is at hand; without one the event's own session is used and its
 * subscription must be expanded in it.
 */
#include "sync/webhook.h"

#include <stdio.h>
#include <string.h>

#include "identity/audit.h"
#include "stripe/client.h"
#include "base/json.h"
#include "billing/checkout.h"

int ob_wh_checkout_session(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f);

/* GET path from Stripe into *res. 0 or -1 with f. */
static int
fetch(struct ob_wh_ctx *cx, const char *what, const char *id, struct ob_stripe_result *res,
    struct ob_fail *f)
{
	char path[320];

	snprintf(path, sizeof(path), "/v1/%s/%s", what, id);
	if (ob_stripe_request(cx->stripe, "GET", path, NULL, NULL, res) == 0)
		return 0;
	return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL, "fetching %s from Stripe: %s",
	    id, ob_stripe_outcome_name(res->outcome));
}

int
ob_wh_checkout_session(struct ob_wh_ctx *cx, const cJSON *event, int64_t *org_id,
    struct ob_fail *f)
{
	struct ob_actx ax = { cx->db, NULL, "webhook", NULL, NULL, 0 };
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
	const cJSON *sess = cJSON_GetObjectItemCaseSensitive(data, "object"), *sub;
	const char *id = ob_json_str(sess, "id"), *sub_id;
	struct ob_stripe_result rs = { 0 }, rb = { 0 };
	int rc = -1;

	*org_id = 0;
	if (id == NULL || strlen(id) > 255)
		return ob_fail(f, OB_FAIL_INVALID, "bad_event", NULL, "event without a session id");
	if (ob_json_str(sess, "mode") == NULL || strcmp(ob_json_str(sess, "mode"), "subscription") != 0)
		return 0;	/* payments are the purchases' business */
	if (cx->stripe != NULL) {
		if (fetch(cx, "checkout/sessions", id, &rs, f) != 0)
			goto out;
		sess = rs.body;
	}
	sub = cJSON_GetObjectItemCaseSensitive(sess, "subscription");
	sub_id = cJSON_IsString(sub) ? sub->valuestring : ob_json_str(sub, "id");
	if (cx->stripe != NULL && sub_id != NULL && strlen(sub_id) <= 255) {
		if (fetch(cx, "subscriptions", sub_id, &rb, f) != 0)
			goto out;
		sub = rb.body;
	}
	if (ob_json_str(sess, "status") != NULL && strcmp(ob_json_str(sess, "status"), "complete") == 0 &&
	    !cJSON_IsObject(sub)) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "session %s: its subscription is not at hand", id);
		goto out;
	}
	rc = ob_checkout_finish(&ax, sess, sub, org_id, f);
out:
	ob_stripe_result_clear(&rs);
	ob_stripe_result_clear(&rb);
	return rc;
}
