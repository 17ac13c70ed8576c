/*
 * Stripe calls of the invoices module, with its mapping of Stripe's
 * outcomes to failures (invoices_int.h).
 */
#include "invoices/invoices_int.h"

#include <string.h>

int
ob_inv_stripe_call(struct ob_stripe *st, const char *method, const char *path,
    const cJSON *params, const char *op, const char *id, struct ob_stripe_result *res,
    struct ob_fail *f)
{
	char key[OB_STRIPE_IDEM_KEY_MAX + 1] = "";

	memset(res, 0, sizeof(*res));
	if (st == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe is not configured.");
	if (strcmp(method, "GET") != 0 && ob_stripe_idem_key(key, sizeof(key), op, id) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", NULL, "Bad operation key.");
	if (ob_stripe_request(st, method, path, params, key, res) == 0)
		return 0;
	switch (res->outcome) {
	case OB_STRIPE_CARD:
		ob_fail(f, OB_FAIL_PAYMENT, "card_declined", NULL, "The card was declined: %s",
		    res->err_message);
		break;
	case OB_STRIPE_NOT_FOUND:
		ob_fail(f, OB_FAIL_NOT_FOUND, "stripe_resource_missing", NULL, "Stripe: %s",
		    res->err_message);
		break;
	case OB_STRIPE_INVALID_REQUEST:
		ob_fail(f, OB_FAIL_CONFLICT, res->err_code[0] ? "stripe_refused" : "stripe_invalid",
		    NULL, "Stripe refused: %s", res->err_message);
		break;
	default:
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe did not answer (%s); try again.", ob_stripe_outcome_name(res->outcome));
		break;
	}
	ob_stripe_result_clear(res);
	return -1;
}
