/*
 * Credits: reversals of deductions — the meter key's own within the
 * window, and staff's or an operator's with a reason. Each is one
 * transaction with its audit row.
 */
#include "credits/credits.h"
#include "credits/credits_int.h"
#include "base/db_json.h"
#include "base/json.h"
#include "base/row.h"
#include "base/num.h"

#include <string.h>

#include <libpq-fe.h>

/* The reversal of deduction key as the API shows it (res: the statement's row). */
static cJSON *
reversal_json(const PGresult *res, const char *key, int replayed)
{
	cJSON *o = cJSON_CreateObject();
	char id[24];

	cJSON_AddStringToObject(o, "object", "reversal");
	cJSON_AddStringToObject(o, "id",
	    ob_num_str(id, sizeof(id), ob_row_i64(res, 0, "reversal_id")));
	cJSON_AddStringToObject(o, "key", ob_row_str(res, 0, "reversal_key"));
	cJSON_AddStringToObject(o, "deduction_id",
	    ob_num_str(id, sizeof(id), ob_row_i64(res, 0, "deduction_id")));
	cJSON_AddStringToObject(o, "deduction_key", key);
	ob_json_add_i64(o, "amount", ob_row_i64(res, 0, "amount"));
	cJSON_AddBoolToObject(o, "replayed", replayed);
	ob_json_add_i64(o, "pool_remaining", ob_row_i64(res, 0, "pool_remaining"));
	ob_db_add_i64(o, res, 0, "allocation_remaining");
	cJSON_AddStringToObject(o, "created_at", ob_row_str(res, 0, "created_at"));
	return o;
}

/* Reverse deduction key of org as action, in one transaction (checks done). */
static cJSON *
reverse_run(const struct ob_actx *ax, int64_t org_id, const char *key, const char *reason,
    int *replayed, struct ob_fail *f)
{
	char org[24], who[64];
	const char *params[4] = { org, key, reason, who };
	const char *st;
	PGresult *res;
	cJSON *o = NULL;

	ob_num_str(org, sizeof(org), org_id);
	ob_credits_actor(ax, who, sizeof(who));
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_CREDITS_REVERSE, params, NULL)) == NULL) {
		ob_db_fail(ax->db, f);
		return NULL;
	}
	st = ob_row_str(res, 0, "status");
	if (strcmp(st, "not_found") == 0) {
		ob_fail(f, OB_FAIL_NOT_FOUND, "deduction_not_found", "key",
		    "No deduction with this idempotency key in the organization.");
	} else if (strcmp(st, "is_reversal") == 0) {
		ob_fail(f, OB_FAIL_CONFLICT, "reversal_not_reversible", "key",
		    "This key names a reversal; a reversal cannot be reversed.");
	} else {
		*replayed = ob_row_bool(res, 0, "replayed");
		o = reversal_json(res, key, *replayed);
	}
	PQclear(res);
	/* A replay changed nothing: no audit row. */
	return ob_credits_commit_answer(ax, org_id, *replayed ? NULL : "credits.reverse",
	    "deduction", key, o, f);
}

/* A deduction key the statement can look up: 1 to 300 bytes. */
static int
key_ok(const char *key, struct ob_fail *f)
{
	if (key == NULL || key[0] == '\0' || strlen(key) > 300)
		return ob_fail(f, OB_FAIL_NOT_FOUND, "deduction_not_found", "key",
		    "No such deduction."), 0;
	return 1;
}

/*
 * May the meter key ax->who reverse deduction key of org now? 1 yes; 0 no
 * with f set (403, or 404/409 through the reversal's own answer); -1 on a
 * database failure.
 */
static int
own_reversal_allowed(const struct ob_actx *ax, int64_t org_id, const char *key,
    long window_s, struct ob_fail *f)
{
	char org[24], win[24];
	const char *params[3] = { org, key, win };
	PGresult *res;
	int rc;

	if (ax->who == NULL || ax->who->kind != OB_PRINCIPAL_KEY || ax->who->key_id <= 0)
		return ob_fail(f, OB_FAIL_FORBIDDEN, "reversal_not_allowed", NULL,
		    "Only the meter API key that made a deduction may reverse it; staff reverse "
		    "others."), 0;
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(win, sizeof(win), window_s);
	if ((rc = ob_db_one(ax->db, OB_STMT_CREDITS_DEDUCTION_MAKER, params, &res)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (rc > 0)
		return 1;	/* no such deduction: the reversal answers 404 or 409 */
	if (ob_row_i64(res, 0, "api_key_id") != ax->who->key_id)
		ob_fail(f, OB_FAIL_FORBIDDEN, "reversal_not_allowed", "key",
		    "Only the meter API key that made a deduction may reverse it; staff reverse "
		    "others.");
	else if (!ob_row_bool(res, 0, "in_window"))
		ob_fail(f, OB_FAIL_FORBIDDEN, "reversal_window_passed", "key",
		    "The deduction is older than the reversal window (%ld seconds); staff may "
		    "still reverse it.", window_s);
	else
		rc = 1;
	PQclear(res);
	return rc == 1;
}

cJSON *
ob_credits_reverse_own(const struct ob_actx *ax, int64_t org_id, const char *key,
    const char *reason, long window_s, int *replayed, struct ob_fail *f)
{
	*replayed = 0;
	if (!key_ok(key, f))
		return NULL;
	if (reason != NULL && strlen(reason) > OB_CREDITS_REASON_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "reason",
		    "reason must be at most %d bytes.", OB_CREDITS_REASON_MAX);
		return NULL;
	}
	if (own_reversal_allowed(ax, org_id, key, window_s, f) != 1)
		return NULL;
	return reverse_run(ax, org_id, key, reason, replayed, f);
}

cJSON *
ob_credits_reverse(const struct ob_actx *ax, int64_t org_id, const char *key,
    const char *reason, int *replayed, struct ob_fail *f)
{
	*replayed = 0;
	if (!key_ok(key, f))
		return NULL;
	if (!ob_credits_reason_ok(reason)) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "reason",
		    "Give a reason of %d to %d characters for the reversal.", OB_CREDITS_REASON_MIN,
		    OB_CREDITS_REASON_MAX);
		return NULL;
	}
	if (ob_credits_org_exists(ax->db, org_id, f) != 1)
		return NULL;
	return reverse_run(ax, org_id, key, reason, replayed, f);
}
