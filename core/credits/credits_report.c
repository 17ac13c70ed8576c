/*
 * Credits: reading — pool status, allocations, usage by day/user/service,
 * metrics, the user's and the staff's summaries (the overview the
 * console's Credits page renders is built from them: credits_overview.c).
 */
#include "credits/credits.h"
#include "base/json.h"
#include "base/db_json.h"
#include "base/row.h"
#include "base/num.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

void
ob_credits_fmt(char out[OB_CREDITS_FMT_LEN], int64_t v)
{
	char raw[24];
	size_t n, i, j = 0;
	int neg = v < 0;

	ob_num_str(raw, sizeof(raw), neg ? -v : v);
	n = strlen(raw);
	if (neg)
		out[j++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = raw[i];
	}
	out[j] = '\0';
}

void
ob_credits_add_fmt(cJSON *o, const char *name, int64_t v)
{
	char out[OB_CREDITS_FMT_LEN], key[64];

	ob_credits_fmt(out, v);
	snprintf(key, sizeof(key), "%s_fmt", name);
	cJSON_AddStringToObject(o, key, out);
}

cJSON *
ob_credits_status(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	cJSON *o = NULL;
	int64_t max, expired;
	int allow;

	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_CREDITS_STATUS, params, NULL)) == NULL)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "credit_pool");
	cJSON_AddStringToObject(o, "org_id", org);
	if (PQntuples(res) != 1) {
		PQclear(res);
		cJSON_Delete(o);
		snprintf(db->lasterr, sizeof(db->lasterr), "credits_status: no such org");
		return NULL;
	}
	allow = ob_row_bool(res, 0, "allow_extra_tasks");
	max = ob_row_i64(res, 0, "max_extra_tasks");
	expired = ob_row_i64(res, 0, "expired");
	ob_json_add_i64(o, "available", ob_row_i64(res, 0, "available"));
	ob_json_add_i64(o, "granted", ob_row_i64(res, 0, "granted"));
	ob_json_add_i64(o, "used", ob_row_i64(res, 0, "used"));
	ob_json_add_i64(o, "expired", expired);
	cJSON_AddBoolToObject(o, "allow_extra_tasks", allow);
	/* The limit in force: 0 when extra tasks are off. */
	ob_json_add_i64(o, "extra_tasks_limit", allow ? max : 0);
	ob_json_add_i64(o, "max_extra_tasks", max);
	cJSON_AddStringToObject(o, "max_extra_tasks_value",
	    ob_row_str(res, 0, "max_extra_tasks"));
	cJSON_AddBoolToObject(o, "has_expired", expired > 0);
	ob_json_add_i64(o, "extra_tasks_used", ob_row_i64(res, 0, "extra_tasks_used"));
	ob_json_add_i64(o, "extra_credits_used", ob_row_i64(res, 0, "extra_credits_used"));
	ob_json_add_i64(o, "members", ob_row_i64(res, 0, "members"));
	cJSON_AddStringToObject(o, "period_start", ob_row_str(res, 0, "period_start"));
	ob_json_add_i64(o, "active_grants", ob_row_i64(res, 0, "active_grants"));
	ob_db_add_text(o, res, 0, "next_expiry");
	PQclear(res);
	return o;
}

/* A row of OB_STMT_CREDITS_ALLOC_LIST as the API's allocation (an ob_db_row_fn). */
static cJSON *
allocation_row(const PGresult *res, int i, const void *arg)
{
	cJSON *o = cJSON_CreateObject();
	int64_t lm, used;

	(void)arg;
	cJSON_AddStringToObject(o, "object", "credit_allocation");
	cJSON_AddStringToObject(o, "user_id", ob_row_str(res, i, "user_id"));
	cJSON_AddStringToObject(o, "email", ob_row_str(res, i, "email"));
	cJSON_AddStringToObject(o, "name", ob_row_str(res, i, "name"));
	cJSON_AddStringToObject(o, "role", ob_row_str(res, i, "role"));
	if (ob_row_null(res, i, "limit_amount")) {
		/* No limit: what the member used this period. */
		used = ob_row_i64(res, i, "period_usage");
		cJSON_AddNullToObject(o, "limit");
		ob_json_add_i64(o, "used", used);
		ob_credits_add_fmt(o, "used", used);
		cJSON_AddStringToObject(o, "limit_value", "");
		cJSON_AddNullToObject(o, "remaining");
		cJSON_AddStringToObject(o, "limit_fmt", "Unlimited");
	} else {
		lm = ob_row_i64(res, i, "limit_amount");
		used = ob_row_i64(res, i, "used");
		ob_json_add_i64(o, "limit", lm);
		ob_json_add_i64(o, "used", used);
		ob_json_add_i64(o, "remaining", lm > used ? lm - used : 0);
		ob_credits_add_fmt(o, "limit", lm);
		ob_credits_add_fmt(o, "used", used);
		cJSON_AddStringToObject(o, "limit_value",
		    ob_row_str(res, i, "limit_amount"));
		ob_credits_add_fmt(o, "remaining", lm > used ? lm - used : 0);
		cJSON_AddNumberToObject(o, "percent", lm > 0 ? (int)(used >= lm ? 100 :
		    (used * 100 + lm / 2) / lm) : 100);
	}
	return o;
}

cJSON *
ob_credits_allocations(struct ob_db *db, int64_t org_id, int64_t after, int limit,
    int64_t only_user)
{
	char org[24], aft[24], lim[16], only[24];
	const char *params[4] = { org, aft, lim, only };

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(aft, sizeof(aft), after);
	ob_num_str(lim, sizeof(lim), limit + 1);
	ob_num_str(only, sizeof(only), only_user);
	return ob_db_exec_rows(db, OB_STMT_CREDITS_ALLOC_LIST, params, limit, allocation_row, NULL);
}

int
ob_credits_group_parse(const char *s, enum ob_credits_group *g)
{
	if (s == NULL || strcmp(s, "day") == 0)
		*g = OB_CREDITS_BY_DAY;
	else if (strcmp(s, "user") == 0)
		*g = OB_CREDITS_BY_USER;
	else if (strcmp(s, "service") == 0)
		*g = OB_CREDITS_BY_SERVICE;
	else
		return -1;
	return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD" → days since the epoch; -1 if not a real date. */
static int
parse_date(const char *s, int64_t *days)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

static void
format_date(int64_t days, char out[11])
{
	time_t t = (time_t)(days * 86400);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

int
ob_credits_range(const char *from_s, const char *to_s, char from[11], char to[11],
    struct ob_fail *f)
{
	int64_t a, b;

	if (to_s != NULL) {
		if (parse_date(to_s, &b) != 0)
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "to",
			    "to must be a date, YYYY-MM-DD.");
	} else {
		b = (int64_t)(time(NULL) / 86400);
	}
	if (from_s != NULL) {
		if (parse_date(from_s, &a) != 0)
			return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "from",
			    "from must be a date, YYYY-MM-DD.");
	} else {
		a = b - 29;
	}
	if (a > b)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "from",
		    "from must not be after to.");
	if (b - a + 1 > OB_CREDITS_RANGE_DAYS)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_invalid", "from",
		    "The range may span at most %d days.", OB_CREDITS_RANGE_DAYS);
	format_date(a, from);
	format_date(b, to);
	return 0;
}

/* A usage row grouped by *arg (an enum ob_credits_group; an ob_db_row_fn). */
static cJSON *
usage_row(const PGresult *res, int i, const void *arg)
{
	enum ob_credits_group g = *(const enum ob_credits_group *)arg;
	const char *key = g == OB_CREDITS_BY_DAY ? "day" : "service";
	cJSON *o = cJSON_CreateObject();
	int64_t amount = ob_row_i64(res, i, "amount"), count = ob_row_i64(res, i, "n");

	if (g == OB_CREDITS_BY_USER) {
		cJSON_AddStringToObject(o, "user_id", ob_row_str(res, i, "user_id"));
		cJSON_AddStringToObject(o, "email", ob_row_str(res, i, "email"));
		cJSON_AddStringToObject(o, "name", ob_row_str(res, i, "name"));
	} else {
		cJSON_AddStringToObject(o, key, ob_row_str(res, i, key));
	}
	ob_json_add_i64(o, "amount", amount);
	ob_json_add_i64(o, "count", count);
	ob_credits_add_fmt(o, "amount", amount);
	ob_credits_add_fmt(o, "count", count);
	return o;
}

cJSON *
ob_credits_usage(struct ob_db *db, int64_t org_id, const char *from, const char *to,
    enum ob_credits_group g, int limit)
{
	char org[24], lim[16];
	const char *params[4] = { org, from, to, lim };
	enum ob_stmt s = g == OB_CREDITS_BY_DAY ? OB_STMT_CREDITS_USAGE_DAY :
	    g == OB_CREDITS_BY_USER ? OB_STMT_CREDITS_USAGE_USER : OB_STMT_CREDITS_USAGE_SERVICE;
	cJSON *list;

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(lim, sizeof(lim), limit + 1);
	/* By day: every day of the range, never more to page through. */
	list = ob_db_exec_rows(db, s, params, g == OB_CREDITS_BY_DAY ? -1 : limit, usage_row, &g);
	if (list == NULL)
		return NULL;
	cJSON_AddStringToObject(list, "from", from);
	cJSON_AddStringToObject(list, "to", to);
	cJSON_AddStringToObject(list, "group_by", g == OB_CREDITS_BY_DAY ? "day" :
	    g == OB_CREDITS_BY_USER ? "user" : "service");
	return list;
}

int
ob_credits_extra_usage(struct ob_db *db, int64_t org_id, const char *period_start,
    int64_t *tasks, int64_t *credits)
{
	char org[24], today[11];
	const char *params[2] = { org, period_start };
	time_t now = time(NULL);
	struct tm tm;
	PGresult *res;

	ob_num_str(org, sizeof(org), org_id);
	if (period_start == NULL) {
		gmtime_r(&now, &tm);
		strftime(today, sizeof(today), "%Y-%m-01", &tm);
		params[1] = today;
	}
	if ((res = ob_db_exec(db, OB_STMT_CREDITS_EXTRA_USAGE, params, NULL)) == NULL)
		return -1;
	*tasks = ob_row_i64(res, 0, "tasks");
	*credits = ob_row_i64(res, 0, "credits");
	PQclear(res);
	return 0;
}

cJSON *
ob_credits_metrics(struct ob_db *db, int64_t org_id)
{
	static const char *const names[] = { "used_30d", "deductions_30d",
	    "active_users_30d", "services_30d", "avg_daily_30d", NULL };
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	cJSON *o;
	int i, one;

	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_CREDITS_METRICS, params, NULL)) == NULL)
		return NULL;
	one = PQntuples(res) > 0;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "credit_metrics");
	for (i = 0; names[i] != NULL; i++)
		ob_json_add_i64(o, names[i], one ? ob_row_i64(res, 0, names[i]) : 0);
	ob_credits_add_fmt(o, "used_30d", one ? ob_row_i64(res, 0, "used_30d") : 0);
	ob_credits_add_fmt(o, "avg_daily_30d", one ? ob_row_i64(res, 0, "avg_daily_30d") : 0);
	PQclear(res);
	return o;
}

cJSON *
ob_credits_user_summary(struct ob_db *db, int64_t user_id)
{
	char user[24];
	const char *params[1] = { user };
	PGresult *res;
	cJSON *o, *orgs, *e;
	int64_t lim, used;
	int i;

	ob_num_str(user, sizeof(user), user_id);
	if ((res = ob_db_exec(db, OB_STMT_CREDITS_USER_ORGS, params, NULL)) == NULL)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "user_credits");
	cJSON_AddStringToObject(o, "user_id", user);
	orgs = cJSON_AddArrayToObject(o, "orgs");
	cJSON_AddNullToObject(o, "personal");
	for (i = 0; i < PQntuples(res); i++) {
		e = cJSON_CreateObject();
		if (ob_row_str(res, i, "org_id")[0] == '\0') {
			ob_json_add_i64(e, "available",
			    ob_row_i64(res, i, "pool_available"));
			cJSON_ReplaceItemInObject(o, "personal", e);
			continue;
		}
		cJSON_AddStringToObject(e, "org_id", ob_row_str(res, i, "org_id"));
		cJSON_AddStringToObject(e, "org_name", ob_row_str(res, i, "org_name"));
		cJSON_AddStringToObject(e, "role", ob_row_str(res, i, "role"));
		cJSON_AddBoolToObject(e, "is_default", ob_row_bool(res, i, "is_default"));
		/* A member of an org that hides billing from members sees
		 * their own allowance, not the org's pool. */
		if (strcmp(ob_row_str(res, i, "role"), "member") == 0 &&
		    !ob_row_bool(res, i, "members_see_billing"))
			cJSON_AddNullToObject(e, "pool_available");
		else
			ob_json_add_i64(e, "pool_available", ob_row_i64(res, i, "pool_available"));
		if (ob_row_null(res, i, "allocation_limit")) {
			cJSON_AddNullToObject(e, "allocation_limit");
			cJSON_AddNullToObject(e, "allocation_remaining");
		} else {
			lim = ob_row_i64(res, i, "allocation_limit");
			used = ob_row_i64(res, i, "allocation_used");
			ob_json_add_i64(e, "allocation_limit", lim);
			ob_json_add_i64(e, "allocation_used", used);
			ob_json_add_i64(e, "allocation_remaining",
			    lim > used ? lim - used : 0);
		}
		cJSON_AddItemToArray(orgs, e);
	}
	PQclear(res);
	return o;
}

cJSON *
ob_credits_system(struct ob_db *db)
{
	static const char *const totals[] = { "orgs", "available", "granted", "used",
	    "extra_tasks_used", "used_30d", NULL };
	PGresult *res;
	cJSON *o, *top, *e;
	int i;

	if ((res = ob_db_exec(db, OB_STMT_CREDITS_SYSTEM, NULL, NULL)) == NULL)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "credit_system");
	for (i = 0; totals[i] != NULL; i++)
		ob_json_add_i64(o, totals[i], ob_row_i64(res, 0, totals[i]));
	PQclear(res);
	if ((res = ob_db_exec(db, OB_STMT_CREDITS_SYSTEM_TOP, NULL, NULL)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	top = cJSON_AddArrayToObject(o, "top_orgs");
	for (i = 0; i < PQntuples(res); i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "org_id", ob_row_str(res, i, "org_id"));
		cJSON_AddStringToObject(e, "name", ob_row_str(res, i, "name"));
		ob_json_add_i64(e, "available", ob_row_i64(res, i, "available"));
		ob_json_add_i64(e, "used", ob_row_i64(res, i, "used"));
		ob_json_add_i64(e, "used_30d", ob_row_i64(res, i, "used_30d"));
		cJSON_AddItemToArray(top, e);
	}
	PQclear(res);
	return o;
}
