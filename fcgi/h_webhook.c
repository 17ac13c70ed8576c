/*
 * POST /stripe/webhook: verify, store (raw, once), apply (once).
 */
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stripe/client.h"
#include "fcgi/input.h"
#include "base/log.h"
#include "sync/webhook.h"
#include "stripe/webhook_sig.h"
#include "fcgi/worker.h"

static void
answer(struct ob_req *r, int status, const char *json)
{
	ob_resp_json(r, status, json, strlen(json));
}

int
ob_h_stripe_webhook(struct ob_req *r)
{
	const char *sig = ob_header(r, "HTTP_STRIPE_SIGNATURE");
	struct ob_wh_ctx cx = { &r->w->db, NULL, "delivery", NULL };
	struct ob_whevent ev;
	enum ob_whsig v;
	enum ob_wh_result ar;

	v = ob_whsig_verify(sig, r->body ? r->body : "", r->body_len,
	    r->w->cfg->stripe_webhook_secret, (long long)time(NULL),
	    r->w->cfg->stripe_webhook_tolerance);
	if (v != OB_WHSIG_OK) {
		/* Neither the secret nor the payload goes into the log. */
		ob_log(OB_LOG_WARN, "webhook_rejected", "signature %s (%zu bytes, request %s)",
		    ob_whsig_name(v), r->body_len, r->request_id);
		ob_resp_error(r, 400, "invalid_request_error",
		    v == OB_WHSIG_MALFORMED ? "signature_malformed" : "signature_invalid",
		    "The Stripe-Signature header does not verify.", "Stripe-Signature");
		return 0;
	}
	if (ob_whevent_parse(r->body, r->body_len, &ev, NULL) != 0) {
		ob_resp_error(r, 400, "invalid_request_error", "event_malformed",
		    "The body is not a Stripe event.", NULL);
		return 0;
	}
	switch (ob_wh_store(&r->w->db, &ev, r->body, r->body_len)) {
	case OB_WH_DUPLICATE:
		answer(r, 200, "{\"received\":true,\"duplicate\":true}\n");
		return 0;
	case OB_WH_STORE_ERROR:
		/* Not stored: a 5xx makes Stripe deliver it again. */
		return -1;
	case OB_WH_STORED:
		break;
	}
	cx.stripe = ob_worker_stripe(r->w);
	ar = ob_wh_apply(&cx, ev.id);
	/* Stored is enough for a 2xx: a failure is retried by `orgbill jobs`. */
	switch (ar) {
	case OB_WH_PROCESSED:
		answer(r, 200, "{\"received\":true,\"status\":\"processed\"}\n");
		break;
	case OB_WH_SKIPPED:
		answer(r, 200, "{\"received\":true,\"status\":\"skipped\"}\n");
		break;
	default:
		answer(r, 202, "{\"received\":true,\"status\":\"queued\"}\n");
		break;
	}
	return 0;
}
