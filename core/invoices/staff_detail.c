/*
 * One customer for staff (staff.h): the org, its subscription and
 * schedule, seats, members, credits, invoices, refunds, subscription
 * history and audit trail, read from the database only.
 */
#include "invoices/staff.h"

#include <stdio.h>
#include <string.h>

#include "base/db_json.h"
#include "base/json.h"
#include "base/num.h"
#include "base/row.h"
#include "credits/credits.h"

/* The org's row and its subscription (or null) into d. */
static void
add_org(cJSON *d, const PGresult *res)
{
	static const struct ob_col org_cols[] = {
		{ "id", OB_COL_STR }, { "name", OB_COL_STR }, { "slug", OB_COL_STR },
		{ "status", OB_COL_STR }, { "dunning", OB_COL_STR }, { "created_at", OB_COL_STR },
		{ NULL, OB_COL_SKIP },
	};
	static const struct ob_col sub_cols[] = {
		{ "plan_code", OB_COL_STR }, { "cycle", OB_COL_STR }, { "currency", OB_COL_STR },
		{ "subscription_status", OB_COL_STR }, { "stripe_subscription_id", OB_COL_STR },
		{ "cancel_at_period_end", OB_COL_BOOL }, { NULL, OB_COL_SKIP },
	};
	/* Optional: null when there is none. */
	static const char *const optional[] = {
		"current_period_start", "current_period_end", "trial_end", "canceled_at",
		"scheduled_plan_code", "scheduled_cycle", "stripe_schedule_id",
	};
	static const char *const org_optional[] = {
		"suspended_reason", "billing_email", "stripe_customer_id",
	};
	cJSON *org = ob_db_row_json(res, 0, org_cols), *sub, *seats;
	size_t i;

	for (i = 0; i < sizeof(org_optional) / sizeof(org_optional[0]); i++)
		ob_db_add_text(org, res, 0, org_optional[i]);
	cJSON_AddItemToObject(d, "org", org);
	seats = cJSON_AddObjectToObject(d, "seats");
	ob_json_add_i64(seats, "used", ob_row_i64(res, 0, "seats_used"));
	ob_json_add_i64(seats, "purchased", ob_row_i64(res, 0, "seats_purchased"));
	if (!ob_row_bool(res, 0, "has_subscription")) {
		cJSON_AddNullToObject(d, "subscription");
		return;
	}
	sub = ob_db_row_json(res, 0, sub_cols);
	ob_json_add_i64(sub, "seats", ob_row_i64(res, 0, "seats_purchased"));
	ob_json_add_i64(sub, "unit_amount", ob_row_i64(res, 0, "unit_amount"));
	ob_json_add_i64(sub, "mrr", ob_row_i64(res, 0, "mrr"));
	ob_db_add_i64(sub, res, 0, "scheduled_seats");
	for (i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		ob_db_add_text(sub, res, 0, optional[i]);
	cJSON_AddItemToObject(d, "subscription", sub);
}

/* Run s for the org; its rows as an array under name in d (cols). 0 or -1. */
static int
add_rows(struct ob_db *db, cJSON *d, const char *name, enum ob_stmt s, const char *org,
    const struct ob_col *cols, const char *const *ints)
{
	const char *params[1] = { org };
	PGresult *res;
	cJSON *arr, *o;
	int i;
	size_t k;

	if ((res = ob_db_exec(db, s, params, NULL)) == NULL)
		return -1;
	arr = cJSON_AddArrayToObject(d, name);
	for (i = 0; i < PQntuples(res); i++) {
		o = ob_db_row_json(res, i, cols);
		for (k = 0; ints != NULL && ints[k] != NULL; k++)
			ob_json_add_i64(o, ints[k], ob_row_i64(res, i, ints[k]));
		cJSON_AddItemToArray(arr, o);
	}
	PQclear(res);
	return 0;
}

static const struct ob_col member_cols[] = {
	{ "id", OB_COL_STR }, { "email", OB_COL_STR }, { "name", OB_COL_STR },
	{ "role", OB_COL_STR }, { "status", OB_COL_STR }, { "last_active_at", OB_COL_STR },
	{ "last_sign_in_at", OB_COL_STR }, { NULL, OB_COL_SKIP },
};
static const struct ob_col invoice_cols[] = {
	{ "id", OB_COL_STR }, { "internal_id", OB_COL_STR }, { "number", OB_COL_STR },
	{ "status", OB_COL_STR }, { "currency", OB_COL_STR }, { "hosted_invoice_url", OB_COL_STR },
	{ "invoice_pdf", OB_COL_STR }, { "stripe_invoice_id", OB_COL_STR },
	{ "stripe_created", OB_COL_STR }, { NULL, OB_COL_SKIP },
};
static const char *const invoice_ints[] = {
	"total", "amount_paid", "amount_refunded", "refundable", NULL,
};
static const struct ob_col refund_cols[] = {
	{ "id", OB_COL_STR }, { "invoice_id", OB_COL_STR }, { "currency", OB_COL_STR },
	{ "reason", OB_COL_STR }, { "status", OB_COL_STR }, { "requested_by", OB_COL_STR },
	{ "created_at", OB_COL_STR }, { NULL, OB_COL_SKIP },
};
static const char *const amount_int[] = { "amount", NULL };
static const struct ob_col operation_cols[] = {
	{ "id", OB_COL_STR }, { "kind", OB_COL_STR }, { "status", OB_COL_STR },
	{ "params", OB_COL_JSON }, { "created_at", OB_COL_STR }, { "finished_at", OB_COL_STR },
	{ NULL, OB_COL_SKIP },
};
static const struct ob_col audit_cols[] = {
	{ "id", OB_COL_STR }, { "actor_type", OB_COL_STR }, { "actor_id", OB_COL_STR },
	{ "action", OB_COL_STR }, { "target_type", OB_COL_STR }, { "target_id", OB_COL_STR },
	{ "reason", OB_COL_STR }, { "created_at", OB_COL_STR }, { NULL, OB_COL_SKIP },
};

/* The org's pool and the first page of member allocations into d. 0 or -1. */
static int
add_credits(struct ob_db *db, cJSON *d, int64_t org_id)
{
	cJSON *c = cJSON_AddObjectToObject(d, "credits"), *pool, *alloc;

	if ((pool = ob_credits_status(db, org_id)) == NULL)
		return -1;
	cJSON_AddItemToObject(c, "pool", pool);
	if ((alloc = ob_credits_allocations(db, org_id, 0, 100, 0)) == NULL)
		return -1;
	cJSON_AddItemToObject(c, "allocations", alloc);
	return 0;
}

int
ob_staff_customer(struct ob_db *db, int64_t org_id, cJSON **out, struct ob_fail *f)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	cJSON *d;

	*out = NULL;
	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_STAFF_CUSTOMER_ORG, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(res) != 1) {
		PQclear(res);
		return ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
	}
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "object", "staff_customer");
	add_org(d, res);
	PQclear(res);
	if (add_rows(db, d, "members", OB_STMT_STAFF_CUSTOMER_MEMBERS, org, member_cols, NULL) != 0 ||
	    add_credits(db, d, org_id) != 0 ||
	    add_rows(db, d, "invoices", OB_STMT_STAFF_CUSTOMER_INVOICES, org, invoice_cols,
	    invoice_ints) != 0 ||
	    add_rows(db, d, "refunds", OB_STMT_STAFF_CUSTOMER_REFUNDS, org, refund_cols,
	    amount_int) != 0 ||
	    add_rows(db, d, "subscription_events", OB_STMT_STAFF_CUSTOMER_OPERATIONS, org,
	    operation_cols, NULL) != 0 ||
	    add_rows(db, d, "audit", OB_STMT_STAFF_CUSTOMER_AUDIT, org, audit_cols, NULL) != 0) {
		cJSON_Delete(d);
		return ob_fail_db(f, db->lasterr);
	}
	*out = d;
	return 0;
}
