/*
 * Budgets: writing and reading them, and teams (budgets.h, docs/BUDGETS.md).
 */
#include "credits/budgets.h"
#include "identity/mutation.h"
#include "base/cfg.h"
#include "base/json.h"
#include "base/num.h"
#include "base/row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

int64_t
ob_budget_limit(int has_credits, int64_t credits, int has_minor, int64_t minor,
    int64_t price_per_1000)
{
	int64_t m;

	if (!has_minor)
		return has_credits ? credits : -1;
	if (price_per_1000 < 1 || minor < 0 || minor > OB_BUDGET_MINOR_MAX)
		return -1;
	/* minor ≤ 10^12, so minor × 1000 fits; division of non-negatives floors. */
	m = minor * 1000 / price_per_1000;
	return has_credits && credits < m ? credits : m;
}

int
ob_budget_thresholds(const char *s, char *out, size_t len)
{
	int seen[101] = { 0 }, n = 0, v, t;
	const char *p = s;
	size_t o = 0;

	if (s == NULL || len < 20)
		return -1;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (v = 0; *p >= '0' && *p <= '9'; p++)
			if ((v = v * 10 + (*p - '0')) > 100)
				return -1;
		while (*p == ' ')
			p++;
		if (v < 1 || (*p != ',' && *p != '\0'))
			return -1;
		if (*p == ',' && *++p == '\0')
			return -1;
		if (!seen[v]++ && ++n > OB_BUDGET_THRESHOLDS_MAX)
			return -1;
	}
	if (n == 0)
		return -1;
	out[0] = '\0';
	for (t = 1; t <= 100; t++)
		if (seen[t])
			o += (size_t)snprintf(out + o, len - o, "%s%d", o > 0 ? "," : "", t);
	return 0;
}

/* Row i of a BUDGET_LIST result as a budget object. */
static cJSON *
budget_json(PGresult *res, int i)
{
	cJSON *o = cJSON_CreateObject(), *th = cJSON_AddArrayToObject(o, "thresholds");
	int64_t limit = ob_row_i64(res, i, "limit_credits"), spent = ob_row_i64(res, i, "spent");
	const char *p = ob_row_str(res, i, "thresholds");
	static const char *const strs[] = { "scope", "department", "team_id", "team_name",
	    "user_id", "email", "period", "mode", "currency", "name", "status", "period_start",
	    "period_end" };
	size_t k;

	cJSON_AddStringToObject(o, "object", "budget");
	cJSON_AddStringToObject(o, "id", ob_row_str(res, i, "id"));
	for (k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
		cJSON_AddStringToObject(o, strs[k], ob_row_str(res, i, strs[k]));
	if (ob_row_null(res, i, "amount_credits"))
		cJSON_AddNullToObject(o, "amount_credits");
	else
		ob_json_add_i64(o, "amount_credits", ob_row_i64(res, i, "amount_credits"));
	if (ob_row_null(res, i, "amount_minor"))
		cJSON_AddNullToObject(o, "amount_minor");
	else
		ob_json_add_i64(o, "amount_minor", ob_row_i64(res, i, "amount_minor"));
	for (; *p != '\0'; p += strcspn(p, ","), p += *p == ',')
		cJSON_AddItemToArray(th, cJSON_CreateNumber(atoi(p)));
	ob_json_add_i64(o, "limit_credits", limit);
	ob_json_add_i64(o, "spent", spent);
	ob_json_add_i64(o, "remaining", limit > spent ? limit - spent : 0);
	cJSON_AddBoolToObject(o, "over_limit", spent > limit);
	return o;
}

/* BUDGET_LIST of org (one budget when id is not 0) as an array, or NULL (db). */
static cJSON *
budget_rows(struct ob_db *db, int64_t org_id, const char *status, int64_t member_id,
    int64_t id)
{
	char org[24], mem[24], bid[24];
	const char *params[4] = { org, status, mem, bid };
	PGresult *res;
	cJSON *a;
	int i;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(mem, sizeof(mem), member_id);
	ob_num_str(bid, sizeof(bid), id);
	if ((res = ob_db_exec(db, OB_STMT_BUDGET_LIST, params, NULL)) == NULL)
		return NULL;
	a = cJSON_CreateArray();
	for (i = 0; i < PQntuples(res); i++)
		cJSON_AddItemToArray(a, budget_json(res, i));
	PQclear(res);
	return a;
}

cJSON *
ob_budget_list(struct ob_db *db, int64_t org_id, const char *status, int64_t member_id,
    struct ob_fail *f)
{
	cJSON *a, *o;

	if ((a = budget_rows(db, org_id, status, member_id, 0)) == NULL) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "list");
	cJSON_AddItemToObject(o, "data", a);
	cJSON_AddBoolToObject(o, "has_more", 0);
	return o;
}

/* One budget as its object (after a write, inside the transaction), or NULL. */
static cJSON *
budget_one(struct ob_db *db, int64_t org_id, int64_t id)
{
	cJSON *a = budget_rows(db, org_id, "all", 0, id), *o = NULL;

	if (a != NULL && cJSON_GetArraySize(a) == 1)
		o = cJSON_DetachItemFromArray(a, 0);
	cJSON_Delete(a);
	return o;
}

/* The amount of in: its limit and the price used into *limit, *price. 0 or -1 with f. */
static int
budget_amount(const struct ob_budget_in *in, int64_t *limit, int64_t *price, struct ob_fail *f)
{
	*price = in->has_minor ? ob_cfg_env_int("ORGBILL_CREDIT_PRICE_PER_1000") : 0;
	if (!in->has_credits && !in->has_minor)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "amount_credits",
		    "Give amount_credits, amount_minor or both.");
	if (in->has_credits && (in->amount_credits < 0 || in->amount_credits > OB_BUDGET_CREDITS_MAX))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount_credits",
		    "amount_credits must be a whole number from 0 to %lld.",
		    (long long)OB_BUDGET_CREDITS_MAX);
	if ((*limit = ob_budget_limit(in->has_credits, in->amount_credits, in->has_minor,
	    in->amount_minor, *price)) < 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount_minor",
		    "amount_minor must be a whole number of minor units from 0 to %lld.",
		    (long long)OB_BUDGET_MINOR_MAX);
	return 0;
}

/* The scope's target of in is valid and of org: 0, or -1 with f. */
static int
budget_target_ok(struct ob_db *db, int64_t org_id, const struct ob_budget_in *in,
    struct ob_fail *f)
{
	char org[24], user[24];
	const char *params[2] = { org, user };
	int64_t n = 0;

	if (strcmp(in->scope, "department") == 0 &&
	    !ob_mutation_text_ok(in->department, 1, OB_BUDGET_NAME_MAX))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "department",
		    "A department budget needs department (1 to 100 characters).");
	if (strcmp(in->scope, "team") == 0 && in->team_id <= 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "team_id",
		    "A team budget needs team_id.");
	if (strcmp(in->scope, "member") != 0)
		return 0;
	if (in->user_id <= 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "user_id",
		    "A member budget needs user_id.");
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), in->user_id);
	if (ob_db_one_i64(db, OB_STMT_BUDGET_MEMBER, params, "n", &n) != 0)
		return ob_fail_db(f, db->lasterr);
	if (n == 0)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
	return 0;
}

/* The actor's name for created_by ("user:ID", "api_key:ID", "system"). */
static void
budget_actor(const struct ob_actx *ax, char *out, size_t len)
{
	if (ax->who == NULL)
		snprintf(out, len, "system");
	else if (ax->who->kind == OB_PRINCIPAL_KEY)
		snprintf(out, len, "api_key:%lld", (long long)ax->who->key_id);
	else
		snprintf(out, len, "user:%lld", (long long)ax->who->user_id);
}

cJSON *
ob_budget_create(const struct ob_actx *ax, int64_t org_id, const struct ob_budget_in *in,
    struct ob_fail *f)
{
	char org[24], team[24], user[24], cr[24], mi[24], pr[24], lim[24], th[32], who[64];
	const char *dept = strcmp(in->scope, "department") == 0 ? in->department : NULL;
	const char *params[14] = { org, in->scope, dept,
	    strcmp(in->scope, "team") == 0 ? team : NULL,
	    strcmp(in->scope, "member") == 0 ? user : NULL, in->period,
	    in->mode != NULL ? in->mode : "hard", in->has_credits ? cr : NULL,
	    in->has_minor ? mi : NULL, in->has_minor ? pr : NULL, lim, th,
	    in->name != NULL ? in->name : "", who };
	const char *state = NULL;
	int64_t limit, price, id;
	PGresult *res;
	cJSON *o;

	if (budget_amount(in, &limit, &price, f) != 0)
		return NULL;
	if (ob_budget_thresholds(in->thresholds != NULL ? in->thresholds : "75,90,100", th,
	    sizeof(th)) != 0) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "thresholds",
		    "thresholds must be 1 to 5 percentages from 1 to 100, comma separated.");
		return NULL;
	}
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(team, sizeof(team), in->team_id);
	ob_num_str(user, sizeof(user), in->user_id);
	ob_num_str(cr, sizeof(cr), in->amount_credits);
	ob_num_str(mi, sizeof(mi), in->amount_minor);
	ob_num_str(pr, sizeof(pr), price);
	ob_num_str(lim, sizeof(lim), limit);
	budget_actor(ax, who, sizeof(who));
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if (budget_target_ok(ax->db, org_id, in, f) != 0) {
		ob_db_rollback(ax->db);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_BUDGET_INSERT, params, &state)) == NULL) {
		if (state != NULL && strcmp(state, "23503") == 0) {
			ob_db_rollback(ax->db);
			ob_fail(f, OB_FAIL_NOT_FOUND, "team_not_found", "team_id",
			    "No team with this team_id in the organization.");
			return NULL;
		}
		ob_mutation_failed(ax, state, f, "budget_exists", "scope",
		    "An active budget for this scope and period exists; change it instead.");
		return NULL;
	}
	id = ob_row_i64(res, 0, "id");
	PQclear(res);
	ob_num_str(pr, sizeof(pr), id);
	{
		const char *op[1] = { pr };

		if (ob_db_run(ax->db, OB_STMT_BUDGET_OPEN, op) != 0) {
			ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
			return NULL;
		}
	}
	if ((o = budget_one(ax->db, org_id, id)) == NULL) {
		ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
		return NULL;
	}
	if (ob_audit_commit(ax, org_id, "budget.create", "budget", pr, NULL, o, f) != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Run s and discard its result; its SQLSTATE into *state on failure. 0 or -1. */
static int
budget_exec(struct ob_db *db, enum ob_stmt s, const char *const *params, const char **state)
{
	PGresult *res = ob_db_exec(db, s, params, state);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The update's values over the locked row into the parameters. 0 or -1 with f. */
static int
budget_merge(PGresult *cur, const struct ob_budget_in *in, char v[6][24], char *th, size_t thlen,
    const char **params, struct ob_fail *f)
{
	struct ob_budget_in m = *in;
	int64_t limit, price;

	/* params: 2 mode, 3 credits, 4 minor, 5 price, 6 limit, 7 thresholds, 8 name, 9 status */
	params[2] = in->mode != NULL ? in->mode : ob_row_str(cur, 0, "mode");
	if (!in->has_credits && !in->has_minor) {
		m.has_credits = !ob_row_null(cur, 0, "amount_credits");
		m.amount_credits = m.has_credits ? ob_row_i64(cur, 0, "amount_credits") : 0;
		m.has_minor = !ob_row_null(cur, 0, "amount_minor");
		m.amount_minor = m.has_minor ? ob_row_i64(cur, 0, "amount_minor") : 0;
		price = m.has_minor ? ob_row_i64(cur, 0, "price_per_1000") : 0;
		limit = ob_row_i64(cur, 0, "limit_credits");
	} else if (budget_amount(&m, &limit, &price, f) != 0) {
		return -1;
	}
	ob_num_str(v[0], 24, m.amount_credits);
	ob_num_str(v[1], 24, m.amount_minor);
	ob_num_str(v[2], 24, price);
	ob_num_str(v[3], 24, limit);
	params[3] = m.has_credits ? v[0] : NULL;
	params[4] = m.has_minor ? v[1] : NULL;
	params[5] = m.has_minor ? v[2] : NULL;
	params[6] = v[3];
	if (ob_budget_thresholds(in->thresholds != NULL ? in->thresholds :
	    ob_row_str(cur, 0, "thresholds"), th, thlen) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "thresholds",
		    "thresholds must be 1 to 5 percentages from 1 to 100, comma separated.");
	params[7] = th;
	params[8] = in->name != NULL ? in->name : ob_row_str(cur, 0, "name");
	params[9] = in->status != NULL ? in->status : ob_row_str(cur, 0, "status");
	return 0;
}

cJSON *
ob_budget_update(const struct ob_actx *ax, int64_t org_id, int64_t budget_id,
    const struct ob_budget_in *in, struct ob_fail *f)
{
	char org[24], bid[24], v[6][24], th[32];
	const char *params[10] = { org, bid };
	const char *state = NULL;
	cJSON *before = NULL, *after = NULL;
	PGresult *cur = NULL;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(bid, sizeof(bid), budget_id);
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((cur = ob_db_exec(ax->db, OB_STMT_BUDGET_LOCK, params, NULL)) == NULL) {
		ob_mutation_failed(ax, NULL, f, NULL, NULL, NULL);
		return NULL;
	}
	if (PQntuples(cur) != 1) {
		ob_db_rollback(ax->db);
		ob_fail(f, OB_FAIL_NOT_FOUND, "budget_not_found", "budget_id",
		    "No budget with this id in the organization.");
		goto out;
	}
	if (budget_merge(cur, in, v, th, sizeof(th), params, f) != 0) {
		ob_db_rollback(ax->db);
		goto out;
	}
	if ((before = budget_one(ax->db, org_id, budget_id)) == NULL ||
	    budget_exec(ax->db, OB_STMT_BUDGET_UPDATE, params, &state) != 0 ||
	    (after = budget_one(ax->db, org_id, budget_id)) == NULL) {
		ob_mutation_failed(ax, state, f, "budget_exists",
		    "status", "An active budget for this scope and period exists.");
		goto out;
	}
	if (ob_audit_commit(ax, org_id, "budget.update", "budget", bid, before, after, f) != 0) {
		cJSON_Delete(after);
		after = NULL;
	}
out:
	PQclear(cur);
	cJSON_Delete(before);
	return after;
}
