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

/* Bill one org's extra tasks of one period. 1 when an item was made, 0, -1. */
static int
extra_one(struct ob_db *db, struct ob_stripe *st, int64_t org_id, const char *period)
{
	struct ob_actx ax = { db, NULL, "jobs", NULL, NULL, 0 };
	char org[24], tasks_s[24], credits_s[24], amount_s[24], customer[128], opid[64], desc[160];
	const char *params[5] = { org, period, tasks_s, credits_s, amount_s };
	struct ob_stripe_result res = { 0 };
	struct ob_fail f = { 0 };
	int64_t tasks = 0, credits = 0, amount;
	PGresult *q;
	cJSON *body = NULL, *md, *after;
	int rc = -1, have;

	if (ob_credits_extra_usage(db, org_id, period, &tasks, &credits) != 0)
		return -1;
	amount = ob_invoices_credit_price(credits, ob_invoices_price_per_1000());
	ob_inv_fmt_i64(org, sizeof(org), org_id);
	ob_inv_fmt_i64(tasks_s, sizeof(tasks_s), tasks);
	ob_inv_fmt_i64(credits_s, sizeof(credits_s), credits);
	ob_inv_fmt_i64(amount_s, sizeof(amount_s), amount);
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
	snprintf(tasks_s, sizeof(tasks_s), "%s", ob_row_str(q, 0, "tasks"));
	snprintf(credits_s, sizeof(credits_s), "%s", ob_row_str(q, 0, "credits"));
	snprintf(amount_s, sizeof(amount_s), "%s", ob_row_str(q, 0, "amount"));
	PQclear(q);
	amount = strtoll(amount_s, NULL, 10);
	if (amount <= 0 || ob_invoices_customer(db, st, org_id, 0, customer, sizeof(customer), &f) != 0) {
		const char *p4[4] = { org, period, "skipped", "" };

		/* Nothing to bill (or no customer to bill it to): recorded, not retried. */
		if (ob_db_run(db, OB_STMT_ETI_DONE, p4) != 0)
			goto fail;
		after = cJSON_CreateObject();
		cJSON_AddStringToObject(after, "period_start", period);
		cJSON_AddStringToObject(after, "tasks", tasks_s);
		cJSON_AddStringToObject(after, "reason", amount <= 0 ? "zero amount" : "no Stripe customer");
		rc = ob_audit_write(&ax, org_id, "invoice.extra_tasks_skipped", "organization", org, NULL, after);
		cJSON_Delete(after);
		if (rc != 0)
			goto fail;
		return ob_db_commit(db) == 0 ? 0 : -1;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "customer", customer);
	cJSON_AddStringToObject(body, "amount", amount_s);
	cJSON_AddStringToObject(body, "currency", "usd");
	snprintf(desc, sizeof(desc), "Extra tasks %s: %s tasks, %s credits", period, tasks_s, credits_s);
	cJSON_AddStringToObject(body, "description", desc);
	md = cJSON_AddObjectToObject(body, "metadata");
	cJSON_AddStringToObject(md, "orgbill_kind", "extra_tasks");
	cJSON_AddStringToObject(md, "orgbill_org", org);
	cJSON_AddStringToObject(md, "orgbill_period", period);
	snprintf(opid, sizeof(opid), "%s-%s", org, period);
	if (ob_inv_stripe_call(st, "POST", "/v1/invoiceitems", body, "extra-tasks", opid, &res, &f) != 0) {
		ob_log(OB_LOG_WARN, "extra_tasks", "org %s period %s: %s", org, period, f.message);
		goto fail;
	}
	{
		const char *p4[4] = { org, period, "created", ob_invoices_jstr(res.body, "id") };

		if (p4[3] == NULL || ob_db_run(db, OB_STMT_ETI_DONE, p4) != 0)
			goto fail;
	}
	after = cJSON_CreateObject();
	cJSON_AddStringToObject(after, "period_start", period);
	cJSON_AddStringToObject(after, "tasks", tasks_s);
	cJSON_AddStringToObject(after, "credits", credits_s);
	cJSON_AddStringToObject(after, "amount", amount_s);
	cJSON_AddStringToObject(after, "invoice_item", ob_invoices_jstr(res.body, "id"));
	have = ob_audit_write(&ax, org_id, "invoice.extra_tasks_billed", "organization", org, NULL, after);
	cJSON_Delete(after);
	if (have != 0 || ob_db_commit(db) != 0)
		goto fail;
	rc = 1;
	goto out;
fail:
	ob_db_rollback(db);
	rc = -1;
out:
	ob_stripe_result_clear(&res);
	cJSON_Delete(body);
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
