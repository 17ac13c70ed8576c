/*
 * Credits: input checks and the metering hot path (deduct, check).
 */
#include "credits/credits.h"
#include "base/db_json.h"
#include "base/json.h"
#include "base/row.h"
#include "base/num.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

int
ob_credits_service_ok(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > OB_CREDITS_SERVICE_MAX)
		return 0;
	if (strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) == NULL)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.:-") == n;
}

/* Printable text of at most max bytes, no control characters. */
static int
text_ok(const char *s, size_t max)
{
	const unsigned char *p;

	if (strlen(s) > max)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int
ob_credits_parse_deduct(const cJSON *body, struct ob_credits_deduct_in *in, struct ob_fail *f)
{
	const cJSON *it;

	memset(in, 0, sizeof(*in));
	it = cJSON_GetObjectItemCaseSensitive(body, "user_id");
	if (it == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "user_id",
		    "user_id is required.");
	if (ob_num_json(it, 1, INT64_MAX, &in->user_id) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "user_id",
		    "user_id must be a user id.");
	it = cJSON_GetObjectItemCaseSensitive(body, "amount");
	if (it == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "amount",
		    "amount is required.");
	if (ob_num_json(it, 1, OB_CREDITS_AMOUNT_MAX, &in->amount) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount must be a whole number of credits from 1 to %lld.",
		    (long long)OB_CREDITS_AMOUNT_MAX);
	it = cJSON_GetObjectItemCaseSensitive(body, "service");
	if (it == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "service",
		    "service is required.");
	if (!cJSON_IsString(it) || !ob_credits_service_ok(it->valuestring))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "service",
		    "service must be 1 to 64 characters of a-z, 0-9, _ . : -.");
	in->service = it->valuestring;
	it = cJSON_GetObjectItemCaseSensitive(body, "model");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsString(it) || it->valuestring[0] == '\0' ||
		    !text_ok(it->valuestring, OB_CREDITS_MODEL_MAX))
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "model",
			    "model must be a string of 1 to 128 printable characters.");
		in->model = it->valuestring;
	}
	it = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsObject(it))
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "metadata",
			    "metadata must be an object.");
		in->metadata = cJSON_PrintUnformatted(it);
		if (in->metadata == NULL || strlen(in->metadata) > OB_CREDITS_METADATA_MAX) {
			ob_credits_deduct_in_free(in);
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "metadata",
			    "metadata must be at most %d bytes of JSON.", OB_CREDITS_METADATA_MAX);
		}
	}
	return 0;
}

void
ob_credits_deduct_in_free(struct ob_credits_deduct_in *in)
{
	if (in->metadata != NULL)
		cJSON_free(in->metadata);
	in->metadata = NULL;
}

int
ob_credits_deduct(struct ob_db *db, const struct ob_credits_deduct_in *in,
    struct ob_credits_deduct_out *out, struct ob_fail *f)
{
	char org[24], user[24], amount[24], keyid[24];
	const char *params[9] = { in->org_id > 0 ? org : NULL, user, amount, in->service,
	    in->model, in->key, in->hash_hex, in->metadata, in->api_key_id > 0 ? keyid : NULL };
	const char *state = NULL, *st;
	PGresult *res;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	ob_num_str(org, sizeof(org), in->org_id);
	ob_num_str(user, sizeof(user), in->user_id);
	ob_num_str(amount, sizeof(amount), in->amount);
	ob_num_str(keyid, sizeof(keyid), in->api_key_id);
	if ((res = ob_db_exec(db, OB_STMT_CREDITS_DEDUCT, params, &state)) == NULL) {
		if (state != NULL && strncmp(state, "22", 2) == 0)
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", NULL,
			    "The deduction was refused as invalid.");
		/* Dunning (007_invoices.sql): the org's billing is restricted. */
		if (state != NULL && strcmp(state, "OB402") == 0)
			return ob_fail(f, OB_FAIL_PAYMENT, "billing_restricted", NULL,
			    "The organization's billing is restricted; metered use is paused "
			    "until the balance is settled.");
		return ob_fail_db(f, db->lasterr);
	}
	if (PQntuples(res) != 1) {
		ob_fail_db(f, "deduct_credits returned no row");
		goto out;
	}
	st = ob_row_str(res, 0, "status");
	if (strcmp(st, "ok") == 0)
		out->status = OB_CREDITS_OK;
	else if (strcmp(st, "insufficient_pool") == 0)
		out->status = OB_CREDITS_INSUFFICIENT_POOL;
	else if (strcmp(st, "insufficient_allocation") == 0)
		out->status = OB_CREDITS_INSUFFICIENT_ALLOCATION;
	else if (strcmp(st, "not_member") == 0)
		out->status = OB_CREDITS_NOT_MEMBER;
	else if (strcmp(st, "budget_exceeded") == 0)
		out->status = OB_CREDITS_BUDGET_EXCEEDED;
	else
		out->status = OB_CREDITS_IDEMPOTENCY_MISMATCH;
	if (!ob_row_null(res, 0, "deduction_id"))
		out->deduction_id = ob_row_i64(res, 0, "deduction_id");
	out->replayed = ob_row_bool(res, 0, "replayed");
	if ((out->has_pool_remaining = !ob_row_null(res, 0, "pool_remaining")))
		out->pool_remaining = ob_row_i64(res, 0, "pool_remaining");
	if ((out->has_allocation = !ob_row_null(res, 0, "allocation_remaining")))
		out->allocation_remaining = ob_row_i64(res, 0, "allocation_remaining");
	out->extra_task = ob_row_bool(res, 0, "extra_task");
	snprintf(out->created_at, sizeof(out->created_at), "%s",
	    ob_row_str(res, 0, "created_at"));
	if (!ob_row_null(res, 0, "org_id"))
		out->org_id = ob_row_i64(res, 0, "org_id");
	if (out->status == OB_CREDITS_BUDGET_EXCEEDED) {
		snprintf(out->budget_scope, sizeof(out->budget_scope), "%s",
		    ob_row_str(res, 0, "budget_scope"));
		out->budget_id = ob_row_i64(res, 0, "budget_id");
		out->budget_remaining = ob_row_i64(res, 0, "budget_remaining");
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

cJSON *
ob_credits_deduct_json(const struct ob_credits_deduct_out *out)
{
	cJSON *o = cJSON_CreateObject();
	char id[24];

	ob_num_str(id, sizeof(id), out->deduction_id);
	cJSON_AddStringToObject(o, "object", "deduction");
	cJSON_AddStringToObject(o, "deduction_id", id);
	cJSON_AddBoolToObject(o, "replayed", out->replayed);
	ob_json_add_i64(o, "pool_remaining", out->pool_remaining);
	if (out->has_allocation)
		ob_json_add_i64(o, "allocation_remaining", out->allocation_remaining);
	else
		cJSON_AddNullToObject(o, "allocation_remaining");
	cJSON_AddBoolToObject(o, "extra_task", out->extra_task);
	cJSON_AddStringToObject(o, "created_at", out->created_at);
	return o;
}

cJSON *
ob_credits_check(struct ob_db *db, int64_t org_id, int64_t user_id, int64_t amount,
    struct ob_fail *f)
{
	char org[24], user[24], amt[24];
	const char *params[3] = { org_id > 0 ? org : NULL, user, amt };
	PGresult *res;
	cJSON *o = NULL;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_num_str(amt, sizeof(amt), amount);
	if ((res = ob_db_exec(db, OB_STMT_CREDITS_CHECK, params, NULL)) == NULL) {
		ob_fail_db(f, db->lasterr);
		return NULL;
	}
	if (PQntuples(res) != 1) {
		ob_fail_db(f, "has_sufficient_credits returned no row");
		goto out;
	}
	if (strcmp(ob_row_str(res, 0, "reason"), "not_member") == 0) {
		ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "credit_check");
	cJSON_AddBoolToObject(o, "sufficient", ob_row_bool(res, 0, "sufficient"));
	cJSON_AddStringToObject(o, "reason", ob_row_str(res, 0, "reason"));
	ob_json_add_i64(o, "amount", amount);
	ob_json_add_i64(o, "pool_available", ob_row_i64(res, 0, "pool_available"));
	ob_db_add_i64(o, res, 0, "allocation_remaining");
out:
	PQclear(res);
	return o;
}
