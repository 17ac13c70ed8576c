/*
 * Resolving a request into an operation's parameters: the body checked
 * against the plan catalogue, the seats in use and the current
 * subscription; the timing of an update decided; the Stripe price found.
 */
#include "billing/subscription_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/num.h"
#include "base/json.h"
#include "base/row.h"
#include "billing/seats.h"

#define REASON_MAX	500
#define SEATS_MAX	100000
#define BODY_INT_MAX	999999999999LL	/* 12 digits */

static int
body_int(const cJSON *body, const char *name, int64_t *v, int *present, struct ob_fail *f)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, name);

	*present = 0;
	if (it == NULL || cJSON_IsNull(it))
		return 0;
	*present = 1;
	/* A number, or a string of digits (console forms send strings). */
	if (ob_num_json(it, -BODY_INT_MAX, BODY_INT_MAX, v) != 0)
		return ob_fail(f, OB_FAIL_INVALID, "invalid_integer", name, "%s must be an integer.", name);
	return 0;
}

static int
body_bool(const cJSON *body, const char *name, int dflt)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(body, name);

	if (cJSON_IsBool(it))
		return cJSON_IsTrue(it);
	if (cJSON_IsString(it))
		return strcmp(it->valuestring, "true") == 0 || strcmp(it->valuestring, "1") == 0 ||
		    strcmp(it->valuestring, "on") == 0;
	return dflt;
}

int
ob_sub_seats_ok(const struct ob_plan *p, int64_t seats, int64_t used, struct ob_fail *f)
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

/*
 * params.customer: the org's one Stripe customer — the previous
 * subscription's (sub_customer), else the one kept for billing details and
 * purchases — or none (the operation makes one). 0 or -1.
 */
static int
org_customer(struct ob_db *db, int64_t org_id, const char *sub_customer, cJSON *params)
{
	char org[24];
	const char *p[1] = { org };
	PGresult *res = NULL;
	int rc;

	if (*sub_customer != '\0') {
		cJSON_AddStringToObject(params, "customer", sub_customer);
		return 0;
	}
	ob_num_str(org, sizeof(org), org_id);
	if ((rc = ob_db_one(db, OB_STMT_BILLING_ORG_CUSTOMER, p, &res)) < 0)
		return -1;
	if (rc == 0) {
		cJSON_AddStringToObject(params, "customer", ob_row_str(res, 0, "stripe_customer_id"));
		PQclear(res);
	}
	return 0;
}

int
ob_sub_trial_days(const struct ob_plan *p, int had)
{
	/* A trial only on the org's first subscription: any row, even a
	 * canceled one, means it had one before. */
	return had == 1 && p->trial_days > 0 ? p->trial_days : 0;
}

/*
 * A new subscription: none live yet; plan, cycle, seats, payment method,
 * e-mail. The trial is the plan's, on the org's first subscription only;
 * a trial_days in the body is refused (the client does not choose it).
 */
static int
resolve_create(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const cJSON *body, cJSON **params, struct ob_fail *f)
{
	struct ob_sub cur;
	struct ob_plan p;
	const char *plan = ob_json_str(body, "plan"), *cycle = ob_json_str(body, "cycle");
	const char *pm = ob_json_str(body, "payment_method"), *email = ob_json_str(body, "email");
	int64_t seats = 1, used = 0;
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
	if (cJSON_GetObjectItemCaseSensitive(body, "trial_days") != NULL)
		return ob_fail(f, OB_FAIL_INVALID, "parameter_unknown", "trial_days",
		    "trial_days is not accepted: the plan's trial applies to a first subscription.");
	if (body_int(body, "seats", &seats, &present, f) != 0)
		return -1;
	if (ob_seats_count(ax->db, org_id, &used) != 0)
		return ob_fail_db(f, ax->db->lasterr);
	if (ob_sub_seats_ok(&p, seats, used, f) != 0)
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
	ob_sub_put_i64(*params, "seats", seats);
	ob_sub_put_i64(*params, "unit_amount", ob_plans_price(&p, cycle));
	cJSON_AddStringToObject(*params, "price", price);
	ob_sub_put_i64(*params, "trial_days", ob_sub_trial_days(&p, had));
	if (pm != NULL)
		cJSON_AddStringToObject(*params, "payment_method", pm);
	if (email != NULL)
		cJSON_AddStringToObject(*params, "email", email);
	if (org_customer(ax->db, org_id, had == 0 ? cur.customer : "", *params) != 0) {
		cJSON_Delete(*params);
		*params = NULL;
		return ob_fail_db(f, ax->db->lasterr);
	}
	return 0;
}

int
ob_sub_resolve_change(struct ob_db *db, int64_t org_id, const struct ob_sub *cur,
    const cJSON *body, int64_t now, struct ob_sub_change *c, struct ob_fail *f)
{
	const char *plan = ob_json_str(body, "plan"), *cycle = ob_json_str(body, "cycle");
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
	ob_sub_copy(c->cycle, sizeof(c->cycle), cycle);
	c->seats = cur->seats;
	if (body_int(body, "seats", &c->seats, &present, f) != 0)
		return -1;
	if (ob_seats_count(db, org_id, &used) != 0)
		return ob_fail_db(f, db->lasterr);
	if (ob_sub_seats_ok(&c->to, c->seats, used, f) != 0)
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
	 * Timing: a cycle change, fewer seats or a lower tier waits for the
	 * period's end (a lower tier keeping its seats may ask for
	 * "immediate"); the rest is now. Fewer seats never take effect
	 * mid-period: Stripe would credit the unused seat time back while the
	 * per-seat credits granted for those seats stay (docs/BILLING.md).
	 */
	if (strcmp(cycle, cur->cycle) != 0 && force_now)
		return ob_fail(f, OB_FAIL_INVALID, "cycle_change_at_renewal", "cycle",
		    "A billing cycle change takes effect at the end of the current period.");
	if (c->seats < cur->seats && force_now)
		return ob_fail(f, OB_FAIL_INVALID, "seat_reduction_at_renewal", "seats",
		    "Fewer seats take effect at the end of the current period.");
	if (c->seats < cur->seats && c->to.tier > c->from.tier)
		return ob_fail(f, OB_FAIL_INVALID, "seat_reduction_with_upgrade", "seats",
		    "An upgrade takes effect now and fewer seats at renewal: "
		    "upgrade first, then lower the seat count.");
	if (strcmp(cycle, cur->cycle) != 0 || c->seats < cur->seats)
		c->immediate = 0;
	else if (c->to.tier < c->from.tier)
		c->immediate = force_now;
	else
		c->immediate = 1;
	return 0;
}

/*
 * An update: now, or at the period's end (*scheduled: a Subscription
 * Schedule whose second phase is the new price and seats), at the Stripe
 * price of the new plan.
 */
static int
resolve_update(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const struct ob_sub *cur, const cJSON *body, cJSON **params, int *scheduled,
    struct ob_fail *f)
{
	struct ob_sub_change c;
	char price[96];
	int replace;

	*scheduled = 0;
	if (ob_sub_resolve_change(ax->db, org_id, cur, body, (int64_t)time(NULL), &c, f) != 0)
		return -1;
	if (!c.immediate) {
		if (ob_plans_stripe_price(ax->db, st, &c.to, c.cycle, org_id, price,
		    sizeof(price), f) != 0)
			return -1;
		*scheduled = 1;
		*params = cJSON_CreateObject();
		cJSON_AddStringToObject(*params, "subscription", cur->subscription);
		cJSON_AddStringToObject(*params, "schedule", cur->schedule);
		cJSON_AddStringToObject(*params, "cur_price", cur->price);
		ob_sub_put_i64(*params, "cur_seats", cur->seats);
		ob_sub_put_i64(*params, "period_start", cur->period_start);
		ob_sub_put_i64(*params, "period_end", cur->period_end);
		cJSON_AddStringToObject(*params, "price", price);
		cJSON_AddStringToObject(*params, "plan", c.to.code);
		cJSON_AddStringToObject(*params, "cycle", c.cycle);
		ob_sub_put_i64(*params, "seats", c.seats);
		return 0;
	}
	if (ob_plans_stripe_price(ax->db, st, &c.to, c.cycle, org_id, price, sizeof(price), f) != 0)
		return -1;
	*params = cJSON_CreateObject();
	cJSON_AddStringToObject(*params, "subscription", cur->subscription);
	cJSON_AddStringToObject(*params, "item", cur->item);
	cJSON_AddStringToObject(*params, "price", price);
	cJSON_AddStringToObject(*params, "plan", c.to.code);
	ob_sub_put_i64(*params, "seats", c.seats);
	ob_sub_put_i64(*params, "proration_date", c.proration_date);
	cJSON_AddStringToObject(*params, "proration_behavior", "always_invoice");
	/*
	 * Every change made now (an upgrade, more seats, a downgrade asked for
	 * now) is charged at once and made only if paid: Stripe leaves the
	 * subscription unchanged, with a pending_update, when the card fails
	 * (ob_sub_op_exec answers 402); a change that costs nothing has
	 * nothing to pay and applies at once. Stripe takes only items,
	 * proration and expand parameters with it (no metadata).
	 */
	cJSON_AddStringToObject(*params, "payment_behavior", "pending_if_incomplete");
	/* A plan change replaces a scheduled one (its schedule released first),
	 * and so does a seat change when the scheduled one changes only seats;
	 * otherwise a seat change keeps it. */
	replace = strcmp(c.to.code, cur->plan) != 0 || (cur->sched_plan[0] != '\0' &&
	    strcmp(cur->sched_plan, cur->plan) == 0 && strcmp(cur->sched_cycle, cur->cycle) == 0);
	cJSON_AddBoolToObject(*params, "clear_schedule", replace);
	if (replace)
		cJSON_AddStringToObject(*params, "schedule", cur->schedule);
	return 0;
}

/*
 * A cancellation: a reason (kept), now or at the period's end (the
 * default); now may prorate (credit the unused time) and invoice now.
 */
static int
resolve_cancel(const struct ob_sub *cur, const cJSON *body, cJSON **params, struct ob_fail *f)
{
	const char *reason = ob_json_str(body, "reason");
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
	cJSON_AddStringToObject(*params, "schedule", cur->schedule);
	cJSON_AddBoolToObject(*params, "at_period_end", body_bool(body, "at_period_end", 1));
	/* Now: Stripe's two choices, credit the unused time, invoice it now (both off by default). */
	cJSON_AddBoolToObject(*params, "prorate", body_bool(body, "prorate", 0));
	cJSON_AddBoolToObject(*params, "invoice_now", body_bool(body, "invoice_now", 0));
	return 0;
}

/* Cancel the scheduled change: release its schedule. */
static int
resolve_unschedule(const struct ob_sub *cur, cJSON **params, struct ob_fail *f)
{
	if (cur->sched_plan[0] == '\0')
		return ob_fail(f, OB_FAIL_CONFLICT, "no_scheduled_change", NULL,
		    "No change is scheduled.");
	*params = cJSON_CreateObject();
	cJSON_AddStringToObject(*params, "subscription", cur->subscription);
	cJSON_AddStringToObject(*params, "schedule", cur->schedule);
	return 0;
}

/* Undo a cancellation at the period's end. */
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

int
ob_sub_resolve(const struct ob_actx *ax, struct ob_stripe *st, int64_t org_id,
    const char *kind, const struct ob_sub *cur, int had, const cJSON *body,
    cJSON **params, int *scheduled, struct ob_fail *f)
{
	*scheduled = 0;
	if (strcmp(kind, "create") == 0)
		return resolve_create(ax, st, org_id, body, params, f);
	if (had == 1)
		return ob_fail(f, OB_FAIL_CONFLICT, "no_subscription", NULL,
		    "The org has no subscription.");
	if (strcmp(kind, "update") == 0)
		return resolve_update(ax, st, org_id, cur, body, params, scheduled, f);
	if (strcmp(kind, "cancel") == 0)
		return resolve_cancel(cur, body, params, f);
	if (strcmp(kind, "reactivate") == 0)
		return resolve_reactivate(cur, params, f);
	if (strcmp(kind, "unschedule") == 0)
		return resolve_unschedule(cur, params, f);
	return ob_fail(f, OB_FAIL_INVALID, "unknown_change", NULL, "Unknown change.");
}
