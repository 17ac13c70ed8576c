/*
 * Refunds kept in step with Stripe: refund.created|updated and
 * charge.refunded record statuses, refunds made outside orgbill, and ours
 * whose local record was lost. See refunds.h.
 */
#include "invoices/refunds.h"
#include "base/json.h"

#include <stdio.h>
#include <string.h>

#include "base/num.h"
#include "base/row.h"

/* Keep the invoice's refunded total in step (charge_refunded: the charge's figure or 0). */
static int
sync_invoice(struct ob_db *db, const char *invoice_id, int64_t charge_refunded, int64_t *org_id)
{
	char cr[24];
	const char *params[2] = { invoice_id, cr };
	PGresult *q;

	ob_num_str(cr, sizeof(cr), charge_refunded);
	if ((q = ob_db_exec(db, OB_STMT_REF_INVOICE_SYNC, params, NULL)) == NULL)
		return -1;
	if (PQntuples(q) == 1 && org_id != NULL)
		*org_id = ob_row_i64(q, 0, "org_id");
	PQclear(q);
	return 0;
}

int
ob_refunds_apply_stripe(struct ob_db *db, const cJSON *refund, const char *invoice_hint,
    int64_t *org_id, struct ob_fail *f)
{
	const char *id = ob_json_str(refund, "id"), *status = ob_json_str(refund, "status");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(refund, "metadata");
	const char *ours = ob_json_str(md, "orgbill_refund");
	const char *params[6];
	char amt[24], inv[24] = "";
	PGresult *q = NULL;
	int64_t amount;

	*org_id = 0;
	if (id == NULL || status == NULL || strlen(id) > 255)
		return ob_fail(f, OB_FAIL_INVALID, "refund_malformed", NULL, "The refund lacks id or status.");
	if (strcmp(status, "succeeded") != 0 && strcmp(status, "pending") != 0 &&
	    strcmp(status, "failed") != 0 && strcmp(status, "canceled") != 0 &&
	    strcmp(status, "requires_action") != 0)
		status = "pending";
	params[0] = id;
	params[1] = status;
	if ((q = ob_db_exec(db, OB_STMT_REF_SET_BY_STRIPE, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(q) == 0 && ours != NULL && strspn(ours, "0123456789") == strlen(ours) &&
	    strlen(ours) < 19) {
		PQclear(q);
		params[0] = ours;
		params[1] = id;
		params[2] = status;
		if ((q = ob_db_exec(db, OB_STMT_REF_SET_BY_ID, params, NULL)) == NULL)
			return ob_fail_db(f, db->lasterr);
	}
	/*
	 * Not recorded: made outside orgbill, or ours (metadata orgbill_refund)
	 * whose local record was lost (its transaction failed after Stripe
	 * refunded): added, so the refunded total is right either way.
	 */
	if (PQntuples(q) == 0 && invoice_hint != NULL && ob_num_json_get(refund, "amount", &amount) == 0 &&
	    amount > 0) {
		PQclear(q);
		ob_num_str(amt, sizeof(amt), amount);
		params[0] = id;
		params[1] = ob_json_id(refund, "charge") ? ob_json_id(refund, "charge") : "";
		params[2] = amt;
		params[3] = status;
		params[4] = invoice_hint;
		params[5] = ours != NULL ? "re-attached from Stripe (the local record was lost)" :
		    "refunded outside orgbill";
		if ((q = ob_db_exec(db, OB_STMT_REF_EXTERNAL, params, NULL)) == NULL)
			return ob_fail_db(f, db->lasterr);
	}
	if (PQntuples(q) == 1) {
		snprintf(inv, sizeof(inv), "%s", ob_row_str(q, 0, "invoice_id"));
		*org_id = ob_row_i64(q, 0, "org_id");
	}
	PQclear(q);
	if (inv[0] != '\0' && sync_invoice(db, inv, 0, NULL) != 0)
		return ob_fail_db(f, db->lasterr);
	return 0;
}

int
ob_refunds_apply_charge(struct ob_db *db, const cJSON *charge, int64_t *org_id, struct ob_fail *f)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(charge, "metadata");
	const char *inv = ob_json_id(charge, "invoice");
	const char *params[1];
	char local[24];
	int64_t refunded;
	PGresult *q;

	*org_id = 0;
	if (inv == NULL)
		inv = ob_json_str(md, "invoice");
	if (inv == NULL)
		return 0;
	refunded = ob_num_json_or(charge, "amount_refunded", 0);
	params[0] = inv;
	if ((q = ob_db_exec(db, OB_STMT_INV_ORG_OF_STRIPE, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(q) != 1) {
		PQclear(q);
		return 0;
	}
	snprintf(local, sizeof(local), "%s", ob_row_str(q, 0, "id"));
	PQclear(q);
	if (sync_invoice(db, local, refunded, org_id) != 0)
		return ob_fail_db(f, db->lasterr);
	return 0;
}
