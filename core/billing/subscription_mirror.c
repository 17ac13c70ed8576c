/*
 * The Stripe mirror: a Stripe subscription object (an API answer or a
 * webhook's data.object) applied to the local row, and the plan credits of
 * a new billing period.
 */
#include "billing/subscription_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/row.h"
#include "billing/revenue.h"
#include "billing/seats.h"
#include "credits/credits.h"
#include "base/num.h"
#include "base/json.h"

/* What we read from a Stripe subscription object. */
struct stripe_sub {
	const char *id, *customer, *status, *item, *price, *currency;
	const char *schedule;	/* NULL: none */
	int64_t quantity, unit_amount, period_start, period_end, trial_end, canceled_at;
	int cancel_at_period_end;
	/*
	 * A pending_update waits for its payment. Its items are only inside
	 * pending_update: the object's own items (read above) are still the
	 * live ones, so a pending upgrade never switches the local plan.
	 */
	int pending;
	int64_t org_id;
};

static int
parse_stripe_sub(const cJSON *o, struct stripe_sub *x, struct ob_fail *f)
{
	const cJSON *items, *it, *price, *md;
	const char *org;

	memset(x, 0, sizeof(*x));
	x->id = ob_json_str(o, "id");
	x->customer = ob_json_id(o, "customer");
	x->status = ob_json_str(o, "status");
	items = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "items"), "data");
	it = cJSON_GetArrayItem(items, 0);
	price = cJSON_GetObjectItem(it, "price");
	x->item = ob_json_str(it, "id");
	x->price = ob_json_str(price, "id");
	x->currency = ob_json_str(price, "currency");
	if (x->id == NULL || x->customer == NULL || x->status == NULL || x->item == NULL ||
	    x->price == NULL || x->currency == NULL || strlen(x->currency) != 3 ||
	    ob_num_json_get(it, "quantity", &x->quantity) != 0 ||
	    ob_num_json_get(price, "unit_amount", &x->unit_amount) != 0 ||
	    ob_num_json_get(it, "current_period_start", &x->period_start) != 0 ||
	    ob_num_json_get(it, "current_period_end", &x->period_end) != 0 ||
	    strlen(x->id) >= 96 || strlen(x->customer) >= 96 || strlen(x->item) >= 96 ||
	    strlen(x->price) >= 96 || strlen(x->status) >= 24)
		return ob_fail(f, OB_FAIL_UPSTREAM, "stripe_unexpected", NULL,
		    "Stripe's subscription object lacks a field we need.");
	x->schedule = ob_json_id(o, "schedule");
	x->trial_end = ob_num_json_or(o, "trial_end", 0);
	x->canceled_at = ob_num_json_or(o, "canceled_at", 0);
	x->cancel_at_period_end = cJSON_IsTrue(cJSON_GetObjectItem(o, "cancel_at_period_end"));
	it = cJSON_GetObjectItem(o, "pending_update");
	x->pending = it != NULL && !cJSON_IsNull(it);
	md = cJSON_GetObjectItem(o, "metadata");
	org = ob_json_str(md, "orgbill_org");
	x->org_id = org != NULL ? strtoll(org, NULL, 10) : 0;
	return 0;
}

int
ob_sub_tx_fail(const struct ob_actx *ax, struct ob_fail *f)
{
	if (f->kind == OB_FAIL_NONE)
		return ob_db_fail(ax->db, f);
	ob_db_rollback(ax->db);
	return -1;
}

/*
 * The plan and cycle of Stripe price x->price (plan_cycle: 32 and 8
 * bytes): ours from plan_stripe_prices, else the row's own when the price
 * did not change (had 0: before holds the row). 0, or -1 with f (unknown
 * price, database failure); the caller rolls back.
 */
static int
price_plan(struct ob_db *db, const struct stripe_sub *x, int had, const struct ob_sub *before,
    char plan[32], char cycle[8], struct ob_fail *f)
{
	const char *params[1] = { x->price };
	PGresult *res;

	if ((res = ob_db_exec(db, OB_STMT_PLAN_BY_PRICE, params, NULL)) == NULL)
		return ob_fail_db(f, db->lasterr);
	if (PQntuples(res) == 1) {
		ob_sub_copy(plan, 32, ob_row_str(res, 0, "plan_code"));
		ob_sub_copy(cycle, 8, ob_row_str(res, 0, "cycle"));
	} else if (had == 0 && strcmp(before->price, x->price) == 0) {
		ob_sub_copy(plan, 32, before->plan);
		ob_sub_copy(cycle, 8, before->cycle);
	} else {
		PQclear(res);
		return ob_fail(f, OB_FAIL_INVALID, "unknown_price", NULL,
		    "Stripe price %s is not one of our plans.", x->price);
	}
	PQclear(res);
	return 0;
}

/* Write x as org_id's row (plan, cycle resolved). 0 or -1. */
static int
upsert_row(struct ob_db *db, int64_t org_id, const struct stripe_sub *x, const char *plan,
    const char *cycle)
{
	char org[24], seats[24], unit[24], ps[24], pe[24], te[24], ca[24];
	const char *params[16];

	ob_num_str(org, sizeof(org), org_id);
	ob_num_str(seats, sizeof(seats), x->quantity);
	ob_num_str(unit, sizeof(unit), x->unit_amount);
	ob_num_str(ps, sizeof(ps), x->period_start);
	ob_num_str(pe, sizeof(pe), x->period_end);
	ob_num_str(te, sizeof(te), x->trial_end);
	ob_num_str(ca, sizeof(ca), x->canceled_at);
	params[0] = org;
	params[1] = plan;
	params[2] = cycle;
	params[3] = seats;
	params[4] = unit;
	params[5] = x->currency;
	params[6] = x->status;
	params[7] = x->customer;
	params[8] = x->id;
	params[9] = x->item;
	params[10] = x->price;
	params[11] = ps;
	params[12] = pe;
	params[13] = x->trial_end > 0 ? te : NULL;
	params[14] = x->cancel_at_period_end ? "true" : "false";
	params[15] = x->canceled_at > 0 ? ca : NULL;
	return ob_db_run(db, OB_STMT_SUB_UPSERT, params);
}

/* The cancellation reason and the schedule, as ob_sub_apply asks. 0 or -1. */
static int
set_reason_schedule(struct ob_db *db, int64_t org_id, const char *cancel_reason,
    int clear_schedule)
{
	char org[24];
	const char *sp[4] = { org, NULL, NULL, NULL };

	ob_num_str(org, sizeof(org), org_id);
	if (cancel_reason != NULL) {
		sp[1] = *cancel_reason != '\0' ? cancel_reason : NULL;
		if (ob_db_run(db, OB_STMT_SUB_SET_CANCEL_REASON, sp) != 0)
			return -1;
	}
	if (clear_schedule) {
		sp[1] = NULL;
		if (ob_db_run(db, OB_STMT_SUB_SET_SCHEDULE, sp) != 0 ||
		    ob_db_run(db, OB_STMT_SUB_SET_SCHEDULE_ID, sp) != 0)
			return -1;
	}
	return 0;
}

/*
 * Forget the row's scheduled change once it is over: Stripe has moved the
 * subscription to it (plan, cycle and seats are the scheduled ones; the
 * schedule, now in its last phase, stays named until Stripe releases it),
 * or the schedule is gone (released or canceled at Stripe). *applied = 1
 * when the change took effect. 0 or -1.
 */
static int
schedule_settle(struct ob_db *db, const struct ob_sub *s, const struct stripe_sub *x,
    int *applied)
{
	char org[24];
	const char *sp[4] = { org, NULL, NULL, NULL };

	ob_num_str(org, sizeof(org), s->org_id);
	*applied = s->sched_plan[0] != '\0' && strcmp(s->plan, s->sched_plan) == 0 &&
	    strcmp(s->cycle, s->sched_cycle) == 0 && s->seats == s->sched_seats;
	if (s->schedule[0] != '\0' && x->schedule == NULL)
		return set_reason_schedule(db, s->org_id, NULL, 1);
	if (*applied)
		return ob_db_run(db, OB_STMT_SUB_SET_SCHEDULE, sp);
	return 0;
}

int
ob_sub_apply(const struct ob_actx *ax, int64_t org_id, const cJSON *obj, const char *action,
    const char *cancel_reason, int clear_schedule, struct ob_fail *f)
{
	struct stripe_sub x;
	struct ob_sub before, after;
	char plan[32], cycle[8];
	cJSON *b = NULL, *a = NULL;
	int had, rc, applied = 0;

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
		return ob_sub_tx_fail(ax, f);
	if (had == 0 && strcmp(before.subscription, x.id) != 0 && ob_subscription_live(&before)) {
		/*
		 * Another subscription's news while the org has a live one: an old
		 * one's, or a second purchase's (two Checkout tabs, canceled by its
		 * checkout.session.completed): the live one stays.
		 */
		ob_db_rollback(ax->db);
		return 0;
	}
	if (price_plan(ax->db, &x, had, &before, plan, cycle, f) != 0 ||
	    upsert_row(ax->db, org_id, &x, plan, cycle) != 0 ||
	    set_reason_schedule(ax->db, org_id, cancel_reason, clear_schedule) != 0 ||
	    ob_subscription_load(ax->db, org_id, &after) != 0)
		return ob_sub_tx_fail(ax, f);
	if (schedule_settle(ax->db, &after, &x, &applied) != 0 ||
	    ob_subscription_load(ax->db, org_id, &after) != 0)
		return ob_sub_tx_fail(ax, f);
	/* The revenue history: a row when the state changed (once per change). */
	if (ob_revenue_record(ax->db, org_id,
	    ob_revenue_mrr(after.status, after.cycle, after.seats, after.unit_amount)) != 0)
		return ob_sub_tx_fail(ax, f);
	if (applied)
		action = "subscription.scheduled_applied";
	/*
	 * The plan's credits for a new period of a live subscription; none
	 * during a trial, and none until its first payment (a trial whose
	 * card fails at its end is past_due without ever being paid).
	 */
	if (after.credits_period != after.period_start && ob_subscription_live(&after) &&
	    strcmp(after.status, "trialing") != 0 &&
	    (strcmp(after.status, "active") == 0 || after.credits_period != 0) &&
	    ob_subscription_on_new_period(ax, &after) != 0)
		return ob_sub_tx_fail(ax, f);
	/*
	 * Seats added mid-period: their per-seat credits for the rest of it,
	 * once the added seats are live in Stripe — paid (an increase is sent
	 * with pending_if_incomplete, so Stripe raises the quantity only when
	 * its proration invoice is paid) and not waiting in a pending_update.
	 * Whichever copy of the subscription shows the raise first (the
	 * update's answer or its webhook) grants; the rest find the seats
	 * already here, and grant_seat_credits counts seats paid for once.
	 */
	if (had == 0 && !x.pending &&
	    ob_seats_grant_added(ax, &before, &after, (int64_t)time(NULL), NULL, f) != 0)
		return ob_sub_tx_fail(ax, f);
	b = had == 0 ? ob_sub_audit_state(&before) : NULL;
	a = ob_sub_audit_state(&after);
	rc = ob_audit_commit(ax, org_id, action != NULL ? action : "subscription.stripe_sync",
	    "subscription", x.id, b, a, f);
	cJSON_Delete(b);
	cJSON_Delete(a);
	return rc;
}

int
ob_subscription_apply_stripe(const struct ob_actx *ax, int64_t org_id,
    const cJSON *stripe_sub, const char *action, struct ob_fail *f)
{
	return ob_sub_apply(ax, org_id, stripe_sub, action, NULL, 0, f);
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
	ob_sub_iso_time(s->period_start, start, sizeof(start));
	ob_sub_iso_time(s->period_end, end, sizeof(end));
	if (p.credits_per_seat > 0 && s->seats > 0 &&
	    ob_credits_grant_plan_period(ax, s->org_id, start, end,
	    p.credits_per_seat * s->seats, &grant_id, &created, &f) != 0)
		return -1;
	ob_num_str(org, sizeof(org), s->org_id);
	ob_num_str(ps, sizeof(ps), s->period_start);
	return ob_db_run(ax->db, OB_STMT_SUB_SET_CREDITS_PERIOD, params);
}
