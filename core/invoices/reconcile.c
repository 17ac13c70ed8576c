/*
 * Reconcile: every known customer's newest invoices brought in step with
 * Stripe through the mirror. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"

#include <string.h>
#include <time.h>

#include "stripe/form.h"
#include "base/log.h"
#include "base/row.h"
#include "base/json.h"

int
ob_inv_reconcile_customer(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *customer,
    int max, int *applied)
{
	struct ob_stripe_result res;
	struct ob_fail f = { 0 };
	struct ob_buf path = OB_BUF_INIT;
	const cJSON *data, *inv;
	int64_t local;
	int rc = -1;

	ob_buf_printf(&path, "/v1/invoices?limit=%d&customer=", max);
	ob_stripe_form_escape(&path, customer, strlen(customer));
	if (ob_inv_stripe_call(st, "GET", path.data, NULL, "", "", &res, &f) != 0) {
		ob_log(OB_LOG_WARN, "invoices_reconcile", "%s: %s", customer, f.message);
		goto out;
	}
	data = cJSON_GetObjectItemCaseSensitive(res.body, "data");
	cJSON_ArrayForEach(inv, data) {
		if (ob_invoices_apply_stripe(db, org_id, inv, (int64_t)time(NULL), &local, &f) != 0) {
			ob_log(OB_LOG_WARN, "invoices_reconcile", "%s: %s",
			    ob_json_str_or(inv, "id", "?"), f.message);
			if (f.kind == OB_FAIL_DB) {
				ob_stripe_result_clear(&res);
				goto out;
			}
			continue;
		}
		if (local != 0)
			(*applied)++;
	}
	ob_stripe_result_clear(&res);
	rc = 0;
out:
	ob_buf_free(&path);
	return rc;
}

int
ob_invoices_reconcile(struct ob_db *db, struct ob_stripe *st, int max_per_customer, int *applied)
{
	PGresult *q;
	int i, rc = 0;

	*applied = 0;
	if (st == NULL)
		return 0;
	if (max_per_customer < 1 || max_per_customer > 100)
		max_per_customer = 20;
	if ((q = ob_db_exec(db, OB_STMT_INV_CUSTOMERS_ALL, NULL, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(q); i++) {
		if (ob_inv_reconcile_customer(db, st, ob_row_i64(q, i, "org_id"),
		    ob_row_str(q, i, "stripe_customer_id"), max_per_customer,
		    applied) != 0 && db->conn != NULL && PQstatus(db->conn) != CONNECTION_OK) {
			rc = -1;
			break;
		}
	}
	PQclear(q);
	return rc;
}
