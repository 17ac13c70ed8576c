/*
 * Budget exception requests and their approval chains (budgets.h,
 * docs/BUDGETS.md). The routing, the decisions and their effects are SQL
 * functions (030_budget_approvals.sql), each one statement under the
 * request's row lock; this file checks input, audits and answers.
 */
#include "credits/budgets.h"
#include "base/cfg.h"
#include "base/json.h"
#include "base/num.h"
#include "base/row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

/* Row i of a BUDGET_REQ_LIST result as a request object. */
static cJSON *
request_json(PGresult *res, int i)
{
	static const char *const strs[] = { "id", "budget_id", "scope", "requester_id",
	    "requester_email", "kind", "reason", "status", "department", "period_start",
	    "created_at" };
	cJSON *o = cJSON_CreateObject(), *steps = NULL;
	const char *p = ob_row_str(res, i, "steps");
	size_t k, n;
	char one[32];

	cJSON_AddStringToObject(o, "object", "budget_request");
	for (k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
		cJSON_AddStringToObject(o, strs[k], ob_row_str(res, i, strs[k]));
	ob_json_add_i64(o, "amount_credits", ob_row_i64(res, i, "amount_credits"));
	ob_json_add_i64(o, "amount_minor", ob_row_i64(res, i, "amount_minor"));
	steps = cJSON_AddArrayToObject(o, "steps");
	while (*p != '\0') {
		n = strcspn(p, ",");
		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) - 1 ? n : sizeof(one) - 1), p);
		cJSON_AddItemToArray(steps, cJSON_CreateString(one));
		p += n + (p[n] == ',');
	}
	ob_json_add_i64(o, "step", ob_row_i64(res, i, "step"));
	cJSON_AddBoolToObject(o, "may_decide", ob_row_bool(res, i, "may_decide"));
	cJSON_AddItemToObject(o, "decisions", cJSON_Parse(ob_row_str(res, i, "decisions")));
	return o;
}

/* REQ_LIST rows as an array, or NULL (db). */
static cJSON *
request_rows(struct ob_db *db, int64_t org_id, int64_t member_id, int64_t viewer_id,
    const char *status, int limit, int64_t id)
{
	char org[24], lim[24], mem[24], rid[24], who[24];
	const char *params[6] = { org, lim, mem, status, rid, who };
	PGresult *res;
	cJSON *a;
	int i;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), limit);
	ob_num_str(mem, sizeof(mem), member_id);
	ob_num_str(rid, sizeof(rid), id);
	ob_num_str(who, sizeof(who), viewer_id);
	if ((res = ob_db_exec(db, OB_STMT_BUDGET_REQ_LIST, params, NULL)) == NULL)
		return NULL;
	a = cJSON_CreateArray();
	for (i = 0; i < PQntuples(res); i++)
		cJSON_AddItemToArray(a, request_json(res, i));
	PQclear(res);
	return a;
}

cJSON *
ob_approval_list(struct ob_db *db, int64_t org_id, int64_t member_id, int64_t viewer_id,
    const char *status, int limit, struct ob_fail *f)
{
	cJSON *a = request_rows(db, org_id, member_id, viewer_id, status, limit, 0), *o;

	if (a == NULL) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "list");
	cJSON_AddItemToObject(o, "data", a);
	cJSON_AddBoolToObject(o, "has_more", 0);
	return o;
}

/* One request as its object (inside the caller's transaction), or NULL. */
static cJSON *
request_one(struct ob_db *db, int64_t org_id, int64_t id, int64_t viewer_id)
{
	cJSON *a = request_rows(db, org_id, 0, viewer_id, "all", 1, id), *o = NULL;

	if (a != NULL && cJSON_GetArraySize(a) == 1)
		o = cJSON_DetachItemFromArray(a, 0);
	cJSON_Delete(a);
	return o;
}

/* The request's answer and audit row, then commit: the object or NULL with f. */
static cJSON *
request_done(const struct ob_actx *ax, int64_t org_id, int64_t id, int64_t viewer_id,
    const char *action, struct ob_fail *f)
{
	char rid[24];
	cJSON *o;

	ob_num_str(rid, sizeof(rid), id);
	if ((o = request_one(ax->db, org_id, id, viewer_id)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		return NULL;
	}
	if (ob_audit_commit(ax, org_id, action, "budget_request", rid, NULL, o, f) != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
ob_approval_create(const struct ob_actx *ax, int64_t org_id, int64_t user_id, int own,
    int64_t budget_id, const char *kind, int64_t amount, const char *reason, struct ob_fail *f)
{
	char org[24], bud[24], user[24], amt[24], price[24];
	const char *params[8] = { org, bud, user, own ? "true" : "false", kind, amt, price, reason };
	PGresult *res;
	int64_t id = 0;

	if (amount < 1 || amount > OB_APPROVAL_AMOUNT_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount_credits",
		    "amount_credits must be a whole number from 1 to %lld.",
		    (long long)OB_APPROVAL_AMOUNT_MAX);
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(bud, sizeof(bud), budget_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_num_str(amt, sizeof(amt), amount);
	ob_num_str(price, sizeof(price), ob_cfg_env_int("ORGBILL_CREDIT_PRICE_PER_1000"));
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_BUDGET_REQ_CREATE, params, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		return NULL;
	}
	if (strcmp(ob_row_str(res, 0, "status"), "ok") == 0)
		id = ob_row_i64(res, 0, "request_id");
	PQclear(res);
	if (id == 0) {
		ob_db_rollback(ax->db);
		ob_fail(f, OB_FAIL_NOT_FOUND, "budget_not_found", "budget_id",
		    "No active budget with this id above you in the organization.");
		return NULL;
	}
	return request_done(ax, org_id, id, user_id, "budget_request.create", f);
}

/* A refused decision's failure, from the function's status. */
static void
decide_refusal(const char *st, const char *request_status, struct ob_fail *f)
{
	if (strcmp(st, "not_found") == 0)
		ob_fail(f, OB_FAIL_NOT_FOUND, "request_not_found", "request_id",
		    "No budget request with this id in the organization.");
	else if (strcmp(st, "not_pending") == 0)
		ob_fail(f, OB_FAIL_CONFLICT, "request_not_pending", NULL,
		    "The request is already %s.", request_status);
	else
		ob_fail(f, OB_FAIL_FORBIDDEN, "not_your_decision", NULL,
		    "This request awaits someone else's decision (requesters cancel; "
		    "approvers decide their own step, never their own request).");
}

cJSON *
ob_approval_decide(const struct ob_actx *ax, int64_t org_id, int64_t request_id,
    int64_t user_id, const char *decision, const char *comment, struct ob_fail *f)
{
	char org[24], rid[24], user[24], action[48], rs[16];
	const char *params[5] = { org, rid, user, decision, comment };
	PGresult *res;
	int ok;

	if (strcmp(decision, "reject") == 0 && (comment == NULL || strlen(comment) < 3)) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "comment",
		    "Say why the request is rejected (comment, 3 to 500 characters).");
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(rid, sizeof(rid), request_id);
	ob_num_str(user, sizeof(user), user_id);
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_BUDGET_REQ_DECIDE, params, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		return NULL;
	}
	ok = strcmp(ob_row_str(res, 0, "status"), "ok") == 0;
	snprintf(rs, sizeof(rs), "%s", ob_row_str(res, 0, "request_status"));
	if (!ok) {
		decide_refusal(ob_row_str(res, 0, "status"), rs, f);
		PQclear(res);
		ob_db_rollback(ax->db);
		return NULL;
	}
	PQclear(res);
	snprintf(action, sizeof(action), "budget_request.%s", decision);
	return request_done(ax, org_id, request_id, user_id, action, f);
}

cJSON *
ob_approval_settings_set(const struct ob_actx *ax, int64_t org_id, int64_t minor,
    struct ob_fail *f)
{
	char org[24], amt[24];
	const char *params[2] = { org, amt };
	PGresult *res;
	cJSON *o, *before;

	if (minor < 0 || minor > OB_BUDGET_MINOR_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "auto_approve_minor",
		    "auto_approve_minor must be a whole number of minor units, 0 or more.");
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(amt, sizeof(amt), minor);
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_BUDGET_AUTO_SET, params, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		return NULL;
	}
	before = cJSON_CreateObject();
	ob_json_add_i64(before, "auto_approve_minor", ob_row_i64(res, 0, "old_minor"));
	PQclear(res);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "approval_settings");
	ob_json_add_i64(o, "auto_approve_minor", minor);
	if (ob_audit_commit(ax, org_id, "approvals.settings", "organization", org, before, o,
	    f) != 0) {
		cJSON_Delete(o);
		o = NULL;
	}
	cJSON_Delete(before);
	return o;
}
