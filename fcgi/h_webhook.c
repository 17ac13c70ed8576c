#include "handlers.h"

#include "worker.h"

int
ob_h_stripe_webhook(struct ob_req *r)
{
	/* Verification, storage and application arrive with the webhook
	 * worker's own change; until then nothing is accepted, and Stripe
	 * retries what it could not deliver. */
	ob_resp_error(r, 501, "api_error", "not_implemented",
	    "Webhook processing is not enabled in this build.", NULL);
	return 0;
}
