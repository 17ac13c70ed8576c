/*
 * The local mirror of an org's subscription: loading it and showing it
 * (the API's view, the audit rows' before/after pictures).
 */
#include "billing/subscription_int.h"

#include <string.h>

#include "base/json.h"
#include "base/row.h"
#include "base/num.h"
#include "billing/seats.h"

int
ob_subscription_load(struct ob_db *db, int64_t org_id, struct ob_sub *s)
{
	char org[24];
	const char *params[1] = { org };
	PGresult *res;
	int rc = 1;

	memset(s, 0, sizeof(*s));
	s->sched_seats = -1;
	ob_num_str(org, sizeof(org), org_id);
	if ((res = ob_db_exec(db, OB_STMT_SUB_GET, params, NULL)) == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		s->org_id = org_id;
		ob_sub_copy(s->plan, sizeof(s->plan), ob_row_str(res, 0, "plan_code"));
		ob_sub_copy(s->cycle, sizeof(s->cycle), ob_row_str(res, 0, "cycle"));
		s->seats = ob_row_i64(res, 0, "seats");
		s->unit_amount = ob_row_i64(res, 0, "unit_amount");
		ob_sub_copy(s->currency, sizeof(s->currency), ob_row_str(res, 0, "currency"));
		ob_sub_copy(s->status, sizeof(s->status), ob_row_str(res, 0, "status"));
		ob_sub_copy(s->customer, sizeof(s->customer), ob_row_str(res, 0, "stripe_customer_id"));
		ob_sub_copy(s->subscription, sizeof(s->subscription),
		    ob_row_str(res, 0, "stripe_subscription_id"));
		ob_sub_copy(s->item, sizeof(s->item), ob_row_str(res, 0, "stripe_item_id"));
		ob_sub_copy(s->price, sizeof(s->price), ob_row_str(res, 0, "stripe_price_id"));
		s->period_start = ob_row_i64(res, 0, "current_period_start");
		s->period_end = ob_row_i64(res, 0, "current_period_end");
		s->trial_end = ob_row_i64(res, 0, "trial_end");
		s->cancel_at_period_end = ob_row_bool(res, 0, "cancel_at_period_end");
		ob_sub_copy(s->cancel_reason, sizeof(s->cancel_reason), ob_row_str(res, 0, "cancel_reason"));
		s->canceled_at = ob_row_i64(res, 0, "canceled_at");
		ob_sub_copy(s->sched_plan, sizeof(s->sched_plan), ob_row_str(res, 0, "scheduled_plan_code"));
		ob_sub_copy(s->sched_cycle, sizeof(s->sched_cycle), ob_row_str(res, 0, "scheduled_cycle"));
		s->sched_seats = ob_row_i64(res, 0, "scheduled_seats");
		ob_sub_copy(s->schedule, sizeof(s->schedule), ob_row_str(res, 0, "stripe_schedule_id"));
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
cJSON *
ob_sub_audit_state(const struct ob_sub *s)
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
	ob_sub_add_time(o, "current_period_end", s->period_end);
	if (s->sched_plan[0] != '\0') {
		cJSON_AddStringToObject(o, "scheduled_plan", s->sched_plan);
		cJSON_AddStringToObject(o, "scheduled_cycle", s->sched_cycle);
		ob_json_add_i64(o, "scheduled_seats", s->sched_seats);
	}
	return o;
}

/*
 * sched["summary"]: "Changes to Team (monthly) on 2026-12-28" (the
 * plan's name, the cycle, the period's end day), or "5 seats from
 * 2026-12-28" when only the seat count changes, and its Stripe schedule.
 */
static void
sched_summary(struct ob_db *db, const struct ob_sub *s, cJSON *sched)
{
	struct ob_plan p;
	char day[32], text[160];

	ob_sub_iso_time(s->period_end, day, sizeof(day));
	day[10] = '\0';	/* the date of "YYYY-MM-DDTHH:MM:SSZ" */
	if (strcmp(s->sched_plan, s->plan) == 0 && strcmp(s->sched_cycle, s->cycle) == 0)
		snprintf(text, sizeof(text), "%lld seat%s from %s", (long long)s->sched_seats,
		    s->sched_seats == 1 ? "" : "s", day);
	else
		snprintf(text, sizeof(text), "Changes to %s (%s) on %s",
		    ob_plans_get(db, s->sched_plan, s->org_id, &p) == 0 ? p.name : s->sched_plan,
		    strcmp(s->sched_cycle, "year") == 0 ? "yearly" : "monthly", day);
	cJSON_AddStringToObject(sched, "summary", text);
	if (s->schedule[0] != '\0')
		cJSON_AddStringToObject(sched, "stripe_schedule", s->schedule);
	else
		cJSON_AddNullToObject(sched, "stripe_schedule");
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
	ob_num_str(org, sizeof(org), org_id);
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
	ob_sub_add_time(o, "current_period_start", s.period_start);
	ob_sub_add_time(o, "current_period_end", s.period_end);
	ob_sub_add_time(o, "trial_end", s.trial_end);
	cJSON_AddBoolToObject(o, "cancel_at_period_end", s.cancel_at_period_end);
	if (s.cancel_reason[0] != '\0')
		cJSON_AddStringToObject(o, "cancel_reason", s.cancel_reason);
	else
		cJSON_AddNullToObject(o, "cancel_reason");
	ob_sub_add_time(o, "canceled_at", s.canceled_at);
	if (s.sched_plan[0] != '\0') {
		sched = cJSON_AddObjectToObject(o, "scheduled_change");
		cJSON_AddStringToObject(sched, "plan", s.sched_plan);
		cJSON_AddStringToObject(sched, "cycle", s.sched_cycle);
		ob_json_add_i64(sched, "seats", s.sched_seats);
		ob_sub_add_time(sched, "effective_at", s.period_end);
		cJSON_AddBoolToObject(sched, "seats_only", strcmp(s.sched_plan, s.plan) == 0 &&
		    strcmp(s.sched_cycle, s.cycle) == 0);
		sched_summary(db, &s, sched);
	} else {
		cJSON_AddNullToObject(o, "scheduled_change");
	}
	cJSON_AddStringToObject(o, "stripe_customer", s.customer);
	return o;
}
