/*
 * The proration preview: the exact lines an update would make now (or at
 * its proration_date), by Stripe's to-the-second rule, with the plain
 * per-day formula beside them for people. No Stripe call.
 */
#include "billing/subscription_int.h"

#include <string.h>

#include "base/json.h"
#include "base/money.h"
#include "base/num.h"
#include "billing/proration.h"

static void
add_int_arr(cJSON *a, int64_t v)
{
	char buf[24];

	ob_num_str(buf, sizeof(buf), v);
	cJSON_AddItemToArray(a, cJSON_CreateRaw(buf));
}

/*
 * The amounts as the console shows them (the one formatter, base/money.h);
 * a negative total (a downgrade now) also as the credit it gives,
 * credit_text, and a positive one as charge_text.
 */
static void
add_texts(cJSON *o, const char *currency)
{
	char buf[OB_MONEY_MAX];
	int64_t total = 0;
	cJSON *l;

	cJSON_ArrayForEach(l, cJSON_GetObjectItem(o, "lines"))
		ob_money_json_member(l, "amount", "amount_text", currency, OB_MONEY_SYMBOL);
	ob_money_json_member(o, "total", "total_text", currency, OB_MONEY_SYMBOL);
	ob_money_json_member(cJSON_GetObjectItem(o, "plain"), "total", "total_text", currency,
	    OB_MONEY_SYMBOL);
	ob_money_json_member(o, "next_period_amount", "next_text", currency, OB_MONEY_SYMBOL);
	(void)ob_num_json_get(o, "total", &total);
	if (total < 0)
		cJSON_AddStringToObject(o, "credit_text",
		    ob_money_format(buf, sizeof(buf), -total, currency, OB_MONEY_SYMBOL));
	else if (total > 0)
		cJSON_AddStringToObject(o, "charge_text",
		    ob_money_format(buf, sizeof(buf), total, currency, OB_MONEY_SYMBOL));
}

/* Proration lines for change c of cur, Stripe's rule, into lines; the total. */
static int
proration_lines(const struct ob_sub *cur, const struct ob_sub_change *c, cJSON *lines,
    cJSON *plain, int64_t *total, int64_t *plain_total)
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
		cJSON_AddStringToObject(l, "plan_name", c->from.name);
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
	cJSON_AddStringToObject(l, "plan_name", c->to.name);
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
	struct ob_sub_change c;
	cJSON *o, *lines, *plain, *pl;
	int64_t total, plain_total, dr = 0, dp = 0, v;
	int rc;

	*out = NULL;
	if ((rc = ob_subscription_load(db, org_id, &cur)) < 0)
		return ob_fail_db(f, db->lasterr);
	if (rc == 1)
		return ob_fail(f, OB_FAIL_CONFLICT, "no_subscription", NULL, "The org has no subscription.");
	if (ob_sub_resolve_change(db, org_id, &cur, body, now, &c, f) != 0)
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "object", "subscription_preview");
	cJSON_AddStringToObject(o, "effective", c.immediate ? "now" : "period_end");
	cJSON_AddStringToObject(o, "plan", c.to.code);
	cJSON_AddStringToObject(o, "plan_name", c.to.name);
	cJSON_AddStringToObject(o, "from_plan", c.from.code);
	cJSON_AddStringToObject(o, "from_plan_name", c.from.name);
	cJSON_AddBoolToObject(o, "downgrade", c.to.tier < c.from.tier);
	cJSON_AddStringToObject(o, "cycle", c.cycle);
	ob_json_add_i64(o, "seats", c.seats);
	cJSON_AddStringToObject(o, "currency", cur.currency);
	ob_json_add_i64(o, "proration_date", c.proration_date);
	ob_sub_add_time(o, "current_period_start", cur.period_start);
	ob_sub_add_time(o, "current_period_end", cur.period_end);
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
	add_texts(o, cur.currency);
	*out = o;
	return 0;
}
