/*
 * Feature flags (flags.h): the pure decision, the per-process cache, and
 * the staff's changes.
 */
#include "billing/flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/num.h"
#include "base/row.h"

unsigned
ob_flags_bucket(const char *flag, int64_t org_id)
{
	char key[96];
	uint32_t h = 2166136261u;
	size_t i, n;

	n = (size_t)snprintf(key, sizeof(key), "%s:%lld", flag, (long long)org_id);
	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return (unsigned)(h % 100u);
}

static const struct ob_flag_rule *
find(const struct ob_flag_rule *rules, size_t n, const char *flag, const char *scope,
    const char *target)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rules[i].flag, flag) == 0 && strcmp(rules[i].scope, scope) == 0 &&
		    strcmp(rules[i].target, target) == 0)
			return &rules[i];
	return NULL;
}

int
ob_flags_decide(const struct ob_flag_rule *rules, size_t n, const char *flag,
    int64_t org_id, const char *plan)
{
	const struct ob_flag_rule *r = NULL;
	char org[24];

	if (org_id > 0) {
		ob_num_str(org, sizeof(org), org_id);
		r = find(rules, n, flag, "org", org);
	}
	if (r == NULL && plan != NULL && *plan != '\0')
		r = find(rules, n, flag, "plan", plan);
	if (r == NULL)
		r = find(rules, n, flag, "global", "");
	if (r == NULL || !r->enabled)
		return 0;
	if (r->percent >= 100)
		return 1;
	return org_id > 0 && (int)ob_flags_bucket(flag, org_id) < r->percent;
}

/* Read every rule into rules (OB_FLAGS_MAX); their count, or -1. */
static int
load_rules(struct ob_db *db, struct ob_flag_rule *rules)
{
	PGresult *res;
	int i, n;

	if ((res = ob_db_exec(db, OB_STMT_FLAG_ALL, NULL, NULL)) == NULL)
		return -1;
	n = PQntuples(res) < OB_FLAGS_MAX ? PQntuples(res) : OB_FLAGS_MAX;
	for (i = 0; i < n; i++) {
		memset(&rules[i], 0, sizeof(rules[i]));
		snprintf(rules[i].flag, sizeof(rules[i].flag), "%s", ob_row_str(res, i, "flag"));
		snprintf(rules[i].scope, sizeof(rules[i].scope), "%s", ob_row_str(res, i, "scope"));
		snprintf(rules[i].target, sizeof(rules[i].target), "%s", ob_row_str(res, i, "target"));
		rules[i].enabled = ob_row_bool(res, i, "enabled");
		rules[i].percent = (int)ob_row_i64(res, i, "percent");
	}
	PQclear(res);
	return n;
}

/* The plan of org_id's subscription into plan (32 bytes; "" for none). 0 or -1. */
static int
org_plan(struct ob_db *db, int64_t org_id, char plan[32])
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;

	plan[0] = '\0';
	if (org_id <= 0)
		return 0;
	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_FLAG_ORG_PLAN, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		snprintf(plan, 32, "%s", ob_row_str(res, 0, "plan_code"));
	PQclear(res);
	return 0;
}

static struct ob_flag_rule cache[OB_FLAGS_MAX];
static int cache_n = -1;
static time_t cache_at;

void
ob_flags_invalidate(void)
{
	cache_n = -1;
}

int
ob_flags_enabled(struct ob_db *db, const char *flag, int64_t org_id)
{
	struct timespec now;
	char plan[32];

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (cache_n < 0 || now.tv_sec - cache_at >= OB_FLAGS_TTL) {
		cache_n = load_rules(db, cache);
		cache_at = now.tv_sec;
	}
	if (cache_n < 0 || org_plan(db, org_id, plan) != 0)
		return 0;
	return ob_flags_decide(cache, (size_t)cache_n, flag, org_id, plan);
}

int
ob_flags_check(struct ob_db *db, const char *flag, int64_t org_id)
{
	struct ob_flag_rule *rules = calloc(OB_FLAGS_MAX, sizeof(*rules));
	char plan[32];
	int n, rc = -1;

	if (rules == NULL)
		return -1;
	if ((n = load_rules(db, rules)) >= 0 && org_plan(db, org_id, plan) == 0)
		rc = ob_flags_decide(rules, (size_t)n, flag, org_id, plan);
	free(rules);
	return rc;
}

cJSON *
ob_flags_list(struct ob_db *db)
{
	PGresult *res;
	cJSON *arr, *o;
	int i;

	if ((res = ob_db_exec(db, OB_STMT_FLAG_ALL, NULL, NULL)) == NULL)
		return NULL;
	arr = cJSON_CreateArray();
	for (i = 0; i < PQntuples(res); i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "flag", ob_row_str(res, i, "flag"));
		cJSON_AddStringToObject(o, "scope", ob_row_str(res, i, "scope"));
		cJSON_AddStringToObject(o, "target", ob_row_str(res, i, "target"));
		cJSON_AddBoolToObject(o, "enabled", ob_row_bool(res, i, "enabled"));
		cJSON_AddNumberToObject(o, "percent", (double)ob_row_i64(res, i, "percent"));
		cJSON_AddNumberToObject(o, "updated_at", (double)ob_row_i64(res, i, "updated_at"));
		cJSON_AddItemToArray(arr, o);
	}
	PQclear(res);
	return arr;
}
