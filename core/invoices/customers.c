/*
 * The org's Stripe customer: found, or made at Stripe and stored; the org
 * a customer belongs to; whether an org exists. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"

#include <stdio.h>

#include "base/row.h"
#include "base/num.h"
#include "base/json.h"

int
ob_invoices_customer(struct ob_db *db, struct ob_stripe *st, int64_t org_id, int create,
    char *out, size_t len, struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, NULL };
	struct ob_stripe_result res;
	PGresult *q;
	cJSON *body = NULL, *md;
	int rc = -1;

	out[0] = '\0';
	ob_num_str(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_CUSTOMER_OF_ORG, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(q) == 1 && !ob_row_null(q, 0, "stripe_customer_id"))
		snprintf(out, len, "%s", ob_row_str(q, 0, "stripe_customer_id"));
	PQclear(q);
	if (out[0] != '\0')
		return 0;
	if (!create)
		return 1;
	if ((q = ob_db_exec(db, OB_STMT_INV_ORG_INFO, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(q) != 1) {
		PQclear(q);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", ob_row_str(q, 0, "name"));
	if (ob_row_str(q, 0, "email")[0] != '\0')
		cJSON_AddStringToObject(body, "email", ob_row_str(q, 0, "email"));
	PQclear(q);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	if (ob_inv_stripe_call(st, "POST", "/v1/customers", body, "customer-org", org, &res, f) != 0)
		goto out;
	if (ob_json_str(res.body, "id") == NULL) {
		ob_stripe_result_clear(&res);
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "Stripe gave no customer id.");
		goto out;
	}
	params[1] = ob_json_str(res.body, "id");
	q = ob_db_exec(db, OB_STMT_INV_SET_CUSTOMER, params, NULL);
	ob_stripe_result_clear(&res);
	if (q == NULL) {
		ob_fail_db(f, db->lasterr);
		goto out;
	}
	/* A concurrent first call may have stored its (same, idempotent) id. */
	snprintf(out, len, "%s", ob_row_str(q, 0, "stripe_customer_id"));
	PQclear(q);
	rc = 0;
out:
	cJSON_Delete(body);
	return rc;
}

int64_t
ob_invoices_org_of_customer(struct ob_db *db, const char *customer)
{
	const char *params[1] = { customer };
	int64_t org;

	if (customer == NULL || *customer == '\0')
		return 0;
	return ob_db_one_i64(db, OB_STMT_INV_ORG_OF_CUSTOMER, params, "org_id", &org) == 0 ? org : -1;
}

int
ob_invoices_org_exists(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *q;
	int n;

	if (org_id <= 0)
		return 0;
	ob_num_str(org, sizeof(org), org_id);
	if ((q = ob_db_exec(db, OB_STMT_INV_ORG_INFO, params, NULL)) == NULL)
		return -1;
	n = PQntuples(q);
	PQclear(q);
	return n == 1;
}
