#include "billing/plans.h"
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/row.h"
#include "base/num.h"
#include "stripe/client.h"
#include "billing/proration.h"
#include "billing/seats.h"

static const char *const res_names[OB_RES__MAX] = {
	"users", "agents", "executions", "storage_mb", "gateways",
};

/* The plan statements' limit columns, in enum ob_resource order. */
static const char *const limit_cols[OB_RES__MAX] = {
	"max_users", "max_agents", "max_executions_month", "max_storage_mb", "max_gateways",
};

int64_t
ob_plans_annual_price(int64_t monthly, int discount_pct)
{
	if (monthly < 0 || monthly > OB_PRORATION_AMOUNT_MAX || discount_pct < 0 ||
	    discount_pct > 100)
		return -1;
	return ob_proration_div_round(monthly * 12 * (100 - discount_pct), 100);
}

const char *
ob_plans_resource_name(enum ob_resource r)
{
	if ((int)r < 0 || r >= OB_RES__MAX)
		return NULL;
	return res_names[r];
}

int
ob_plans_resource_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < OB_RES__MAX; i++)
		if (strcmp(s, res_names[i]) == 0)
			return i;
	return -1;
}

int
ob_plans_cycle_ok(const char *cycle)
{
	return cycle != NULL && (strcmp(cycle, "month") == 0 || strcmp(cycle, "year") == 0);
}

int64_t
ob_plans_price(const struct ob_plan *p, const char *cycle)
{
	if (cycle != NULL && strcmp(cycle, "month") == 0)
		return p->price_month;
	if (cycle != NULL && strcmp(cycle, "year") == 0)
		return p->price_year;
	return -1;
}

static void
copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s);
}

static void
plan_from_row(PGresult *res, int row, struct ob_plan *p)
{
	int i;

	memset(p, 0, sizeof(*p));
	copy(p->code, sizeof(p->code), ob_row_str(res, row, "code"));
	copy(p->name, sizeof(p->name), ob_row_str(res, row, "name"));
	p->tier = (int)ob_row_i64(res, row, "tier");
	copy(p->pricing, sizeof(p->pricing), ob_row_str(res, row, "pricing"));
	copy(p->currency, sizeof(p->currency), ob_row_str(res, row, "currency"));
	p->price_month = ob_row_i64(res, row, "price_month");
	p->price_year = ob_row_i64(res, row, "price_year");
	for (i = 0; i < OB_RES__MAX; i++)
		p->limits[i] = ob_row_i64(res, row, limit_cols[i]);
	p->contacts_per_agent = ob_row_i64(res, row, "contacts_per_agent");
	p->credits_per_seat = ob_row_i64(res, row, "credits_per_seat");
	p->trial_days = (int)ob_row_i64(res, row, "trial_days");
	p->self_serve = ob_row_bool(res, row, "self_serve");
}

int
ob_plans_get(struct ob_db *db, const char *code, int64_t org_id, struct ob_plan *p)
{
	char org[24];
	const char *params[2] = { code, org };
	PGresult *res;
	int rc = 1;

	if (code == NULL || strlen(code) >= sizeof(p->code))
		return 1;
	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_PLAN_GET, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		plan_from_row(res, 0, p);
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static void
add_limit(cJSON *o, const char *name, int64_t v)
{
	if (v == OB_PLAN_UNLIMITED)
		cJSON_AddNullToObject(o, name);
	else
		ob_json_add_i64(o, name, v);
}

cJSON *
ob_plans_json(const struct ob_plan *p)
{
	cJSON *o = cJSON_CreateObject(), *lim, *prices;
	int i;

	cJSON_AddStringToObject(o, "object", "plan");
	cJSON_AddStringToObject(o, "id", p->code);
	cJSON_AddStringToObject(o, "name", p->name);
	ob_json_add_i64(o, "tier", p->tier);
	cJSON_AddStringToObject(o, "pricing", p->pricing);
	cJSON_AddStringToObject(o, "currency", p->currency);
	prices = cJSON_AddObjectToObject(o, "unit_amount");
	add_limit(prices, "month", p->price_month);
	add_limit(prices, "year", p->price_year);
	lim = cJSON_AddObjectToObject(o, "limits");
	for (i = 0; i < OB_RES__MAX; i++)
		add_limit(lim, res_names[i], p->limits[i]);
	add_limit(lim, "contacts_per_agent", p->contacts_per_agent);
	ob_json_add_i64(o, "credits_per_seat", p->credits_per_seat);
	ob_json_add_i64(o, "trial_days", p->trial_days);
	cJSON_AddBoolToObject(o, "self_serve", p->self_serve);
	return o;
}

cJSON *
ob_plans_list(struct ob_db *db)
{
	PGresult *res;
	cJSON *list, *data;
	struct ob_plan p;
	int i;

	if ((res = ob_db_exec(db, OB_STMT_PLAN_LIST, NULL, NULL)) == NULL)
		return NULL;
	list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "object", "list");
	data = cJSON_AddArrayToObject(list, "data");
	for (i = 0; i < PQntuples(res); i++) {
		plan_from_row(res, i, &p);
		cJSON_AddItemToArray(data, ob_plans_json(&p));
	}
	cJSON_AddBoolToObject(list, "has_more", 0);
	PQclear(res);
	return list;
}

int
ob_plans_stripe_transient(const struct ob_stripe_result *res)
{
	switch (res->outcome) {
	case OB_STRIPE_CONFLICT:
	case OB_STRIPE_RATE_LIMITED:
	case OB_STRIPE_SERVER:
	case OB_STRIPE_NETWORK:
	case OB_STRIPE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

int
ob_plans_stripe_fail(const struct ob_stripe_result *res, struct ob_fail *f)
{
	if (res->outcome == OB_STRIPE_CARD)
		return ob_fail(f, OB_FAIL_PAYMENT, "payment_failed", NULL,
		    "The payment was declined: %s", res->err_message);
	if (ob_plans_stripe_transient(res))
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unavailable", NULL,
		    "Stripe could not be reached (%s); nothing was changed. Retry with "
		    "the same Idempotency-Key.", ob_stripe_outcome_name(res->outcome));
	return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_rejected", NULL,
	    "Stripe refused the change (%s): %s", ob_stripe_outcome_name(res->outcome),
	    res->err_message);
}

/* One Stripe request; -1 with f set on failure. res is cleared by the caller. */
static int
call(struct ob_stripe *st, const char *method, const char *path, const cJSON *params,
    const char *key, struct ob_stripe_result *res, struct ob_fail *f)
{
	if (st == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "Stripe is not configured (STRIPE_SECRET_KEY).");
	if (ob_stripe_request(st, method, path, params, key, res) != 0)
		return ob_plans_stripe_fail(res, f);
	return 0;
}

/* A short stable hex digest of s (FNV-1a), for idempotency keys. */
static void
digest(const char *s, char out[17])
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Make sure Stripe has product orgbill_<code> named p->name. */
static int
ensure_product(struct ob_stripe *st, const struct ob_plan *p, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	char path[96], key[128], pid[48], dg[17];
	const char *name;
	cJSON *params = NULL;
	int rc = -1;

	snprintf(pid, sizeof(pid), "orgbill_%s", p->code);
	snprintf(path, sizeof(path), "/v1/products/%s", pid);
	if (st == NULL) {
		ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "Stripe is not configured (STRIPE_SECRET_KEY).");
		goto out;
	}
	if (ob_stripe_request(st, "GET", path, NULL, NULL, &res) == 0) {
		name = ob_json_str(res.body, "name");
		if (name != NULL && strcmp(name, p->name) == 0) {
			rc = 0;
			goto out;
		}
		params = cJSON_CreateObject();
		cJSON_AddStringToObject(params, "name", p->name);
		digest(p->name, dg);
		snprintf(key, sizeof(key), "orgbill-product-update-%s-%s", p->code, dg);
	} else if (res.outcome == OB_STRIPE_NOT_FOUND) {
		params = cJSON_CreateObject();
		cJSON_AddStringToObject(params, "id", pid);
		cJSON_AddStringToObject(params, "name", p->name);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(params, "metadata"), "orgbill_plan", p->code);
		snprintf(path, sizeof(path), "/v1/products");
		snprintf(key, sizeof(key), "orgbill-product-create-%s", p->code);
	} else {
		ob_plans_stripe_fail(&res, f);
		goto out;
	}
	ob_stripe_result_clear(&res);
	rc = call(st, "POST", path, params, key, &res, f);
out:
	cJSON_Delete(params);
	ob_stripe_result_clear(&res);
	return rc;
}

int
ob_plans_stripe_price(struct ob_db *db, struct ob_stripe *st, const struct ob_plan *p,
    const char *cycle, int64_t org_id, char *price_id, size_t len, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	char lookup[160], key[200], amount_s[24], org_s[24], pid[48];
	const char *params_db[7];
	cJSON *q = NULL, *data, *rec;
	int64_t amount = ob_plans_price(p, cycle);
	const char *id;
	int rc = -1;

	price_id[0] = '\0';
	if (amount < 0)
		return ob_fail(f, OB_FAIL_INVALID, "plan_not_priced", "plan",
		    "The %s plan has no self-serve price; contact sales.", p->name);
	if (strcmp(p->pricing, "custom") != 0)
		org_id = 0;
	if (org_id != 0)
		snprintf(lookup, sizeof(lookup), "orgbill_%s_org%lld_%s_%lld%s", p->code,
		    (long long)org_id, cycle, (long long)amount, p->currency);
	else
		snprintf(lookup, sizeof(lookup), "orgbill_%s_%s_%lld%s", p->code, cycle,
		    (long long)amount, p->currency);
	q = cJSON_CreateObject();
	cJSON_AddItemToObject(q, "lookup_keys", cJSON_CreateStringArray((const char *[]){ lookup }, 1));
	cJSON_AddStringToObject(q, "active", "true");
	cJSON_AddStringToObject(q, "limit", "1");
	if (call(st, "GET", "/v1/prices", q, NULL, &res, f) != 0)
		goto out;
	data = cJSON_GetObjectItem(res.body, "data");
	id = ob_json_str(cJSON_GetArrayItem(data, 0), "id");
	if (id != NULL) {
		snprintf(price_id, len, "%s", id);
	} else {
		ob_stripe_result_clear(&res);
		if (ensure_product(st, p, f) != 0)
			goto out;
		cJSON_Delete(q);
		snprintf(pid, sizeof(pid), "orgbill_%s", p->code);
		q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "product", pid);
		ob_num_str(amount_s, sizeof(amount_s), amount);
		cJSON_AddStringToObject(q, "unit_amount", amount_s);
		cJSON_AddStringToObject(q, "currency", p->currency);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(q, "recurring"), "interval", cycle);
		cJSON_AddStringToObject(q, "lookup_key", lookup);
		rec = cJSON_AddObjectToObject(q, "metadata");
		cJSON_AddStringToObject(rec, "orgbill_plan", p->code);
		cJSON_AddStringToObject(rec, "orgbill_cycle", cycle);
		snprintf(key, sizeof(key), "orgbill-price-create-%s", lookup);
		if (call(st, "POST", "/v1/prices", q, key, &res, f) != 0)
			goto out;
		id = ob_json_str(res.body, "id");
		if (id == NULL) {
			ob_fail(f, OB_FAIL_UPSTREAM, "stripe_rejected", NULL, "Stripe answered without a price id.");
			goto out;
		}
		snprintf(price_id, len, "%s", id);
	}
	ob_num_str(amount_s, sizeof(amount_s), amount);
	ob_num_str(org_s, sizeof(org_s), org_id);
	params_db[0] = p->code;
	params_db[1] = cycle;
	params_db[2] = org_s;
	params_db[3] = amount_s;
	params_db[4] = p->currency;
	params_db[5] = lookup;
	params_db[6] = price_id;
	if (ob_db_run(db, OB_STMT_PLAN_PRICE_UPSERT, params_db) != 0) {
		ob_fail_db(f, db->lasterr);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(q);
	ob_stripe_result_clear(&res);
	return rc;
}

int
ob_plans_sync_catalog(struct ob_db *db, struct ob_stripe *st, cJSON **report,
    struct ob_fail *f)
{
	static const char *const cycles[2] = { "month", "year" };
	cJSON *list, *data, *row;
	struct ob_plan p;
	char price[96];
	int i, c, rc = -1;

	*report = NULL;
	if ((list = ob_plans_list(db)) == NULL)
		return ob_fail_db(f, db->lasterr);
	*report = cJSON_CreateArray();
	data = cJSON_GetObjectItem(list, "data");
	for (i = 0; i < cJSON_GetArraySize(data); i++) {
		const char *code = ob_json_str(cJSON_GetArrayItem(data, i), "id");

		if (ob_plans_get(db, code, 0, &p) != 0) {
			ob_fail_db(f, db->lasterr);
			goto out;
		}
		if (p.price_month < 0)
			continue;	/* Enterprise: priced per org, on purchase */
		if (ensure_product(st, &p, f) != 0)
			goto out;
		for (c = 0; c < 2; c++) {
			if (ob_plans_stripe_price(db, st, &p, cycles[c], 0, price, sizeof(price), f) != 0)
				goto out;
			row = cJSON_CreateObject();
			cJSON_AddStringToObject(row, "plan", p.code);
			cJSON_AddStringToObject(row, "cycle", cycles[c]);
			ob_json_add_i64(row, "unit_amount", ob_plans_price(&p, cycles[c]));
			cJSON_AddStringToObject(row, "price", price);
			cJSON_AddItemToArray(*report, row);
		}
	}
	rc = 0;
out:
	cJSON_Delete(list);
	return rc;
}

/* ---- usage and limits ---- */

static int
current_use(struct ob_db *db, int64_t org_id, int64_t use[OB_RES__MAX])
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	int i;

	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_USAGE_CURRENT, params, NULL)) == NULL)
		return -1;
	for (i = 0; i < OB_RES__MAX; i++)
		use[i] = ob_row_i64(res, 0, res_names[i]);
	PQclear(res);
	return 0;
}

/* The plan that applies to the org now (Free without a live subscription),
 * and the seats bought (-1: no bound from seats). */
static int
org_plan(struct ob_db *db, int64_t org_id, struct ob_plan *p, int64_t *seats)
{
	char org[24];
	const char *params[1] = { org };
	const char *code = "free";
	PGresult *res;
	char plan[32] = "free";
	int rc;

	*seats = -1;
	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_SUB_GET, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1 && strcmp(ob_row_str(res, 0, "status"), "canceled") != 0 &&
	    strcmp(ob_row_str(res, 0, "status"), "incomplete_expired") != 0) {
		copy(plan, sizeof(plan), ob_row_str(res, 0, "plan_code"));
		*seats = ob_row_i64(res, 0, "seats");
		code = plan;
	}
	PQclear(res);
	rc = ob_plans_get(db, code, org_id, p);
	return rc == 0 ? 0 : -1;
}

int
ob_plans_usage_report(struct ob_db *db, int64_t org_id, const int64_t set[OB_RES__MAX],
    int64_t add_executions, cJSON **out, struct ob_fail *f)
{
	char org[24], v[3][24], ex[24];
	const char *params[5];
	PGresult *res;
	int i;

	*out = NULL;
	if (add_executions < 0 || add_executions > 1000000000000LL)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_quantity", "executions",
		    "executions must be between 0 and 10^12.");
	for (i = OB_RES_AGENTS; i < OB_RES__MAX; i++)
		if (i != OB_RES_EXECUTIONS && (set[i] < -1 || set[i] > 1000000000LL))
			return ob_fail(f, OB_FAIL_INVALID, "invalid_quantity", res_names[i],
			    "%s must be between 0 and 10^9.", res_names[i]);
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(v[0], sizeof(v[0]), set[OB_RES_AGENTS]);
	ob_num_str(v[1], sizeof(v[1]), set[OB_RES_STORAGE_MB]);
	ob_num_str(v[2], sizeof(v[2]), set[OB_RES_GATEWAYS]);
	ob_num_str(ex, sizeof(ex), add_executions);
	params[0] = org;
	params[1] = set[OB_RES_AGENTS] >= 0 ? v[0] : NULL;
	params[2] = add_executions > 0 ? ex : NULL;
	params[3] = set[OB_RES_STORAGE_MB] >= 0 ? v[1] : NULL;
	params[4] = set[OB_RES_GATEWAYS] >= 0 ? v[2] : NULL;
	if ((res = ob_db_exec(db, OB_STMT_USAGE_REPORT, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "object", "usage");
	cJSON_AddStringToObject(*out, "org_id", org);
	for (i = 0; i < OB_RES__MAX; i++)
		ob_json_add_i64(*out, i == OB_RES_EXECUTIONS ? "executions_today" : res_names[i],
		    ob_row_i64(res, 0, res_names[i]));
	PQclear(res);
	return 0;
}

static int64_t
effective_limit(struct ob_db *db, int64_t org_id, const struct ob_plan *p, int64_t seats,
    enum ob_resource r, int *err)
{
	int64_t lim = p->limits[r];
	int on = 0;

	*err = 0;
	if (r != OB_RES_USERS || seats < 0)
		return lim;
	if (ob_seats_auto_increase(db, org_id, &on) != 0) {
		*err = 1;
		return lim;
	}
	if (on)
		return lim;
	return lim == OB_PLAN_UNLIMITED || seats < lim ? seats : lim;
}

int
ob_plans_limit_check(struct ob_db *db, int64_t org_id, enum ob_resource resource,
    int64_t quantity, cJSON **out, struct ob_fail *f)
{
	struct ob_plan p;
	int64_t use[OB_RES__MAX], seats, lim;
	int err;

	*out = NULL;
	if ((int)resource < 0 || resource >= OB_RES__MAX)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_resource", "resource",
		    "resource must be users, agents, executions, storage_mb or gateways.");
	if (quantity < 0 || quantity > 1000000000000LL)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_quantity", "quantity",
		    "quantity must be between 0 and 10^12.");
	if (org_plan(db, org_id, &p, &seats) != 0 || current_use(db, org_id, use) != 0)
		return ob_fail_db(f, db->lasterr);
	lim = effective_limit(db, org_id, &p, seats, resource, &err);
	if (err)
		return ob_fail_db(f, db->lasterr);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "object", "limit_check");
	cJSON_AddStringToObject(*out, "plan", p.code);
	cJSON_AddStringToObject(*out, "resource", res_names[resource]);
	ob_json_add_i64(*out, "requested", quantity);
	ob_json_add_i64(*out, "current", use[resource]);
	add_limit(*out, "limit", lim);
	if (lim == OB_PLAN_UNLIMITED) {
		cJSON_AddNullToObject(*out, "remaining");
		cJSON_AddBoolToObject(*out, "allowed", 1);
	} else {
		ob_json_add_i64(*out, "remaining", lim > use[resource] ? lim - use[resource] : 0);
		cJSON_AddBoolToObject(*out, "allowed", use[resource] + quantity <= lim);
	}
	return 0;
}

cJSON *
ob_plans_usage_view(struct ob_db *db, int64_t org_id, int days)
{
	struct ob_plan p;
	int64_t use[OB_RES__MAX], seats, lim;
	char org[24], n[24];
	const char *params[2] = { org, n };
	PGresult *res;
	cJSON *o, *arr, *row, *hist;
	int i, j, err;

	if (org_plan(db, org_id, &p, &seats) != 0 || current_use(db, org_id, use) != 0)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "limits");
	cJSON_AddStringToObject(o, "plan", p.code);
	cJSON_AddStringToObject(o, "plan_name", p.name);
	arr = cJSON_AddArrayToObject(o, "data");
	for (i = 0; i < OB_RES__MAX; i++) {
		lim = effective_limit(db, org_id, &p, seats, (enum ob_resource)i, &err);
		if (err) {
			cJSON_Delete(o);
			return NULL;
		}
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "resource", res_names[i]);
		ob_json_add_i64(row, "current", use[i]);
		add_limit(row, "limit", lim);
		cJSON_AddBoolToObject(row, "unlimited", lim == OB_PLAN_UNLIMITED);
		cJSON_AddBoolToObject(row, "over", lim != OB_PLAN_UNLIMITED && use[i] > lim);
		cJSON_AddItemToArray(arr, row);
	}
	add_limit(o, "contacts_per_agent", p.contacts_per_agent);
	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(n, sizeof(n), days < 1 ? 1 : days > 366 ? 366 : days);
	if ((res = ob_db_exec(db, OB_STMT_USAGE_HISTORY, params, NULL)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	hist = cJSON_AddArrayToObject(o, "history");
	for (i = 0; i < PQntuples(res); i++) {
		row = cJSON_CreateObject();
		cJSON_AddStringToObject(row, "day", ob_row_str(res, i, "day"));
		for (j = 0; j < OB_RES__MAX; j++)
			ob_json_add_i64(row, res_names[j], ob_row_i64(res, i, res_names[j]));
		cJSON_AddItemToArray(hist, row);
	}
	PQclear(res);
	return o;
}
