/*
 * Credits: grants (purchases; staff and operators), plan grants,
 * allocations (one and bulk) and the extra-task setting (reversals:
 * credits_reverse.c). Each is one transaction with its audit row.
 */
#include "credits/credits.h"
#include "credits/credits_int.h"
#include "base/db_json.h"
#include "base/json.h"
#include "base/row.h"
#include "base/num.h"

#include <ctype.h>
#include <string.h>
#include <stdlib.h>

#include <libpq-fe.h>

void
ob_credits_actor(const struct ob_actx *ax, char *buf, size_t len)
{
	if (ax->who == NULL)
		snprintf(buf, len, "system");
	else if (ax->who->kind == OB_PRINCIPAL_KEY)
		snprintf(buf, len, "api_key:%s", ax->who->key_prefix);
	else
		snprintf(buf, len, "user:%lld", (long long)ax->who->user_id);
}

static const char *const sources[] = { "purchase", "manual", "promo", "rollover" };

/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" (optional fraction), shape only. */
static int
rfc3339_ok(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	}
	s += i;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return strcmp(s, "Z") == 0 || strcmp(s, "+00:00") == 0;
}

int
ob_credits_parse_grant(const cJSON *body, struct ob_credits_grant_in *in, struct ob_fail *f)
{
	const cJSON *it;
	int64_t v;
	size_t i;

	memset(in, 0, sizeof(*in));
	in->priority = -1;
	if (ob_num_json(cJSON_GetObjectItemCaseSensitive(body, "amount"), 1,
	    OB_CREDITS_AMOUNT_MAX, &in->amount) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount must be a whole number of credits from 1 to %lld.",
		    (long long)OB_CREDITS_AMOUNT_MAX);
	it = cJSON_GetObjectItemCaseSensitive(body, "source");
	if (!cJSON_IsString(it))
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "source",
		    "source is required: purchase, manual, promo or rollover.");
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(it->valuestring, sources[i]) == 0)
			in->source = sources[i];
	if (in->source == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "source",
		    "source must be purchase, manual, promo or rollover (plan grants come "
		    "from subscriptions).");
	it = cJSON_GetObjectItemCaseSensitive(body, "expires_at");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) > 40 ||
		    !rfc3339_ok(it->valuestring))
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "expires_at",
			    "expires_at must be an RFC 3339 UTC timestamp (2026-01-31T00:00:00Z).");
		in->expires_at = it->valuestring;
	}
	it = cJSON_GetObjectItemCaseSensitive(body, "priority");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (ob_num_json(it, 0, 1000, &v) != 0)
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "priority",
			    "priority must be a whole number from 0 to 1000.");
		in->priority = (int)v;
	}
	it = cJSON_GetObjectItemCaseSensitive(body, "reason");
	if (it != NULL && !cJSON_IsNull(it)) {
		if (!cJSON_IsString(it) || strlen(it->valuestring) > OB_CREDITS_REASON_MAX)
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "reason",
			    "reason must be a string of at most %d bytes.", OB_CREDITS_REASON_MAX);
		in->reason = it->valuestring;
	}
	return 0;
}

cJSON *
ob_credits_commit_answer(const struct ob_actx *ax, int64_t org_id, const char *action,
    const char *type, const char *id, cJSON *o, struct ob_fail *f)
{
	if (o == NULL) {
		ob_db_rollback(ax->db);
		return NULL;
	}
	if (ob_audit_commit(ax, org_id, action, type, id, NULL, o, f) != 0) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The grant in (id gid) as the API shows it, with the pool after it (res's row). */
static cJSON *
grant_json(const struct ob_credits_grant_in *in, const char *gid, const PGresult *res)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "object", "credit_grant");
	cJSON_AddStringToObject(o, "id", gid);
	ob_json_add_i64(o, "amount", in->amount);
	cJSON_AddStringToObject(o, "source", in->source);
	if (in->expires_at != NULL)
		cJSON_AddStringToObject(o, "expires_at", in->expires_at);
	else
		cJSON_AddNullToObject(o, "expires_at");
	cJSON_AddNumberToObject(o, "priority", in->priority >= 0 ? in->priority : 100);
	if (in->reason != NULL)
		cJSON_AddStringToObject(o, "reason", in->reason);
	ob_json_add_i64(o, "available", ob_row_i64(res, 0, "available"));
	ob_json_add_i64(o, "granted", ob_row_i64(res, 0, "granted"));
	ob_json_add_i64(o, "used", ob_row_i64(res, 0, "used"));
	return o;
}

/* Add the grant in (sources checked by the caller) as action, in one transaction. */
static cJSON *
grant_run(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_credits_grant_in *in, const char *action, struct ob_fail *f)
{
	char org[24], user[24], amount[24], prio[16], who[64], gid[24] = "";
	const char *params[8] = { org_id > 0 ? org : NULL, user_id > 0 ? user : NULL, amount,
	    in->source, in->expires_at, in->priority >= 0 ? prio : NULL, in->reason, who };
	const char *state = NULL;
	PGresult *res;
	cJSON *o = NULL;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_num_str(amount, sizeof(amount), in->amount);
	ob_num_str(prio, sizeof(prio), in->priority);
	ob_credits_actor(ax, who, sizeof(who));
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_CREDITS_ADD, params, &state)) == NULL) {
		if (state != NULL && strncmp(state, "22", 2) == 0)
			ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "expires_at",
			    "The grant was refused: expires_at must be a valid time in the future.");
		else
			ob_fail_db(f, ax->db->lasterr);
	} else {
		ob_num_str(gid, sizeof(gid), ob_row_i64(res, 0, "grant_id"));
		o = grant_json(in, gid, res);
		PQclear(res);
	}
	return ob_credits_commit_answer(ax, org_id, action, "credit_grant", gid, o, f);
}

cJSON *
ob_credits_add(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_credits_grant_in *in, struct ob_fail *f)
{
	if (in->source == NULL || strcmp(in->source, "purchase") != 0) {
		ob_fail(f, OB_FAIL_INVALID, "source_not_allowed", "source",
		    "Only a paid credit purchase adds a purchase grant here.");
		return NULL;
	}
	return grant_run(ax, org_id, user_id, in, "credits.add", f);
}

int
ob_credits_reason_ok(const char *reason)
{
	size_t n = reason != NULL ? strlen(reason) : 0, i;

	if (n < OB_CREDITS_REASON_MIN || n > OB_CREDITS_REASON_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)
			return 0;
	return 1;
}

int
ob_credits_org_exists(struct ob_db *db, int64_t org_id, struct ob_fail *f)
{
	char org[24];
	const char *params[1] = { org };
	int64_t n;

	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_one_i64(db, OB_STMT_CREDITS_ORG_EXISTS, params, "n", &n) != 0)
		return ob_fail_db(f, db->lasterr);
	if (n == 0)
		ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", "org_id", "No such organization.");
	return n > 0;
}

cJSON *
ob_credits_grant(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    const struct ob_credits_grant_in *in, struct ob_fail *f)
{
	if (in->source == NULL || (strcmp(in->source, "manual") != 0 &&
	    strcmp(in->source, "promo") != 0 && strcmp(in->source, "rollover") != 0)) {
		ob_fail(f, OB_FAIL_INVALID, "source_not_allowed", "source",
		    "source must be manual, promo or rollover: purchase grants come only from "
		    "payments and plan grants only from subscriptions.");
		return NULL;
	}
	if (!ob_credits_reason_ok(in->reason)) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "reason",
		    "Give a reason of %d to %d characters for the grant.", OB_CREDITS_REASON_MIN,
		    OB_CREDITS_REASON_MAX);
		return NULL;
	}
	if (in->amount < 1 || in->amount > OB_CREDITS_AMOUNT_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "amount",
		    "amount must be a whole number of credits from 1 to %lld.",
		    (long long)OB_CREDITS_AMOUNT_MAX);
		return NULL;
	}
	if (org_id > 0 && ob_credits_org_exists(ax->db, org_id, f) != 1)
		return NULL;
	return grant_run(ax, org_id, user_id, in, "credits.grant", f);
}

int
ob_credits_grant_plan_period(const struct ob_actx *ax, int64_t org_id,
    const char *period_start, const char *period_end, int64_t credits,
    int64_t *grant_id, int *created, struct ob_fail *f)
{
	char org[24], amt[24], gid[24] = "";
	const char *params[4] = { org, period_start, period_end, amt };
	const char *state = NULL;
	PGresult *res;
	cJSON *after = NULL;
	int rc;

	if (credits <= 0 || credits > OB_CREDITS_AMOUNT_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "credits",
		    "Plan credits must be from 1 to %lld.", (long long)OB_CREDITS_AMOUNT_MAX);
	if (period_start == NULL || period_end == NULL || !rfc3339_ok(period_start) ||
	    !rfc3339_ok(period_end) || strcmp(period_start, period_end) >= 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "period",
		    "The period must be two RFC 3339 UTC times, start before end.");
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(amt, sizeof(amt), credits);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((res = ob_db_exec(ax->db, OB_STMT_CREDITS_GRANT_PLAN, params, &state)) == NULL) {
		if (state != NULL && strncmp(state, "22", 2) == 0)
			ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "period",
			    "The plan grant was refused: the period has already ended.");
		else
			ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		return -1;
	}
	*grant_id = ob_row_i64(res, 0, "grant_id");
	*created = ob_row_bool(res, 0, "created");
	PQclear(res);
	if (*created) {
		ob_num_str(gid, sizeof(gid), *grant_id);
		after = cJSON_CreateObject();
		cJSON_AddStringToObject(after, "source", "plan");
		ob_json_add_i64(after, "amount", credits);
		cJSON_AddStringToObject(after, "period_start", period_start);
		cJSON_AddStringToObject(after, "expires_at", period_end);
	}
	/* Granted before (the ledger is idempotent per period): nothing to audit. */
	rc = ob_audit_commit(ax, org_id, *created ? "credits.plan_grant" : NULL, "credit_grant",
	    gid, NULL, after, f);
	cJSON_Delete(after);
	return rc;
}

/* One allocation inside the caller's transaction; a new object or NULL. */
static cJSON *
allocate_one(const struct ob_actx *ax, int64_t org_id, int64_t user_id, int64_t limit,
    struct ob_fail *f)
{
	char org[24], user[24], lim[24], who[64];
	const char *params[4] = { org, user, lim, who };
	PGresult *res;
	cJSON *o = NULL, *before = NULL;
	int64_t used;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_num_str(lim, sizeof(lim), limit);
	ob_credits_actor(ax, who, sizeof(who));
	if ((res = ob_db_exec(ax->db, OB_STMT_CREDITS_ALLOCATE, params, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if (strcmp(ob_row_str(res, 0, "status"), "ok") != 0) {
		ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "credit_allocation");
	cJSON_AddStringToObject(o, "user_id", user);
	ob_json_add_i64(o, "limit", limit);
	used = ob_row_i64(res, 0, "used");
	ob_json_add_i64(o, "used", used);
	ob_json_add_i64(o, "remaining", limit - used > 0 ? limit - used : 0);
	if (!ob_row_null(res, 0, "previous_limit")) {
		before = cJSON_CreateObject();
		ob_json_add_i64(before, "limit", ob_row_i64(res, 0, "previous_limit"));
	}
	if (ob_audit_write(ax, org_id, "credits.allocate", "credit_allocation", user,
	    before, o) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		cJSON_Delete(o);
		o = NULL;
	}
out:
	PQclear(res);
	cJSON_Delete(before);
	return o;
}

cJSON *
ob_credits_allocate(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    int64_t limit, struct ob_fail *f)
{
	cJSON *o;

	if (limit < 0 || limit > OB_CREDITS_AMOUNT_MAX) {
		ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "limit",
		    "limit must be a whole number from 0 to %lld.", (long long)OB_CREDITS_AMOUNT_MAX);
		return NULL;
	}
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((o = allocate_one(ax, org_id, user_id, limit, f)) == NULL) {
		ob_db_rollback(ax->db);
		return NULL;
	}
	if (ob_db_commit(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
ob_credits_unallocate(const struct ob_actx *ax, int64_t org_id, int64_t user_id,
    struct ob_fail *f)
{
	char org[24], user[24], who[64];
	const char *params[3] = { org, user, who };
	PGresult *res = NULL;
	cJSON *o = NULL, *before = NULL;
	int ok = 0;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(user, sizeof(user), user_id);
	ob_credits_actor(ax, who, sizeof(who));
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		return NULL;
	}
	if ((res = ob_db_exec(ax->db, OB_STMT_CREDITS_UNALLOCATE, params, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		goto out;
	}
	if (!ob_row_bool(res, 0, "member")) {
		ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "user_id",
		    "No active member with this user_id in the organization.");
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "credit_allocation");
	cJSON_AddStringToObject(o, "user_id", user);
	cJSON_AddNullToObject(o, "limit");
	if (!ob_row_null(res, 0, "old_limit")) {
		before = cJSON_CreateObject();
		ob_json_add_i64(before, "limit", ob_row_i64(res, 0, "old_limit"));
		if (ob_audit_write(ax, org_id, "credits.allocate", "credit_allocation", user,
		    before, o) != 0) {
			ob_fail_db(f, ax->db->lasterr);
			goto out;
		}
	}
	ok = 1;
out:
	PQclear(res);
	cJSON_Delete(before);
	if (ok && ob_db_commit(ax->db) == 0)
		return o;
	if (ok)
		ob_fail_db(f, ax->db->lasterr);
	else
		ob_db_rollback(ax->db);
	cJSON_Delete(o);
	return NULL;
}

int
ob_credits_bulk_line(const char *line, size_t len, char *email, size_t emaillen,
    int64_t *limit)
{
	const char *p = line, *e = line + len, *comma, *a, *b;
	char num[24];
	size_t n;

	while (p < e && isspace((unsigned char)*p))
		p++;
	while (e > p && isspace((unsigned char)e[-1]))
		e--;
	if (p == e || *p == '#')
		return 0;
	if ((comma = memchr(p, ',', (size_t)(e - p))) == NULL)
		return -1;
	a = comma;
	while (a > p && isspace((unsigned char)a[-1]))
		a--;
	n = (size_t)(a - p);
	if (n < 3 || n >= emaillen || memchr(p, '@', n) == NULL)
		return -1;
	memcpy(email, p, n);
	email[n] = '\0';
	b = comma + 1;
	while (b < e && isspace((unsigned char)*b))
		b++;
	n = (size_t)(e - b);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, b, n);
	num[n] = '\0';
	if (strspn(num, "0123456789") != n || n > 13)
		return -1;
	*limit = strtoll(num, NULL, 10);
	return *limit <= OB_CREDITS_AMOUNT_MAX ? 1 : -1;
}

int
ob_credits_allocate_bulk(const struct ob_actx *ax, int64_t org_id, const char *text,
    int *count, struct ob_fail *f)
{
	const char *p = text, *nl;
	char email[321], org[24];
	const char *params[2] = { org, email };
	int64_t limit, uid;
	cJSON *o;
	int lineno = 0, rc = -1, k;

	*count = 0;
	if (text == NULL || strlen(text) > 64 * 1024)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "allocations",
		    "Give one \"email, limit\" per line (at most 64 KB).");
	ob_num_str(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		lineno++;
		if (lineno > 200) {
			ob_fail(f, OB_FAIL_INVALID, "too_many_lines", "allocations",
			    "At most 200 lines at a time.");
			goto out;
		}
		k = ob_credits_bulk_line(p, (size_t)(nl - p), email, sizeof(email), &limit);
		if (k < 0) {
			ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "allocations",
			    "Line %d: expected \"email, limit\" with a whole number limit.", lineno);
			goto out;
		}
		if (k == 1) {
			if (ob_db_one_i64(ax->db, OB_STMT_CREDITS_USER_BY_EMAIL, params, "id", &uid) != 0) {
				ob_fail_db(f, ax->db->lasterr);
				goto out;
			}
			if (uid == 0) {
				ob_fail(f, OB_FAIL_NOT_FOUND, "member_not_found", "allocations",
				    "Line %d: no active member with that e-mail address.", lineno);
				goto out;
			}
			if ((o = allocate_one(ax, org_id, uid, limit, f)) == NULL)
				goto out;
			cJSON_Delete(o);
			(*count)++;
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	if (ob_db_commit(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		ob_db_rollback(ax->db);
		*count = 0;
	}
	return rc;
}

int
ob_credits_settings_set(const struct ob_actx *ax, int64_t org_id, int allow, int64_t max,
    struct ob_fail *f)
{
	char org[24], mx[24];
	const char *p1[1] = { org };
	const char *p3[3] = { org, allow ? "true" : "false", mx };
	PGresult *res;
	cJSON *before, *after;
	int rc;

	if (max < -1 || max > OB_CREDITS_AMOUNT_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "max_extra_tasks",
		    "max_extra_tasks must be -1 (unlimited), 0 (none) or a positive number.");
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(mx, sizeof(mx), max);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((rc = ob_db_one(ax->db, OB_STMT_CREDITS_SETTINGS_GET, p1, &res)) != 0) {
		if (rc > 0)
			ob_fail(f, OB_FAIL_NOT_FOUND, "org_not_found", NULL, "No such organization.");
		else
			ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		return -1;
	}
	before = cJSON_CreateObject();
	cJSON_AddBoolToObject(before, "allow_extra_tasks",
	    ob_row_bool(res, 0, "allow_extra_tasks"));
	ob_json_add_i64(before, "max_extra_tasks", ob_row_i64(res, 0, "max_extra_tasks"));
	PQclear(res);
	if (ob_db_run(ax->db, OB_STMT_CREDITS_SETTINGS_SET, p3) != 0) {
		ob_db_fail(ax->db, f);
		cJSON_Delete(before);
		return -1;
	}
	after = cJSON_CreateObject();
	cJSON_AddBoolToObject(after, "allow_extra_tasks", allow);
	ob_json_add_i64(after, "max_extra_tasks", max);
	rc = ob_audit_commit(ax, org_id, "credits.settings", "organization", org, before, after, f);
	cJSON_Delete(before);
	cJSON_Delete(after);
	return rc;
}
