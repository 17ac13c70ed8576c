/*
 * Extra-task usage billed as one Stripe invoice item per org and finished
 * credit period. See invoices.h.
 */
#include "invoices/invoices.h"
#include "invoices/invoices_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credits/credits.h"
#include "base/log.h"
#include "base/row.h"
#include "base/num.h"
#include "base/json.h"

/* One org's extra tasks of one period, being billed: the figures as statement text. */
struct extra {
	int64_t org_id;
	const char *period;	/* YYYY-MM-DD */
	char org[24], tasks[24], credits[24], amount[24];
};

/*
 * Claim x's (org, period) row in its own transaction: 1 when it is still
 * pending (its claimed figures into x), 0 when another run dealt with it,
 * -1 on a failure. Committed either way.
 */
static int
extra_claim(struct ob_db *db, struct extra *x)
{
	const char *params[5] = { x->org, x->period, x->tasks, x->credits, x->amount };
	int64_t tasks = 0, credits = 0, amount = 0;
	PGresult *q;

	if (ob_credits_extra_usage(db, x->org_id, x->period, &tasks, &credits) != 0)
		return -1;
	ob_num_str(x->org, sizeof(x->org), x->org_id);
	/* Checked: a price that overflows or passes Stripe's cap is not billed (retried, logged). */
	if (ob_invoices_credit_amount(credits, ob_invoices_price_per_1000(), OB_INVOICES_AMOUNT_MAX,
	    &amount) != 0) {
		ob_log(OB_LOG_ERROR, "extra_tasks", "org %s period %s: %lld credits price beyond the cap",
		    x->org, x->period, (long long)credits);
		return -1;
	}
	ob_num_str(x->tasks, sizeof(x->tasks), tasks);
	ob_num_str(x->credits, sizeof(x->credits), credits);
	ob_num_str(x->amount, sizeof(x->amount), amount);
	if (ob_db_begin(db) != 0)
		return -1;
	/* Claim the (org, period) row; a concurrent run waits here, then sees it done. */
	if (ob_db_run(db, OB_STMT_ETI_CLAIM, params) != 0)
		goto fail;
	if ((q = ob_db_exec(db, OB_STMT_ETI_LOCK, params, NULL)) == NULL)
		goto fail;
	if (PQntuples(q) != 1 || strcmp(ob_row_str(q, 0, "status"), "pending") != 0) {
		PQclear(q);
		return ob_db_commit(db) == 0 ? 0 : -1;
	}
	/* The claimed figures are the ones billed, even if a retry reads later usage. */
	snprintf(x->tasks, sizeof(x->tasks), "%s", ob_row_str(q, 0, "tasks"));
	snprintf(x->credits, sizeof(x->credits), "%s", ob_row_str(q, 0, "credits"));
	snprintf(x->amount, sizeof(x->amount), "%s", ob_row_str(q, 0, "amount"));
	PQclear(q);
	/*
	 * The claim is committed before Stripe is called: no row lock is held
	 * across the call. A concurrent run that bills the same pending row
	 * makes the same keyed Stripe call (per org and period), which replays.
	 */
	return ob_db_commit(db) == 0 ? 1 : -1;
fail:
	ob_db_rollback(db);
	return -1;
}

/* Record x as skipped (why: reason), with its audit row. 0 or -1. */
static int
extra_skip(struct ob_db *db, const struct extra *x, const char *reason)
{
	struct ob_actx ax = { db, NULL, "jobs", NULL, NULL, 0 };
	const char *params[4] = { x->org, x->period, "skipped", "" };
	cJSON *after;
	int rc;

	if (ob_db_run(db, OB_STMT_ETI_DONE, params) != 0)
		return -1;
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "period_start", x->period);
	cJSON_AddStringToObject(after, "tasks", x->tasks);
	cJSON_AddStringToObject(after, "reason", reason);
	rc = ob_audit_write(&ax, x->org_id, "invoice.extra_tasks_skipped", "organization", x->org, NULL,
	    after);
	cJSON_Delete(after);
	return rc == 0 ? 0 : -1;
}

/*
 * x's Stripe invoice item for customer (keyed per org and period), then
 * recorded and audited in a transaction it begins and leaves open for the
 * caller to commit. 0 or -1 (a transaction may be open: roll it back).
 */
static int
extra_bill(struct ob_db *db, struct ob_stripe *st, const struct extra *x, const char *customer)
{
	struct ob_actx ax = { db, NULL, "jobs", NULL, NULL, 0 };
	const char *params[4] = { x->org, x->period, "created", NULL };
	char opid[64], desc[160];
	struct ob_stripe_result res = { 0 };
	struct ob_fail f = { 0 };
	cJSON *body, *md, *after;
	int rc = -1;

	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "customer", customer);
	cJSON_AddStringToObject(body, "amount", x->amount);
	cJSON_AddStringToObject(body, "currency", "usd");
	snprintf(desc, sizeof(desc), "Extra tasks %s: %s tasks, %s credits", x->period, x->tasks,
	    x->credits);
	cJSON_AddStringToObject(body, "description", desc);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_kind", "extra_tasks");
	cJSON_AddStringToObject(md, "orgbill_org", x->org);
	cJSON_AddStringToObject(md, "orgbill_period", x->period);
	snprintf(opid, sizeof(opid), "%s-%s", x->org, x->period);
	if (ob_inv_stripe_call(st, "POST", "/v1/invoiceitems", body, "extra-tasks", opid, &res, &f) != 0) {
		ob_log(OB_LOG_WARN, "extra_tasks", "org %s period %s: %s", x->org, x->period, f.message);
		goto out;
	}
	params[3] = ob_json_str(res.body, "id");
	if (params[3] == NULL || ob_db_begin(db) != 0)
		goto out;
	if (ob_db_run(db, OB_STMT_ETI_DONE, params) != 0)
		goto out;
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "period_start", x->period);
	cJSON_AddStringToObject(after, "tasks", x->tasks);
	cJSON_AddStringToObject(after, "credits", x->credits);
	cJSON_AddStringToObject(after, "amount", x->amount);
	cJSON_AddStringToObject(after, "invoice_item", params[3]);
	rc = ob_audit_write(&ax, x->org_id, "invoice.extra_tasks_billed", "organization", x->org, NULL,
	    after) == 0 ? 0 : -1;
	cJSON_Delete(after);
out:
	ob_stripe_result_clear(&res);
	cJSON_Delete(body);
	return rc;
}

/* Bill one org's extra tasks of one period. 1 when an item was made, 0, -1. */
static int
extra_one(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *period)
{
	struct extra x = { 0 };
	struct ob_fail f = { 0 };
	char customer[128];
	int64_t amount;
	int rc;

	x.org_id = org_id;
	x.period = period;
	if ((rc = extra_claim(db, &x)) <= 0)
		return rc;
	if (ob_num_parse(x.amount, INT64_MIN, INT64_MAX, &amount) != 0)
		amount = 0;
	/* Stripe first (no transaction open), then the record in its own transaction. */
	if (amount <= 0 || ob_invoices_customer(db, st, org_id, 0, customer, sizeof(customer), &f) != 0) {
		if (ob_db_begin(db) != 0)
			return -1;
		/* Nothing to bill (or no customer to bill it to): recorded, not retried. */
		rc = extra_skip(db, &x, amount <= 0 ? "zero amount" : "no Stripe customer");
	} else if ((rc = extra_bill(db, st, &x, customer)) == 0) {
		rc = 1;
	}
	if (rc < 0 || ob_db_commit(db) != 0) {
		ob_db_rollback(db);
		return -1;
	}
	return rc;
}

int
ob_invoices_extra_tasks_run(struct ob_db *db, struct ob_stripe *st, int *created)
{
	PGresult *q;
	int i, r, rc = 0;

	*created = 0;
	if (st == NULL)
		return 0;
	if ((q = ob_db_exec(db, OB_STMT_ETI_CANDIDATES, NULL, NULL)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(q); i++) {
		r = extra_one(db, st, ob_row_i64(q, i, "org_id"), ob_row_str(q, i, "period_start"));
		if (r > 0)
			(*created)++;
		else if (r < 0)
			rc = -1;
	}
	PQclear(q);
	return rc;
}
