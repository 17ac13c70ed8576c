#include "billing/subscription.h"
#include "base/json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "base/buf.h"
#include "base/row.h"
#include "stripe/client.h"
#include "credits/credits.h"
#include "stripe/form.h"
#include "billing/plans.h"
#include "billing/proration.h"
#include "billing/seats.h"

#define REASON_MAX	500
#define TRIAL_MAX	90
#define SEATS_MAX	100000
#define LOCK_CLASS	"715"	/* advisory lock class for billing changes */

/* ---- small helpers ---- */

static void
copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "");
}

static void
fmt_i64(char *buf, size_t n, int64_t v)
{
	snprintf(buf, n, "%lld", (long long)v);
}

static void
add_int_arr(cJSON *a, int64_t v)
{
	char buf[24];

	fmt_i64(buf, sizeof(buf), v);
	cJSON_AddItemToArray(a, cJSON_CreateRaw(buf));
}

/*
 * An integer from JSON: cJSON keeps valueint beside the parsed value,
 * saturated at INT_MAX/INT_MIN, which we treat as out of range. Returns 0
 * or -1 (absent, not a number, fractional, out of range).
 */
static int
jint(const cJSON *it, int64_t *out)
{
	char buf[32];

	if (!cJSON_IsNumber(it) || it->valueint == INT_MAX || it->valueint == INT_MIN)
		return -1;
	/* Reject fractions: the printed value must be the integer. */
	snprintf(buf, sizeof(buf), "%d", it->valueint);
	{
		char *txt = cJSON_PrintUnformatted(it);
		int same = txt != NULL && strcmp(txt, buf) == 0;

		free(txt);
		if (!same)
			return -1;
	}
	*out = it->valueint;
	return 0;
}

static const char *
jstr(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
}

/* A string member of a request body; NULL if absent or not a string. */
static const char *
bstr(const cJSON *body, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(body, name));
}

/* A Stripe id field that may be expanded into an object. */
static const char *
jid(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItem(o, name);

	if (cJSON_IsString(it))
		return it->valuestring;
	if (cJSON_IsObject(it))
		return jstr(it, "id");
	return NULL;
}

static void
iso_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
add_time(cJSON *o, const char *name, int64_t t)
{
	char buf[32];

	if (t <= 0) {
		cJSON_AddNullToObject(o, name);
		return;
	}
	iso_time(t, buf, sizeof(buf));
	cJSON_AddStringToObject(o, name, buf);
}

/* ---- loading and the view ---- */

int
ob_subscription_load(struct ob_db *db, int64_t org_id, struct ob_sub *s)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	int rc = 1;

	memset(s, 0, sizeof(*s));
	s->sched_seats = -1;
	fmt_i64(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_SUB_GET, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		s->org_id = org_id;
		copy(s->plan, sizeof(s->plan), ob_row_str(res, 0, "plan_code"));
		copy(s->cycle, sizeof(s->cycle), ob_row_str(res, 0, "cycle"));
		s->seats = ob_row_i64(res, 0, "seats");
		s->unit_amount = ob_row_i64(res, 0, "unit_amount");
		copy(s->currency, sizeof(s->currency), ob_row_str(res, 0, "currency"));
		copy(s->status, sizeof(s->status), ob_row_str(res, 0, "status"));
		copy(s->customer, sizeof(s->customer), ob_row_str(res, 0, "stripe_customer_id"));
		copy(s->subscription, sizeof(s->subscription),
		    ob_row_str(res, 0, "stripe_subscription_id"));
		copy(s->item, sizeof(s->item), ob_row_str(res, 0, "stripe_item_id"));
		copy(s->price, sizeof(s->price), ob_row_str(res, 0, "stripe_price_id"));
		s->period_start = ob_row_i64(res, 0, "current_period_start");
		s->period_end = ob_row_i64(res, 0, "current_period_end");
		s->trial_end = ob_row_i64(res, 0, "trial_end");
		s->cancel_at_period_end = ob_row_bool(res, 0, "cancel_at_period_end");
		copy(s->cancel_reason, sizeof(s->cancel_reason), ob_row_str(res, 0, "cancel_reason"));
		s->canceled_at = ob_row_i64(res, 0, "canceled_at");
		copy(s->sched_plan, sizeof(s->sched_plan), ob_row_str(res, 0, "scheduled_plan_code"));
		copy(s->sched_cycle, sizeof(s->sched_cycle), ob_row_str(res, 0, "scheduled_cycle"));
		s->sched_seats = ob_row_i64(res, 0, "scheduled_seats");
		s->credits_period = ob_row_i64(res, 0, "credits_granted_period");
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int
ob_subscription_live(const struct ob_sub *s)
{
	return s->status[0] != '\0' && strcmp(s->status, "canceled") != 0 &&
	    strcmp(s->status, "incomplete_expired") != 0;
}

/* The compact before/after picture for audit rows. */
static cJSON *
audit_state(const struct ob_sub *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "plan", s->plan);
	cJSON_AddStringToObject(o, "cycle", s->cycle);
	ob_json_add_i64(o, "seats", s->seats);
	ob_json_add_i64(o, "unit_amount", s->unit_amount);
	cJSON_AddStringToObject(o, "status", s->status);
	cJSON_AddBoolToObject(o, "cancel_at_period_end", s->cancel_at_period_end);
	if (s->cancel_reason[0] != '\0')
		cJSON_AddStringToObject(o, "cancel_reason", s->cancel_reason);
	add_time(o, "current_period_end", s->period_end);
	if (s->sched_plan[0] != '\0') {
		cJSON_AddStringToObject(o, "scheduled_plan", s->sched_plan);
		cJSON_AddStringToObject(o, "scheduled_cycle", s->sched_cycle);
		ob_json_add_i64(o, "scheduled_seats", s->sched_seats);
	}
	return o;
}

cJSON *
ob_subscription_view(struct ob_db *db, int64_t org_id)
{
	struct ob_sub s;
	struct ob_plan p;
	int64_t used = 0;
	cJSON *o, *seats, *sched;
	char org[24];
	int rc;

	if ((rc = ob_subscription_load(db, org_id, &s)) < 0)
		return NULL;
	if (ob_seats_count(db, org_id, &used) != 0)
		return NULL;
	fmt_i64(org, sizeof(org), org_id);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "subscription");
	cJSON_AddStringToObject(o, "org_id", org);
	if (rc == 1) {
		cJSON_AddStringToObject(o, "status", "none");
		cJSON_AddNullToObject(o, "plan");
		seats = cJSON_AddObjectToObject(o, "seats");
		ob_json_add_i64(seats, "purchased", 0);
		ob_json_add_i64(seats, "assigned", used);
		ob_json_add_i64(seats, "available", 0);
		return o;
	}
	cJSON_AddStringToObject(o, "id", s.subscription);
	cJSON_AddStringToObject(o, "status", s.status);
	if (ob_plans_get(db, s.plan, org_id, &p) == 0)
		cJSON_AddItemToObject(o, "plan", ob_plans_json(&p));
	else
		cJSON_AddStringToObject(o, "plan", s.plan);
	cJSON_AddStringToObject(o, "plan_id", s.plan);
	cJSON_AddStringToObject(o, "cycle", s.cycle);
	ob_json_add_i64(o, "unit_amount", s.unit_amount);
	cJSON_AddStringToObject(o, "currency", s.currency);
	ob_json_add_i64(o, "amount_per_period", s.unit_amount * s.seats);
	seats = cJSON_AddObjectToObject(o, "seats");
	ob_json_add_i64(seats, "purchased", s.seats);
	ob_json_add_i64(seats, "assigned", used);
	ob_json_add_i64(seats, "available", s.seats > used ? s.seats - used : 0);
	add_time(o, "current_period_start", s.period_start);
	add_time(o, "current_period_end", s.period_end);
	add_time(o, "trial_end", s.trial_end);
	cJSON_AddBoolToObject(o, "cancel_at_period_end", s.cancel_at_period_end);
	if (s.cancel_reason[0] != '\0')
		cJSON_AddStringToObject(o, "cancel_reason", s.cancel_reason);
	else
		cJSON_AddNullToObject(o, "cancel_reason");
	add_time(o, "canceled_at", s.canceled_at);
	if (s.sched_plan[0] != '\0') {
		sched = cJSON_AddObjectToObject(o, "scheduled_change");
		cJSON_AddStringToObject(sched, "plan", s.sched_plan);
		cJSON_AddStringToObject(sched, "cycle", s.sched_cycle);
		ob_json_add_i64(sched, "seats", s.sched_seats);
		add_time(sched, "effective_at", s.period_end);
	} else {
		cJSON_AddNullToObject(o, "scheduled_change");
	}
	cJSON_AddStringToObject(o, "stripe_customer", s.customer);
	return o;
}

/* ---- reconciling from Stripe ---- */

/* What we read from a Stripe subscription object. */
struct stripe_sub {
	const char *id, *customer, *status, *item, *price, *currency;
	int64_t quantity, unit_amount, period_start, period_end, trial_end, canceled_at;
	int cancel_at_period_end;
	int64_t org_id;
};

static int
parse_stripe_sub(const cJSON *o, struct stripe_sub *x, struct ob_fail *f)
{
	const cJSON *items, *it, *price, *md;
	const char *org;

	memset(x, 0, sizeof(*x));
	x->id = jstr(o, "id");
	x->customer = jid(o, "customer");
	x->status = jstr(o, "status");
	items = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "items"), "data");
	it = cJSON_GetArrayItem(items, 0);
	price = cJSON_GetObjectItem(it, "price");
	x->item = jstr(it, "id");
	x->price = jstr(price, "id");
	x->currency = jstr(price, "currency");
	if (x->id == NULL || x->customer == NULL || x->status == NULL || x->item == NULL ||
	    x->price == NULL || x->currency == NULL || strlen(x->currency) != 3 ||
	    jint(cJSON_GetObjectItem(it, "quantity"), &x->quantity) != 0 ||
	    jint(cJSON_GetObjectItem(price, "unit_amount"), &x->unit_amount) != 0 ||
	    jint(cJSON_GetObjectItem(it, "current_period_start"), &x->period_start) != 0 ||
	    jint(cJSON_GetObjectItem(it, "current_period_end"), &x->period_end) != 0 ||
	    strlen(x->id) >= 96 || strlen(x->customer) >= 96 || strlen(x->item) >= 96 ||
	    strlen(x->price) >= 96 || strlen(x->status) >= 24)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL,
		    "Stripe's subscription object lacks a field we need.");
	if (jint(cJSON_GetObjectItem(o, "trial_end"), &x->trial_end) != 0)
		x->trial_end = 0;
	if (jint(cJSON_GetObjectItem(o, "canceled_at"), &x->canceled_at) != 0)
		x->canceled_at = 0;
	x->cancel_at_period_end = cJSON_IsTrue(cJSON_GetObjectItem(o, "cancel_at_period_end"));
	md = cJSON_GetObjectItem(o, "metadata");
	org = jstr(md, "orgbill_org");
	x->org_id = org != NULL ? strtoll(org, NULL, 10) : 0;
	return 0;
}

/* Mutation helpers: roll back and fail. */
static int
tx_fail(const struct ob_actx *ax, struct ob_fail *f)
{
	if (f->kind == OB_FAIL_NONE)
		ob_fail_db(f, ax->db->lasterr);
	ob_db_rollback(ax->db);
	return -1;
}

/*
 * Apply a Stripe subscription to the local row, in one transaction with
 * one audit row. cancel_reason: set it (NULL: keep; "" clear);
 * clear_schedule: forget a scheduled change.
 */
static int
apply_internal(const struct ob_actx *ax, int64_t org_id, const cJSON *obj, const char *action,
    const char *cancel_reason, int clear_schedule, struct ob_fail *f)
{
	struct stripe_sub x;
	struct ob_sub before, after;
	char org[24], seats[24], unit[24], ps[24], pe[24], te[24], ca[24];
	const char *params[16], *sp[4];
	PGresult *res;
	char plan[32], cycle[8];
	cJSON *b = NULL, *a = NULL;
	int had, rc;

	if (parse_stripe_sub(obj, &x, f) != 0)
		return -1;
	if (org_id == 0)
		org_id = x.org_id;
	if (org_id <= 0)
		return ob_fail(f, OB_FAIL_INVALID, "unknown_org", NULL,
		    "The Stripe subscription names no org (metadata.orgbill_org).");
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if ((had = ob_subscription_load(ax->db, org_id, &before)) < 0)
		return tx_fail(ax, f);
	if (had == 0 && strcmp(before.subscription, x.id) != 0 && ob_subscription_live(&before) &&
	    strcmp(x.status, "canceled") == 0) {
		/* An old subscription's news: the live one stays. */
		ob_db_rollback(ax->db);
		return 0;
	}
	sp[0] = x.price;
	if ((res = ob_db_exec(ax->db, OB_STMT_PLAN_BY_PRICE, sp, NULL)) == NULL)
		return tx_fail(ax, f);
	if (PQntuples(res) == 1) {
		copy(plan, sizeof(plan), ob_row_str(res, 0, "plan_code"));
		copy(cycle, sizeof(cycle), ob_row_str(res, 0, "cycle"));
	} else if (had == 0 && strcmp(before.price, x.price) == 0) {
		copy(plan, sizeof(plan), before.plan);
		copy(cycle, sizeof(cycle), before.cycle);
	} else {
		PQclear(res);
		ob_fail(f, OB_FAIL_INVALID, "unknown_price", NULL,
		    "Stripe price %s is not one of our plans.", x.price);
		return tx_fail(ax, f);
	}
	PQclear(res);
	fmt_i64(org, sizeof(org), org_id);
	fmt_i64(seats, sizeof(seats), x.quantity);
	fmt_i64(unit, sizeof(unit), x.unit_amount);
	fmt_i64(ps, sizeof(ps), x.period_start);
	fmt_i64(pe, sizeof(pe), x.period_end);
	fmt_i64(te, sizeof(te), x.trial_end);
	fmt_i64(ca, sizeof(ca), x.canceled_at);
	params[0] = org;
	params[1] = plan;
	params[2] = cycle;
	params[3] = seats;
	params[4] = unit;
	params[5] = x.currency;
	params[6] = x.status;
	params[7] = x.customer;
	params[8] = x.id;
	params[9] = x.item;
	params[10] = x.price;
	params[11] = ps;
	params[12] = pe;
	params[13] = x.trial_end > 0 ? te : NULL;
	params[14] = x.cancel_at_period_end ? "true" : "false";
	params[15] = x.canceled_at > 0 ? ca : NULL;
	if (ob_db_run(ax->db, OB_STMT_SUB_UPSERT, params) != 0)
		return tx_fail(ax, f);
	if (cancel_reason != NULL) {
		sp[0] = org;
		sp[1] = *cancel_reason != '\0' ? cancel_reason : NULL;
		if (ob_db_run(ax->db, OB_STMT_SUB_SET_CANCEL_REASON, sp) != 0)
			return tx_fail(ax, f);
	}
	if (clear_schedule) {
		sp[0] = org;
		sp[1] = sp[2] = sp[3] = NULL;
		if (ob_db_run(ax->db, OB_STMT_SUB_SET_SCHEDULE, sp) != 0)
			return tx_fail(ax, f);
	}
	if (ob_subscription_load(ax->db, org_id, &after) != 0)
		return tx_fail(ax, f);
	if (after.credits_period != after.period_start && ob_subscription_live(&after) &&
	    ob_subscription_on_new_period(ax, &after) != 0)
		return tx_fail(ax, f);
	b = had == 0 ? audit_state(&before) : NULL;
	a = audit_state(&after);
	rc = ob_audit_write(ax, org_id, action != NULL ? action : "subscription.stripe_sync",
	    "subscription", x.id, b, a);
	cJSON_Delete(b);
	cJSON_Delete(a);
	if (rc != 0 || ob_db_commit(ax->db) != 0)
		return tx_fail(ax, f);
	return 0;
}

int
ob_subscription_apply_stripe(const struct ob_actx *ax, int64_t org_id,
    const cJSON *stripe_sub, const char *action, struct ob_fail *f)
{
	return apply_internal(ax, org_id, stripe_sub, action, NULL, 0, f);
}

int
ob_subscription_on_new_period(const struct ob_actx *ax, const struct ob_sub *s)
{
	char org[24], ps[24], start[32], end[32];
	const char *params[2] = { org, ps };
	struct ob_plan p;
	struct ob_fail f = { 0 };
	int64_t grant_id = 0;
	int created = 0;

	/* The plan's included credits for [period_start, period_end), once per
	 * period (the ledger is idempotent per org and period, and the period
	 * is recorded here too). */
	if (ob_plans_get(ax->db, s->plan, s->org_id, &p) != 0)
		return -1;
	iso_time(s->period_start, start, sizeof(start));
	iso_time(s->period_end, end, sizeof(end));
	if (p.credits_per_seat > 0 && s->seats > 0 &&
	    ob_credits_grant_plan_period(ax, s->org_id, start, end,
	    p.credits_per_seat * s->seats, &grant_id, &created, &f) != 0)
		return -1;
	fmt_i64(org, sizeof(org), s->org_id);
	fmt_i64(ps, sizeof(ps), s->period_start);
	return ob_db_run(ax->db, OB_STMT_SUB_SET_CREDITS_PERIOD, params);
}

/* ---- operations ---- */

struct op {
	int64_t id;
	char kind[24];
	cJSON *params;
};

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
lock_org(struct ob_db *db, int64_t org_id, int *got)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;

	fmt_i64(org, sizeof(org), org_id);
	*got = 0;
	if ((res = ob_db_exec(db, OB_STMT_BILLING_LOCK, params, NULL)) == NULL)
		return -1;
	*got = ob_row_bool(res, 0, "locked");
	PQclear(res);
	return 0;
}

static void
unlock_org(struct ob_db *db, int64_t org_id)
{
	char org[24];
	const char *params[1] = { org };

	fmt_i64(org, sizeof(org), org_id);
	(void)ob_db_run(db, OB_STMT_BILLING_UNLOCK, params);
}

/* Finish op as failed with the error answer f, in its own transaction. */
static void
finish_failed(struct ob_db *db, int64_t op_id, const struct ob_fail *f, int status)
{
	char id[24], st[8];
	const char *params[4] = { id, "failed", st, NULL };
	cJSON *err = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(err, "error");
	char *txt;

	cJSON_AddStringToObject(e, "type", f->kind == OB_FAIL_UPSTREAM ? "api_error" : "invalid_request_error");
	cJSON_AddStringToObject(e, "code", f->code != NULL ? f->code : "error");
	cJSON_AddStringToObject(e, "message", f->message);
	if (f->param != NULL)
		cJSON_AddStringToObject(e, "param", f->param);
	else
		cJSON_AddNullToObject(e, "param");
	txt = cJSON_PrintUnformatted(err);
	fmt_i64(id, sizeof(id), op_id);
	snprintf(st, sizeof(st), "%d", status);
	params[3] = txt;
	(void)ob_db_run(db, OB_STMT_BOP_FINISH, params);
	free(txt);
	cJSON_Delete(err);
}

/* Stripe call for op; 0, or -1 with f and *transient. */
static int
op_call(struct ob_stripe *st, const char *method, const char *path, const cJSON *params,
    const char *what, int64_t op_id, struct ob_stripe_result *res, int *transient,
    struct ob_fail *f)
{
	char key[OB_STRIPE_IDEM_KEY_MAX + 1], opid[32];

	snprintf(opid, sizeof(opid), "op%lld", (long long)op_id);
	if (ob_stripe_idem_key(key, sizeof(key), what, opid) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "bad_key", NULL, "Bad operation key.");
	if (st == NULL) {
		*transient = 1;
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "Stripe is not configured (STRIPE_SECRET_KEY).");
	}
	if (ob_stripe_request(st, method, path, params, key, res) == 0)
		return 0;
	*transient = ob_plans_stripe_transient(res);
	return ob_plans_stripe_fail(res, f);
}

/* The invoice Stripe made for an immediate change, as lines. */
static cJSON *
invoice_json(const cJSON *inv)
{
	cJSON *o, *lines, *l;
	const cJSON *it;
	int64_t v;

	if (!cJSON_IsObject(inv))
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", jstr(inv, "id") ? jstr(inv, "id") : "");
	if (jint(cJSON_GetObjectItem(inv, "total"), &v) == 0)
		ob_json_add_i64(o, "total", v);
	if (jint(cJSON_GetObjectItem(inv, "amount_due"), &v) == 0)
		ob_json_add_i64(o, "amount_due", v);
	cJSON_AddStringToObject(o, "status", jstr(inv, "status") ? jstr(inv, "status") : "");
	lines = cJSON_AddArrayToObject(o, "lines");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(cJSON_GetObjectItem(inv, "lines"), "data")) {
		l = cJSON_CreateObject();
		if (jint(cJSON_GetObjectItem(it, "amount"), &v) == 0)
			ob_json_add_i64(l, "amount", v);
		cJSON_AddStringToObject(l, "description", jstr(it, "description") ? jstr(it, "description") : "");
		cJSON_AddItemToArray(lines, l);
	}
	return o;
}

/*
 * Run op's Stripe call(s) and apply the answer. 0: done (answer in
 * *status and *out, op finished); 1: Stripe refused (op finished failed, f
 * set); -1: unknown outcome or database failure (op left pending, f set).
 */
static int
exec_op(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id, const struct op *op,
    int *status, cJSON **out, struct ob_fail *f)
{
	struct ob_stripe_result res = { 0 };
	const cJSON *p = op->params;
	cJSON *q = NULL, *items, *item, *md;
	struct ob_buf path = OB_BUF_INIT;
	char org[24], id[24], st_s[8];
	const char *pcust = jstr(p, "customer"), *sub_id = jstr(p, "subscription");
	char *customer = NULL;
	const char *method = "POST", *what = op->kind, *action = "subscription.update";
	const char *reason = NULL, *fparams[4];
	char *txt = NULL;
	int transient = 0, rc = -1, clear_schedule = 0;
	cJSON *view = NULL;

	*out = NULL;
	fmt_i64(org, sizeof(org), org_id);
	if (strcmp(op->kind, "create") == 0) {
		action = "subscription.create";
		if (pcust == NULL || *pcust == '\0') {
			q = cJSON_CreateObject();
			if (jstr(p, "email") != NULL)
				cJSON_AddStringToObject(q, "email", jstr(p, "email"));
			if (jstr(p, "name") != NULL)
				cJSON_AddStringToObject(q, "name", jstr(p, "name"));
			if (jstr(p, "payment_method") != NULL)
				cJSON_AddStringToObject(q, "payment_method", jstr(p, "payment_method"));
			cJSON_AddStringToObject(cJSON_AddObjectToObject(q, "metadata"), "orgbill_org", org);
			if (op_call(st, "POST", "/v1/customers", q, "customer-create", op->id, &res,
			    &transient, f) != 0)
				goto refused;
			if (jstr(res.body, "id") == NULL) {
				ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "No customer id.");
				transient = 1;
				goto refused;
			}
			customer = strdup(jstr(res.body, "id"));
			ob_stripe_result_clear(&res);
			cJSON_Delete(q);
			q = NULL;
		} else {
			customer = strdup(pcust);
		}
		q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "customer", customer);
		free((char *)customer);
		customer = NULL;
		items = cJSON_AddArrayToObject(q, "items");
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "price", jstr(p, "price"));
		cJSON_AddStringToObject(item, "quantity", jstr(p, "seats"));
		cJSON_AddItemToArray(items, item);
		if (jstr(p, "trial_days") != NULL && strcmp(jstr(p, "trial_days"), "0") != 0)
			cJSON_AddStringToObject(q, "trial_period_days", jstr(p, "trial_days"));
		md = cJSON_AddObjectToObject(q, "metadata");
		cJSON_AddStringToObject(md, "orgbill_org", org);
		ob_buf_puts(&path, "/v1/subscriptions");
		what = "subscription-create";
	} else {
		if (sub_id == NULL) {
			ob_fail(f, OB_FAIL_CONFLICT, "no_subscription", NULL, "The org has no subscription.");
			goto refused;
		}
		ob_buf_puts(&path, "/v1/subscriptions/");
		ob_stripe_form_escape(&path, sub_id, strlen(sub_id));
		q = cJSON_CreateObject();
		if (strcmp(op->kind, "update") == 0 || strcmp(op->kind, "apply_scheduled") == 0) {
			items = cJSON_AddArrayToObject(q, "items");
			item = cJSON_CreateObject();
			cJSON_AddStringToObject(item, "id", jstr(p, "item"));
			cJSON_AddStringToObject(item, "price", jstr(p, "price"));
			cJSON_AddStringToObject(item, "quantity", jstr(p, "seats"));
			cJSON_AddItemToArray(items, item);
			cJSON_AddStringToObject(q, "proration_behavior", jstr(p, "proration_behavior"));
			if (jstr(p, "proration_date") != NULL)
				cJSON_AddStringToObject(q, "proration_date", jstr(p, "proration_date"));
			what = strcmp(op->kind, "update") == 0 ? "subscription-update" : "subscription-renewal-change";
			if (strcmp(op->kind, "apply_scheduled") == 0) {
				action = "subscription.scheduled_applied";
				clear_schedule = 1;
			} else {
				clear_schedule = cJSON_IsTrue(cJSON_GetObjectItem(p, "clear_schedule"));
			}
		} else if (strcmp(op->kind, "cancel") == 0) {
			reason = jstr(p, "reason");
			action = "subscription.cancel";
			clear_schedule = 1;
			if (cJSON_IsTrue(cJSON_GetObjectItem(p, "at_period_end"))) {
				cJSON_AddStringToObject(q, "cancel_at_period_end", "true");
				what = "subscription-cancel-at-period-end";
			} else {
				method = "DELETE";
				what = "subscription-cancel-now";
			}
		} else {	/* reactivate */
			cJSON_AddStringToObject(q, "cancel_at_period_end", "false");
			reason = "";
			action = "subscription.reactivate";
			what = "subscription-reactivate";
		}
	}
	cJSON_AddItemToObject(q, "expand", cJSON_CreateStringArray((const char *[]){ "latest_invoice" }, 1));
	if (strcmp(method, "DELETE") == 0)
		cJSON_DeleteItemFromObject(q, "expand");
	if (op_call(st, method, path.data, q, what, op->id, &res, &transient, f) != 0)
		goto refused;
	/* Stripe's answer is the truth: apply it, audit, finish the op. */
	if (ob_db_begin(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		goto out;
	}
	if (apply_internal(ax, org_id, res.body, action, reason, clear_schedule, f) != 0) {
		ob_db_rollback(ax->db);
		transient = f->kind == OB_FAIL_DB;
		goto refused;
	}
	if ((view = ob_subscription_view(ax->db, org_id)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		goto out;
	}
	if (strcmp(op->kind, "update") == 0) {
		const cJSON *inv = cJSON_GetObjectItem(res.body, "latest_invoice");
		const char *br = jstr(inv, "billing_reason");

		if (br != NULL && strcmp(br, "subscription_update") == 0)
			cJSON_AddItemToObject(view, "invoice", invoice_json(inv));
		else
			cJSON_AddNullToObject(view, "invoice");
	}
	*status = strcmp(op->kind, "create") == 0 ? 201 : 200;
	txt = cJSON_PrintUnformatted(view);
	fmt_i64(id, sizeof(id), op->id);
	snprintf(st_s, sizeof(st_s), "%d", *status);
	fparams[0] = id;
	fparams[1] = "done";
	fparams[2] = st_s;
	fparams[3] = txt;
	if (ob_db_run(ax->db, OB_STMT_BOP_FINISH, fparams) != 0 || ob_db_commit(ax->db) != 0) {
		ob_fail_db(f, ax->db->lasterr);
		ob_db_rollback(ax->db);
		goto out;
	}
	*out = view;
	view = NULL;
	rc = 0;
	goto out;
refused:
	if (!transient) {
		finish_failed(ax->db, op->id, f, f->kind == OB_FAIL_PAYMENT ? 402 :
		    f->kind == OB_FAIL_CONFLICT ? 409 : f->kind == OB_FAIL_INVALID ? 400 : 502);
		rc = 1;
	}
out:
	free(customer);
	free(txt);
	cJSON_Delete(view);
	cJSON_Delete(q);
	ob_buf_free(&path);
	ob_stripe_result_clear(&res);
	return rc;
}

/* Load the operation row from a result (columns: id, kind, params, ...). */
static int
op_from_row(PGresult *res, int row, struct op *op)
{
	op->id = ob_row_i64(res, row, "id");
	copy(op->kind, sizeof(op->kind), ob_row_str(res, row, "kind"));
	op->params = cJSON_Parse(ob_row_str(res, row, "params"));
	return op->params != NULL ? 0 : -1;
}

/* Finish the org's oldest pending operation, if any. 0, or -1 with f. */
static int
drain_pending(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id, struct ob_fail *f)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	struct op op = { 0 };
	cJSON *out = NULL;
	int status, rc;

	fmt_i64(org, sizeof(org), org_id);
	if ((res = ob_db_exec(ax->db, OB_STMT_BOP_PENDING, params, NULL)) == NULL)
		return ob_fail_db(f, ax->db->lasterr);
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	rc = op_from_row(res, 0, &op);
	PQclear(res);
	if (rc != 0)
		return ob_fail_db(f, "bad operation params");
	rc = exec_op(ax, st, org_id, &op, &status, &out, f);
	cJSON_Delete(out);
	cJSON_Delete(op.params);
	if (rc < 0) {
		f->kind = OB_FAIL_CONFLICT;
		f->code = "operation_pending";
		return -1;
	}
	return 0;	/* done, or refused and recorded */
}

/* ---- resolving a request into an operation's parameters ---- */

static int
body_int(const cJSON *body, const char *name, int64_t *v, int *present, struct ob_fail *f)
{
	const cJSON *it = cJSON_GetObjectItem(body, name);
	const char *s;
	char *end;

	*present = 0;
	if (it == NULL || cJSON_IsNull(it))
		return 0;
	*present = 1;
	if (cJSON_IsString(it)) {	/* console forms send strings */
		s = it->valuestring;
		if (*s == '\0' || strlen(s) > 12)
			return ob_fail(f, OB_FAIL_INVALID, "invalid_integer", name, "%s must be an integer.", name);
		*v = strtoll(s, &end, 10);
		if (*end != '\0')
			return ob_fail(f, OB_FAIL_INVALID, "invalid_integer", name, "%s must be an integer.", name);
		return 0;
	}
	if (jint(it, v) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_integer", name, "%s must be an integer.", name);
	return 0;
}

static int
body_bool(const cJSON *body, const char *name, int dflt)
{
	const cJSON *it = cJSON_GetObjectItem(body, name);

	if (cJSON_IsBool(it))
		return cJSON_IsTrue(it);
	if (cJSON_IsString(it))
		return strcmp(it->valuestring, "true") == 0 || strcmp(it->valuestring, "1") == 0 ||
		    strcmp(it->valuestring, "on") == 0;
	return dflt;
}

static void
put_i64(cJSON *o, const char *name, int64_t v)
{
	char buf[24];

	fmt_i64(buf, sizeof(buf), v);
	cJSON_AddStringToObject(o, name, buf);
}

static int
seats_ok(const struct ob_plan *p, int64_t seats, int64_t used, struct ob_fail *f)
{
	if (seats < 1 || seats > SEATS_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_seats", "seats",
		    "seats must be between 1 and %d.", SEATS_MAX);
	if (p->limits[OB_RES_USERS] != OB_PLAN_UNLIMITED && seats > p->limits[OB_RES_USERS])
		return ob_fail(f, OB_FAIL_INVALID, "plan_user_limit", "seats",
		    "The %s plan allows at most %lld users.", p->name,
		    (long long)p->limits[OB_RES_USERS]);
	if (seats < used)
		return ob_fail(f, OB_FAIL_CONFLICT, "seats_in_use", "seats",
		    "%lld seats are assigned; revoke licenses before going below that.",
		    (long long)used);
	return 0;
}

static int
resolve_create(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const cJSON *body, cJSON **params, struct ob_fail *f)
{
	struct ob_sub cur;
	struct ob_plan p;
	const char *plan = bstr(body, "plan"), *cycle = bstr(body, "cycle");
	const char *pm = bstr(body, "payment_method"), *email = bstr(body, "email");
	int64_t seats = 1, trial = 0, used = 0;
	int present, had;
	char price[96];
	size_t i;

	if ((had = ob_subscription_load(ax->db, org_id, &cur)) < 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (had == 0 && ob_subscription_live(&cur))
		return ob_fail(f, OB_FAIL_CONFLICT, "subscription_exists", NULL,
		    "The org already has a %s subscription; change it instead.", cur.status);
	if (plan == NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "plan", "plan is required.");
	if (cycle == NULL)
		cycle = "month";
	if (!ob_plans_cycle_ok(cycle))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_cycle", "cycle", "cycle must be month or year.");
	switch (ob_plans_get(ax->db, plan, org_id, &p)) {
	case -1: return ob_fail_db(f, ax->db->lasterr);
	case 1: return ob_fail(f, OB_FAIL_INVALID, "unknown_plan", "plan", "No such plan.");
	}
	if (body_int(body, "seats", &seats, &present, f) != 0 ||
	    body_int(body, "trial_days", &trial, &present, f) != 0)
		return -1;
	if (trial < 0 || trial > TRIAL_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_trial", "trial_days",
		    "trial_days must be between 0 and %d.", TRIAL_MAX);
	if (ob_seats_count(ax->db, org_id, &used) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (seats_ok(&p, seats, used, f) != 0)
		return -1;
	if (pm != NULL) {
		if (*pm == '\0' || strlen(pm) > 64)
			return ob_fail(f, OB_FAIL_INVALID, "invalid_payment_method", "payment_method",
			    "payment_method must be a Stripe PaymentMethod id.");
		for (i = 0; pm[i] != '\0'; i++)
			if (!((pm[i] >= 'a' && pm[i] <= 'z') || (pm[i] >= 'A' && pm[i] <= 'Z') ||
			    (pm[i] >= '0' && pm[i] <= '9') || pm[i] == '_'))
				return ob_fail(f, OB_FAIL_INVALID, "invalid_payment_method",
				    "payment_method", "payment_method must be a Stripe PaymentMethod id.");
	}
	if (email != NULL && (strlen(email) > 320 || strchr(email, '@') == NULL))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_email", "email", "email is not valid.");
	if (ob_plans_stripe_price(ax->db, st, &p, cycle, org_id, price, sizeof(price), f) != 0)
		return -1;
	*params = cJSON_CreateObject();
	cJSON_AddStringToObject(*params, "plan", p.code);
	cJSON_AddStringToObject(*params, "cycle", cycle);
	put_i64(*params, "seats", seats);
	put_i64(*params, "unit_amount", ob_plans_price(&p, cycle));
	cJSON_AddStringToObject(*params, "price", price);
	put_i64(*params, "trial_days", trial);
	if (pm != NULL)
		cJSON_AddStringToObject(*params, "payment_method", pm);
	if (email != NULL)
		cJSON_AddStringToObject(*params, "email", email);
	if (had == 0)
		cJSON_AddStringToObject(*params, "customer", cur.customer);
	return 0;
}

/* What an update asks for, checked against the current subscription. */
struct change {
	struct ob_plan from, to;
	char cycle[8];
	int64_t seats;
	int64_t proration_date;
	int immediate;		/* 1: now with proration; 0: at period end */
};

static int
resolve_change(struct ob_db *db, int64_t org_id, const struct ob_sub *cur, const cJSON *body,
    int64_t now, struct change *c, struct ob_fail *f)
{
	const char *plan = bstr(body, "plan"), *cycle = bstr(body, "cycle");
	int64_t used = 0, pd = now;
	int present, rc, force_now = body_bool(body, "immediate", 0);

	memset(c, 0, sizeof(*c));
	if (!ob_subscription_live(cur))
		return ob_fail(f, OB_FAIL_CONFLICT, "subscription_not_active", NULL,
		    "The subscription is %s; buy a new one.", cur->status);
	if (ob_plans_get(db, cur->plan, org_id, &c->from) != 0)
		return ob_fail_db(f, db->lasterr);
	if (plan == NULL || *plan == '\0')
		plan = cur->plan;
	if ((rc = ob_plans_get(db, plan, org_id, &c->to)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc == 1)
		return ob_fail(f, OB_FAIL_INVALID, "unknown_plan", "plan", "No such plan.");
	if (cycle == NULL || *cycle == '\0')
		cycle = cur->cycle;
	if (!ob_plans_cycle_ok(cycle))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_cycle", "cycle", "cycle must be month or year.");
	copy(c->cycle, sizeof(c->cycle), cycle);
	c->seats = cur->seats;
	if (body_int(body, "seats", &c->seats, &present, f) != 0)
		return -1;
	if (ob_seats_count(db, org_id, &used) != 0)
		return ob_fail_db(f, db->lasterr);
	if (seats_ok(&c->to, c->seats, used, f) != 0)
		return -1;
	if (ob_plans_price(&c->to, cycle) < 0)
		return ob_fail(f, OB_FAIL_INVALID, "plan_not_priced", "plan",
		    "The %s plan has no self-serve price; contact sales.", c->to.name);
	if (strcmp(c->to.code, cur->plan) == 0 && strcmp(cycle, cur->cycle) == 0 &&
	    c->seats == cur->seats)
		return ob_fail(f, OB_FAIL_INVALID, "nothing_to_change", NULL,
		    "The subscription already has this plan, cycle and seat count.");
	if (body_int(body, "proration_date", &pd, &present, f) != 0)
		return -1;
	if (present && (pd < cur->period_start || pd > cur->period_end || pd > now + 60 ||
	    pd < now - 3600))
		return ob_fail(f, OB_FAIL_INVALID, "invalid_proration_date", "proration_date",
		    "proration_date must be within the current period and the last hour.");
	if (pd > cur->period_end)
		pd = cur->period_end;
	c->proration_date = pd;
	/*
	 * Timing: a cycle change or a lower tier waits for the period's end
	 * (a lower tier may ask for "immediate"); the rest is now.
	 */
	if (strcmp(cycle, cur->cycle) != 0)
		c->immediate = 0;
	else if (c->to.tier < c->from.tier)
		c->immediate = force_now;
	else
		c->immediate = 1;
	if (strcmp(cycle, cur->cycle) != 0 && force_now)
		return ob_fail(f, OB_FAIL_INVALID, "cycle_change_at_renewal", "cycle",
		    "A billing cycle change takes effect at the end of the current period.");
	return 0;
}

/* Proration lines for change c of cur, Stripe's rule, into lines; the total. */
static int
proration_lines(const struct ob_sub *cur, const struct change *c, cJSON *lines, cJSON *plain,
    int64_t *total, int64_t *plain_total)
{
	int64_t period = cur->period_end - cur->period_start, remaining = cur->period_end - c->proration_date;
	int64_t newunit = ob_plans_price(&c->to, c->cycle), v, dr, dp;
	cJSON *l;

	*total = *plain_total = 0;
	if (strcmp(cur->status, "trialing") == 0)
		return 0;	/* no proration during a trial */
	if (cur->seats > 0) {
		if (ob_proration_amount(-cur->unit_amount, cur->seats, remaining, period, &v) != 0)
			return -1;
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "kind", "credit");
		cJSON_AddStringToObject(l, "description", "Unused time");
		cJSON_AddStringToObject(l, "plan", cur->plan);
		ob_json_add_i64(l, "quantity", cur->seats);
		ob_json_add_i64(l, "unit_amount", cur->unit_amount);
		ob_json_add_i64(l, "amount", v);
		cJSON_AddItemToArray(lines, l);
		*total += v;
		ob_proration_plain(-cur->unit_amount, cur->seats, remaining, period, &dr, &dp, &v);
		add_int_arr(plain, v);
		*plain_total += v;
	}
	if (ob_proration_amount(newunit, c->seats, remaining, period, &v) != 0)
		return -1;
	l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "kind", "charge");
	cJSON_AddStringToObject(l, "description", "Remaining time");
	cJSON_AddStringToObject(l, "plan", c->to.code);
	ob_json_add_i64(l, "quantity", c->seats);
	ob_json_add_i64(l, "unit_amount", newunit);
	ob_json_add_i64(l, "amount", v);
	cJSON_AddItemToArray(lines, l);
	*total += v;
	ob_proration_plain(newunit, c->seats, remaining, period, &dr, &dp, &v);
	add_int_arr(plain, v);
	*plain_total += v;
	return 0;
}

int
ob_subscription_preview(struct ob_db *db, int64_t org_id, const cJSON *body,
    int64_t now, cJSON **out, struct ob_fail *f)
{
	struct ob_sub cur;
	struct change c;
	cJSON *o, *lines, *plain, *pl;
	int64_t total, plain_total, dr = 0, dp = 0, v;
	int rc;

	*out = NULL;
	if ((rc = ob_subscription_load(db, org_id, &cur)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc == 1)
		return ob_fail(f, OB_FAIL_CONFLICT, "no_subscription", NULL, "The org has no subscription.");
	if (resolve_change(db, org_id, &cur, body, now, &c, f) != 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "subscription_preview");
	cJSON_AddStringToObject(o, "effective", c.immediate ? "now" : "period_end");
	cJSON_AddStringToObject(o, "plan", c.to.code);
	cJSON_AddStringToObject(o, "cycle", c.cycle);
	ob_json_add_i64(o, "seats", c.seats);
	cJSON_AddStringToObject(o, "currency", cur.currency);
	ob_json_add_i64(o, "proration_date", c.proration_date);
	add_time(o, "current_period_start", cur.period_start);
	add_time(o, "current_period_end", cur.period_end);
	ob_json_add_i64(o, "period_seconds", cur.period_end - cur.period_start);
	ob_json_add_i64(o, "remaining_seconds", cur.period_end - c.proration_date);
	lines = cJSON_AddArrayToObject(o, "lines");
	plain = cJSON_CreateArray();
	total = plain_total = 0;
	if (c.immediate && proration_lines(&cur, &c, lines, plain, &total, &plain_total) != 0) {
		cJSON_Delete(plain);
		cJSON_Delete(o);
		return ob_fail(f, OB_FAIL_INVALID, "out_of_range", NULL, "The change is out of range.");
	}
	ob_json_add_i64(o, "total", total);
	pl = cJSON_AddObjectToObject(o, "plain");
	if (ob_proration_plain(0, 0, cur.period_end - c.proration_date,
	    cur.period_end - cur.period_start, &dr, &dp, &v) == 0) {
		ob_json_add_i64(pl, "days_remaining", dr);
		ob_json_add_i64(pl, "days_in_period", dp);
	}
	cJSON_AddItemToObject(pl, "amounts", plain);
	ob_json_add_i64(pl, "total", plain_total);
	cJSON_AddStringToObject(pl, "formula", "days remaining / days in period x seat price x seats");
	ob_json_add_i64(o, "next_period_amount", ob_plans_price(&c.to, c.cycle) * c.seats);
	*out = o;
	return 0;
}

static int
resolve_update(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const struct ob_sub *cur, const cJSON *body, cJSON **params, int *local_only,
    struct ob_fail *f)
{
	struct change c;
	char price[96];

	*local_only = 0;
	if (resolve_change(ax->db, org_id, cur, body, (int64_t)time(NULL), &c, f) != 0)
		return -1;
	if (!c.immediate) {
		/* Scheduled: recorded locally now, sent to Stripe at renewal. */
		*local_only = 1;
		*params = cJSON_CreateObject();
		cJSON_AddStringToObject(*params, "plan", c.to.code);
		cJSON_AddStringToObject(*params, "cycle", c.cycle);
		put_i64(*params, "seats", c.seats);
		return 0;
	}
	if (ob_plans_stripe_price(ax->db, st, &c.to, c.cycle, org_id, price, sizeof(price), f) != 0)
		return -1;
	*params = cJSON_CreateObject();
	cJSON_AddStringToObject(*params, "subscription", cur->subscription);
	cJSON_AddStringToObject(*params, "item", cur->item);
	cJSON_AddStringToObject(*params, "price", price);
	cJSON_AddStringToObject(*params, "plan", c.to.code);
	put_i64(*params, "seats", c.seats);
	put_i64(*params, "proration_date", c.proration_date);
	cJSON_AddStringToObject(*params, "proration_behavior", "always_invoice");
	/* A plan change replaces a scheduled one; a seat change keeps it. */
	cJSON_AddBoolToObject(*params, "clear_schedule", strcmp(c.to.code, cur->plan) != 0);
	return 0;
}

/* Record a scheduled change (no Stripe call): one transaction, one audit row. */
static int
schedule_change(const struct ob_actx *ax, int64_t org_id, const struct ob_sub *cur,
    const cJSON *params, int *status, cJSON **out, struct ob_fail *f)
{
	char org[24];
	const char *sp[4] = { org, jstr(params, "plan"), jstr(params, "cycle"), jstr(params, "seats") };
	struct ob_sub after;
	cJSON *b, *a;
	int rc;

	fmt_i64(org, sizeof(org), org_id);
	if (ob_db_begin(ax->db) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_db_run(ax->db, OB_STMT_SUB_SET_SCHEDULE, sp) != 0 ||
	    ob_subscription_load(ax->db, org_id, &after) != 0)
		return tx_fail(ax, f);
	b = audit_state(cur);
	a = audit_state(&after);
	rc = ob_audit_write(ax, org_id, "subscription.change_scheduled", "subscription",
	    cur->subscription, b, a);
	cJSON_Delete(b);
	cJSON_Delete(a);
	if (rc != 0 || (*out = ob_subscription_view(ax->db, org_id)) == NULL)
		return tx_fail(ax, f);
	if (ob_db_commit(ax->db) != 0) {
		cJSON_Delete(*out);
		*out = NULL;
		return tx_fail(ax, f);
	}
	*status = 200;
	return 0;
}

static int
resolve_cancel(const struct ob_sub *cur, const cJSON *body, cJSON **params, struct ob_fail *f)
{
	const char *reason = bstr(body, "reason");
	size_t i, n;

	if (!ob_subscription_live(cur))
		return ob_fail(f, OB_FAIL_CONFLICT, "subscription_not_active", NULL,
		    "The subscription is already %s.", cur->status);
	if (reason == NULL || (n = strlen(reason)) == 0)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_missing", "reason",
		    "A reason is required to cancel.");
	if (n > REASON_MAX)
		return ob_fail(f, OB_FAIL_INVALID, "reason_too_long", "reason",
		    "The reason must be at most %d characters.", REASON_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)reason[i] < 0x20 && reason[i] != '\n' && reason[i] != '\r' &&
		    reason[i] != '\t')
			return ob_fail(f, OB_FAIL_INVALID, "invalid_reason", "reason",
			    "The reason contains control characters.");
	*params = cJSON_CreateObject();
	cJSON_AddStringToObject(*params, "subscription", cur->subscription);
	cJSON_AddStringToObject(*params, "reason", reason);
	cJSON_AddBoolToObject(*params, "at_period_end", body_bool(body, "at_period_end", 1));
	return 0;
}

static int
resolve_reactivate(const struct ob_sub *cur, cJSON **params, struct ob_fail *f)
{
	if (!ob_subscription_live(cur))
		return ob_fail(f, OB_FAIL_CONFLICT, "subscription_ended", NULL,
		    "The subscription has ended; buy a new one.");
	if (!cur->cancel_at_period_end)
		return ob_fail(f, OB_FAIL_CONFLICT, "not_canceling", NULL,
		    "The subscription is not set to cancel.");
	*params = cJSON_CreateObject();
	cJSON_AddStringToObject(*params, "subscription", cur->subscription);
	return 0;
}

/*
 * Look up (org, key): 0 not found; 1 replay (*status and *out set); 2 resume
 * (op filled); -1 with f (mismatch or database failure).
 */
static int
claim_lookup(struct ob_db *db, int64_t org_id, const char *key, const char *hash_hex,
    struct op *op, int *status, cJSON **out, struct ob_fail *f)
{
	char org[24];
	const char *params[2] = { org, key };
	PGresult *res;
	int rc = 0;

	fmt_i64(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_BOP_GET, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(res) == 0)
		goto out;
	if (strcmp(ob_row_str(res, 0, "request_hash"), hash_hex) != 0) {
		rc = ob_fail(f, OB_FAIL_IDEMPOTENCY, "idempotency_key_reused", "Idempotency-Key",
		    "This Idempotency-Key was used with a different request.");
		goto out;
	}
	if (strcmp(ob_row_str(res, 0, "status"), "pending") == 0) {
		rc = op_from_row(res, 0, op) == 0 ? 2 : ob_fail_db(f, "bad operation params");
		goto out;
	}
	*status = (int)ob_row_i64(res, 0, "response_status");
	*out = cJSON_Parse(ob_row_str(res, 0, "response_body"));
	rc = *out != NULL ? 1 : ob_fail_db(f, "bad stored answer");
out:
	PQclear(res);
	return rc;
}

int
ob_subscription_change(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *kind, const char *idem_key, const unsigned char *hash, const cJSON *body,
    int *status, cJSON **out, int *replayed, struct ob_fail *f)
{
	unsigned char rnd[16], h[32];
	char keybuf[64], hash_hex[65], org[24];
	const char *ip[5];
	struct ob_sub cur;
	struct op op = { 0 };
	cJSON *params = NULL;
	PGresult *res;
	int locked = 0, rc = -1, had, local_only = 0, r;
	char *ptxt = NULL;

	*out = NULL;
	*replayed = 0;
	if (idem_key == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		memcpy(keybuf, "auto-", 5);
		hex(rnd, sizeof(rnd), keybuf + 5);
		idem_key = keybuf;
		randombytes_buf(h, sizeof(h));
		hash = h;
	} else if (hash == NULL) {
		memset(h, 0, sizeof(h));
		hash = h;
	}
	hex(hash, 32, hash_hex);
	if (lock_org(ax->db, org_id, &locked) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (!locked)
		return ob_fail(f, OB_FAIL_CONFLICT, "change_in_progress", NULL,
		    "Another change to this subscription is in progress; try again.");
	/* The same key again: replay its answer, or resume it. */
	r = claim_lookup(ax->db, org_id, idem_key, hash_hex, &op, status, out, f);
	if (r < 0)
		goto out;
	if (r == 1) {
		*replayed = 1;
		rc = 0;
		goto out;
	}
	if (r == 0) {
		/* Finish another pending change before starting this one. */
		if (drain_pending(ax, st, org_id, f) != 0)
			goto out;
		if ((had = ob_subscription_load(ax->db, org_id, &cur)) < 0) {
			ob_fail_db(f, ax->db->lasterr);
			goto out;
		}
		if (strcmp(kind, "create") == 0) {
			if (resolve_create(ax, st, org_id, body, &params, f) != 0)
				goto out;
		} else if (had == 1) {
			ob_fail(f, OB_FAIL_CONFLICT, "no_subscription", NULL, "The org has no subscription.");
			goto out;
		} else if (strcmp(kind, "update") == 0) {
			if (resolve_update(ax, st, org_id, &cur, body, &params, &local_only, f) != 0)
				goto out;
		} else if (strcmp(kind, "cancel") == 0) {
			if (resolve_cancel(&cur, body, &params, f) != 0)
				goto out;
		} else if (strcmp(kind, "reactivate") == 0) {
			if (resolve_reactivate(&cur, &params, f) != 0)
				goto out;
		} else {
			ob_fail(f, OB_FAIL_INVALID, "unknown_change", NULL, "Unknown change.");
			goto out;
		}
		if (local_only) {
			rc = schedule_change(ax, org_id, &cur, params, status, out, f);
			goto out;
		}
		/* (1) the operation, pending, in its own short transaction. */
		fmt_i64(org, sizeof(org), org_id);
		ptxt = cJSON_PrintUnformatted(params);
		ip[0] = org;
		ip[1] = kind;
		ip[2] = idem_key;
		ip[3] = hash_hex;
		ip[4] = ptxt;
		if ((res = ob_db_exec(ax->db, OB_STMT_BOP_INSERT, ip, NULL)) == NULL) {
			ob_fail_db(f, ax->db->lasterr);
			goto out;
		}
		op.id = ob_row_i64(res, 0, "id");
		PQclear(res);
		copy(op.kind, sizeof(op.kind), kind);
		op.params = params;
		params = NULL;
	}
	/* (2) the Stripe call and (3) its application. */
	r = exec_op(ax, st, org_id, &op, status, out, f);
	if (r == 1) {
		/* Refused by Stripe and recorded: the stored answer is the error. */
		goto out;
	}
	rc = r;
out:
	if (locked)
		unlock_org(ax->db, org_id);
	cJSON_Delete(params);
	cJSON_Delete(op.params);
	free(ptxt);
	return rc;
}

int
ob_subscription_apply_scheduled(const struct ob_actx *ax, struct ob_stripe *st,
    int64_t org_id, struct ob_fail *f)
{
	struct ob_sub cur;
	struct ob_plan p;
	struct op op = { 0 };
	char price[96], org[24], key[64];
	const char *ip[5];
	PGresult *res;
	cJSON *out = NULL;
	int status, rc = -1, locked = 0;
	char *ptxt = NULL;
	unsigned char zero[32] = { 0 };
	char hash_hex[65];

	if (ob_subscription_load(ax->db, org_id, &cur) != 0 || cur.sched_plan[0] == '\0')
		return 0;
	if (ob_plans_get(ax->db, cur.sched_plan, org_id, &p) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_plans_stripe_price(ax->db, st, &p, cur.sched_cycle, org_id, price, sizeof(price), f) != 0)
		return -1;
	if (lock_org(ax->db, org_id, &locked) != 0 || !locked)
		return ob_fail(f, OB_FAIL_CONFLICT, "change_in_progress", NULL, "A change is in progress.");
	op.params = cJSON_CreateObject();
	cJSON_AddStringToObject(op.params, "subscription", cur.subscription);
	cJSON_AddStringToObject(op.params, "item", cur.item);
	cJSON_AddStringToObject(op.params, "price", price);
	put_i64(op.params, "seats", cur.sched_seats);
	cJSON_AddStringToObject(op.params, "proration_behavior", "none");
	copy(op.kind, sizeof(op.kind), "apply_scheduled");
	fmt_i64(org, sizeof(org), org_id);
	snprintf(key, sizeof(key), "renewal-%lld", (long long)cur.period_end);
	hex(zero, 32, hash_hex);
	ptxt = cJSON_PrintUnformatted(op.params);
	ip[0] = org;
	ip[1] = op.kind;
	ip[2] = key;
	ip[3] = hash_hex;
	ip[4] = ptxt;
	if ((res = ob_db_exec(ax->db, OB_STMT_BOP_INSERT, ip, NULL)) == NULL) {
		ob_fail_db(f, ax->db->lasterr);
		goto out;
	}
	op.id = ob_row_i64(res, 0, "id");
	PQclear(res);
	rc = exec_op(ax, st, org_id, &op, &status, &out, f) == 0 ? 0 : -1;
out:
	unlock_org(ax->db, org_id);
	cJSON_Delete(out);
	cJSON_Delete(op.params);
	free(ptxt);
	return rc;
}

int
ob_subscription_reconcile(const struct ob_actx *ax, struct ob_stripe *st,
    long min_age_s, int *done, struct ob_fail *f)
{
	char age[24];
	const char *params[1] = { age };
	PGresult *res;
	int i, n, locked, rc = 0;
	int64_t org;

	*done = 0;
	snprintf(age, sizeof(age), "%ld", min_age_s);
	if ((res = ob_db_exec(ax->db, OB_STMT_BOP_STALE_ORGS, params, NULL)) == NULL)
		return ob_fail_db(f, ax->db->lasterr);
	n = PQntuples(res);
	for (i = 0; i < n && rc == 0; i++) {
		org = ob_row_i64(res, i, "org_id");
		if (lock_org(ax->db, org, &locked) != 0) {
			rc = ob_fail_db(f, ax->db->lasterr);
			break;
		}
		if (!locked)
			continue;
		if (drain_pending(ax, st, org, f) == 0)
			(*done)++;
		else
			rc = -1;
		unlock_org(ax->db, org);
	}
	PQclear(res);
	return rc;
}

int
ob_subscription_portal(struct ob_db *db, struct ob_stripe *st, int64_t org_id,
    const char *return_url, const char *idem_key, char *url, size_t len, struct ob_fail *f)
{
	struct ob_sub cur;
	struct ob_stripe_result res = { 0 };
	char key[OB_STRIPE_IDEM_KEY_MAX + 1], rid[40];
	unsigned char rnd[16];
	cJSON *q;
	const char *u;
	int rc;

	url[0] = '\0';
	if ((rc = ob_subscription_load(db, org_id, &cur)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc == 1 || cur.customer[0] == '\0')
		return ob_fail(f, OB_FAIL_CONFLICT, "no_customer", NULL,
		    "The org has no Stripe customer yet; buy a plan first.");
	if (st == NULL)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unconfigured", NULL,
		    "Stripe is not configured (STRIPE_SECRET_KEY).");
	if (idem_key == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		hex(rnd, sizeof(rnd), rid);
		idem_key = rid;
	}
	if (ob_stripe_idem_key(key, sizeof(key), "portal", idem_key) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_idempotency_key", "Idempotency-Key",
		    "Idempotency-Key must be printable ASCII without spaces.");
	q = cJSON_CreateObject();
	cJSON_AddStringToObject(q, "customer", cur.customer);
	if (return_url != NULL)
		cJSON_AddStringToObject(q, "return_url", return_url);
	rc = ob_stripe_request(st, "POST", "/v1/billing_portal/sessions", q, key, &res);
	cJSON_Delete(q);
	if (rc != 0) {
		ob_plans_stripe_fail(&res, f);
		ob_stripe_result_clear(&res);
		return -1;
	}
	u = jstr(res.body, "url");
	snprintf(url, len, "%s", u != NULL ? u : "");
	ob_stripe_result_clear(&res);
	if (url[0] == '\0')
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL, "No portal URL.");
	return 0;
}
