/*
 * The Overview dashboard's view model (dash.h) and its JSON twin, GET
 * /api/v1/org-billing/dashboard/{org_id}. Built from the core's reads
 * (subscription, credits, limits, invoices, invitations); what each
 * section shows is decided by ob_authz_can, so the dashboard never
 * shows what the person could not open.
 */
#include "fcgi/dash.h"
#include "fcgi/handlers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/json.h"
#include "base/money.h"
#include "base/num.h"
#include "billing/plans.h"
#include "billing/subscription.h"
#include "credits/credits.h"
#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/ctx.h"
#include "fcgi/nav.h"
#include "identity/invite.h"
#include "identity/org.h"
#include "invoices/invoices.h"

/* Add name: a count as text ("1,234"). */
static void
add_count(cJSON *o, const char *name, int64_t v)
{
	char buf[OB_MONEY_MAX];

	cJSON_AddStringToObject(o, name, ob_money_count(buf, sizeof(buf), v));
}

/* One alert {kind, level, message, href?} on o's "alerts". */
static void
alert(cJSON *o, const char *kind, const char *level, const char *message, const char *href)
{
	cJSON *a = cJSON_CreateObject();

	cJSON_AddStringToObject(a, "kind", kind);
	cJSON_AddStringToObject(a, "level", level);
	cJSON_AddStringToObject(a, "message", message);
	if (href != NULL)
		cJSON_AddStringToObject(a, "href", href);
	cJSON_AddItemToArray(cJSON_GetObjectItem(o, "alerts"), a);
}

/* "plan": name, status, cycle, seats used / purchased, from the subscription view. */
static void
add_plan(cJSON *o, const cJSON *sub)
{
	cJSON *p = cJSON_AddObjectToObject(o, "plan");
	const cJSON *plan = cJSON_GetObjectItem(sub, "plan"), *seats = cJSON_GetObjectItem(sub, "seats");
	const char *status = ob_json_str_or(sub, "status", "none");

	cJSON_AddStringToObject(p, "name", cJSON_IsObject(plan) ?
	    ob_json_str_or(plan, "name", "") : strcmp(status, "none") == 0 ? "No plan" :
	    ob_json_str_or(sub, "plan_id", ""));
	cJSON_AddStringToObject(p, "status", status);
	cJSON_AddBoolToObject(p, "has_subscription", strcmp(status, "none") != 0);
	cJSON_AddStringToObject(p, "cycle", ob_json_str_or(sub, "cycle", ""));
	ob_json_add_i64(p, "seats_used", ob_num_json_or(seats, "assigned", 0));
	ob_json_add_i64(p, "seats_purchased", ob_num_json_or(seats, "purchased", 0));
	add_count(p, "seats_used_text", ob_num_json_or(seats, "assigned", 0));
	add_count(p, "seats_purchased_text", ob_num_json_or(seats, "purchased", 0));
	cJSON_AddBoolToObject(p, "canceling", cJSON_IsTrue(cJSON_GetObjectItem(sub,
	    "cancel_at_period_end")));
	if (cJSON_IsObject(cJSON_GetObjectItem(sub, "scheduled_change")))
		cJSON_AddStringToObject(p, "scheduled", ob_json_str_or(cJSON_GetObjectItem(sub,
		    "scheduled_change"), "summary", ""));
}

/* The day days_left from today (UTC) as YYYY-MM-DD into out (11 bytes). */
static void
day_from_today(char out[11], int64_t days_left)
{
	time_t t = time(NULL) + (time_t)days_left * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The forecast's sentence for people. */
static void
forecast_text(char *out, size_t n, const struct ob_dash_forecast *fc, const char *avg)
{
	switch (fc->status) {
	case OB_DASH_FC_OK:
		if (fc->days_left == 0) {
			snprintf(out, n, "At %s credits a day (the last %d days' average), the "
			    "balance runs out today.", avg, fc->days);
			break;
		}
		snprintf(out, n, "At %s credits a day (the last %d days' average), the balance lasts "
		    "%lld more day%s.", avg, fc->days, (long long)fc->days_left,
		    fc->days_left == 1 ? "" : "s");
		break;
	case OB_DASH_FC_EMPTY:
		snprintf(out, n, "No credits left.");
		break;
	case OB_DASH_FC_NO_USAGE:
		snprintf(out, n, "No credits used in the last 30 days: no run-out expected.");
		break;
	case OB_DASH_FC_BEYOND:
		snprintf(out, n, "At %s credits a day the balance lasts more than ten years.", avg);
		break;
	case OB_DASH_FC_NOT_ENOUGH_DATA:
	default:
		snprintf(out, n, "Not enough data for a forecast yet (under %d days of usage).",
		    OB_DASH_FORECAST_MIN_DAYS);
		break;
	}
}

/* "credits": balance and run-out forecast over the last 30 days. 0 or -1. */
static int
add_credits(struct ob_req *r, cJSON *o, const cJSON *st)
{
	cJSON *c = cJSON_AddObjectToObject(o, "credits"), *days = NULL, *f, *d;
	struct ob_dash_forecast fc;
	struct ob_fail fl;
	int64_t daily[40], bal = ob_num_json_or(st, "available", 0);
	char from[11], to[11], avg[OB_MONEY_MAX], text[200], day[11];
	int n = 0;

	if (ob_credits_range(NULL, NULL, from, to, &fl) != 0 ||
	    (days = ob_credits_usage(&r->w->db, r->who.org_id, from, to, OB_CREDITS_BY_DAY, 366)) ==
	    NULL)
		return -1;
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(days, "data"))
		if (n < (int)(sizeof(daily) / sizeof(daily[0])))
			daily[n++] = ob_num_json_or(d, "amount", 0);
	cJSON_Delete(days);
	ob_dash_forecast(bal, daily, n, &fc);
	ob_json_add_i64(c, "available", bal);
	add_count(c, "available_text", bal);
	f = cJSON_AddObjectToObject(c, "forecast");
	cJSON_AddStringToObject(f, "status", ob_dash_forecast_name(fc.status));
	cJSON_AddStringToObject(f, "window_from", from);
	cJSON_AddStringToObject(f, "window_to", to);
	ob_json_add_i64(f, "days_observed", fc.days);
	ob_json_add_i64(f, "used", fc.used);
	ob_json_add_i64(f, "avg_daily", fc.avg_daily);
	ob_money_count(avg, sizeof(avg), fc.avg_daily);
	cJSON_AddStringToObject(f, "avg_daily_text", avg);
	if (fc.status == OB_DASH_FC_OK) {
		ob_json_add_i64(f, "days_left", fc.days_left);
		day_from_today(day, fc.days_left);
		cJSON_AddStringToObject(f, "runs_out_on", day);
	} else {
		cJSON_AddNullToObject(f, "days_left");
		cJSON_AddNullToObject(f, "runs_out_on");
	}
	forecast_text(text, sizeof(text), &fc, avg);
	cJSON_AddStringToObject(f, "text", text);
	if (fc.status == OB_DASH_FC_EMPTY)
		alert(o, "credits_empty", "error", "The credit pool is empty: metered work is refused "
		    "until credits are added.", NULL);
	else if (fc.status == OB_DASH_FC_OK && fc.days_left < 7)
		alert(o, "credits_low", "warning", "Credits run out within a week at the current rate.",
		    NULL);
	return 0;
}

/* Label of a resource for people. */
static const char *
resource_label(const char *res)
{
	static const struct { const char *res, *label; } names[] = {
		{ "users", "Users" }, { "agents", "Agents" }, { "executions", "Executions" },
		{ "storage_mb", "Storage (MB)" }, { "gateways", "Gateways" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(res, names[i].res) == 0)
			return names[i].label;
	return res;
}

/* One usage row against its limit; alerts at OB_DASH_NEAR_PERCENT and over. */
static void
usage_row(cJSON *o, cJSON *arr, const cJSON *lim)
{
	const char *res = ob_json_str_or(lim, "resource", "");
	int64_t cur = ob_num_json_or(lim, "current", 0), max = -1;
	int unlimited = ob_num_json_get(lim, "limit", &max) != 0 || max < 0, pct;
	cJSON *u = cJSON_CreateObject();
	char msg[200], a[OB_MONEY_MAX], b[OB_MONEY_MAX];

	cJSON_AddStringToObject(u, "resource", res);
	cJSON_AddStringToObject(u, "label", resource_label(res));
	ob_json_add_i64(u, "current", cur);
	add_count(u, "current_text", cur);
	cJSON_AddBoolToObject(u, "unlimited", unlimited);
	if (unlimited) {
		cJSON_AddNullToObject(u, "limit");
		cJSON_AddStringToObject(u, "limit_text", "Unlimited");
		cJSON_AddNullToObject(u, "percent");
		cJSON_AddItemToArray(arr, u);
		return;
	}
	pct = ob_dash_percent(cur, max);
	ob_json_add_i64(u, "limit", max);
	add_count(u, "limit_text", max);
	ob_json_add_i64(u, "percent", pct);
	cJSON_AddNumberToObject(u, "bar", pct > 100 ? 100 : pct);
	cJSON_AddBoolToObject(u, "over", cur > max);
	cJSON_AddBoolToObject(u, "near", cur <= max && pct >= OB_DASH_NEAR_PERCENT);
	cJSON_AddItemToArray(arr, u);
	ob_money_count(a, sizeof(a), cur);
	ob_money_count(b, sizeof(b), max);
	if (cur > max) {
		snprintf(msg, sizeof(msg), "%s: %s used, over the plan's limit of %s.",
		    resource_label(res), a, b);
		alert(o, "over_limit", "error", msg, NULL);
	} else if (pct >= OB_DASH_NEAR_PERCENT) {
		snprintf(msg, sizeof(msg), "%s: %s of %s used (%d %%), near the plan's limit.",
		    resource_label(res), a, b, pct);
		alert(o, "near_limit", "warning", msg, NULL);
	}
}

/* "usage": this period's use of every plan limit. 0 or -1. */
static int
add_usage(struct ob_req *r, cJSON *o)
{
	cJSON *v = ob_plans_usage_view(&r->w->db, r->who.org_id, 1), *arr, *lim;
	const char *href = ob_nav_may_open(r, "/subscription") ? "/subscription" : NULL;
	cJSON *al;
	int before;

	if (v == NULL)
		return -1;
	arr = cJSON_AddArrayToObject(o, "usage");
	before = cJSON_GetArraySize(cJSON_GetObjectItem(o, "alerts"));
	cJSON_ArrayForEach(lim, cJSON_GetObjectItem(v, "data"))
		usage_row(o, arr, lim);
	cJSON_Delete(v);
	/* Limit alerts point at the plans when this person may see them. */
	al = cJSON_GetObjectItem(o, "alerts");
	while (href != NULL && before < cJSON_GetArraySize(al))
		cJSON_AddStringToObject(cJSON_GetArrayItem(al, before++), "href", href);
	return 0;
}

/* Sum of the open invoices' remaining amounts into "amount_due". 0 or -1. */
static int
add_amount_due(struct ob_req *r, cJSON *b, const char *currency)
{
	struct ob_invoices_filter flt = { "open", NULL, NULL };
	cJSON *list = ob_invoices_list(&r->w->db, r->who.org_id, &flt, NULL, 100), *inv;
	const char *cur = currency;
	int64_t due = 0, v;
	int n = 0;
	char buf[OB_MONEY_MAX];

	if (list == NULL)
		return -1;
	cJSON_ArrayForEach(inv, cJSON_GetObjectItem(list, "data")) {
		if (n == 0 && *cur == '\0')
			cur = ob_json_str_or(inv, "currency", "usd");
		v = ob_num_json_or(inv, "amount_remaining", 0);
		if (strcasecmp(ob_json_str_or(inv, "currency", ""), cur) == 0 && v > 0 &&
		    ob_num_add(due, v, &due) != 0)
			break;
		n++;
	}
	if (*cur == '\0')
		cur = "usd";
	ob_json_add_i64(b, "amount_due", due);
	cJSON_AddStringToObject(b, "amount_due_currency", cur);
	cJSON_AddStringToObject(b, "amount_due_text", ob_money_format(buf, sizeof(buf), due, cur,
	    OB_MONEY_SYMBOL));
	ob_json_add_i64(b, "open_invoices", n);
	cJSON_Delete(list);
	return 0;
}

/*
 * The next invoice's estimate: seats × price per seat (the scheduled
 * change's, when one takes effect at the period's end) + this credit
 * period's extra-task credits at the credit price (when billed in the
 * same currency). Adds "next_invoice" (null when nothing renews).
 */
static void
add_next_invoice(struct ob_req *r, cJSON *b, const cJSON *sub, const cJSON *st)
{
	const cJSON *sched = cJSON_GetObjectItem(sub, "scheduled_change");
	const char *status = ob_json_str_or(sub, "status", "none");
	const char *cur = ob_json_str_or(sub, "currency", "usd");
	int64_t seats = ob_num_json_or(cJSON_GetObjectItem(sub, "seats"), "purchased", 0);
	int64_t unit = ob_num_json_or(sub, "unit_amount", 0), extra = 0, seat_total, total;
	struct ob_plan p;
	char buf[OB_MONEY_MAX];
	cJSON *n;

	if (strcmp(status, "none") == 0 || strcmp(status, "canceled") == 0 ||
	    strcmp(status, "incomplete_expired") == 0 ||
	    cJSON_IsTrue(cJSON_GetObjectItem(sub, "cancel_at_period_end"))) {
		cJSON_AddNullToObject(b, "next_invoice");
		return;
	}
	if (cJSON_IsObject(sched)) {
		seats = ob_num_json_or(sched, "seats", seats);
		if (!cJSON_IsTrue(cJSON_GetObjectItem(sched, "seats_only")) &&
		    ob_plans_get(&r->w->db, ob_json_str_or(sched, "plan", ""), r->who.org_id, &p) == 0 &&
		    ob_plans_price(&p, ob_json_str_or(sched, "cycle", "month")) >= 0)
			unit = ob_plans_price(&p, ob_json_str_or(sched, "cycle", "month"));
	}
	if (ob_num_mul(unit, seats, &seat_total) != 0)
		seat_total = 0;
	if (strcasecmp(cur, "usd") == 0 &&
	    ob_invoices_credit_amount(ob_num_json_or(st, "extra_credits_used", 0),
	    ob_invoices_price_per_1000(), OB_INVOICES_AMOUNT_MAX, &extra) != 0)
		extra = 0;
	if (ob_num_add(seat_total, extra, &total) != 0)
		total = seat_total;
	n = cJSON_AddObjectToObject(b, "next_invoice");
	cJSON_AddStringToObject(n, "date", ob_json_str_or(sub, "current_period_end", ""));
	cJSON_AddStringToObject(n, "currency", cur);
	ob_json_add_i64(n, "seats", seats);
	ob_json_add_i64(n, "unit_amount", unit);
	ob_json_add_i64(n, "seats_amount", seat_total);
	ob_json_add_i64(n, "extra_tasks_amount", extra);
	ob_json_add_i64(n, "estimate", total);
	cJSON_AddStringToObject(n, "unit_amount_text", ob_money_format(buf, sizeof(buf), unit, cur,
	    OB_MONEY_SYMBOL));
	cJSON_AddStringToObject(n, "extra_tasks_text", ob_money_format(buf, sizeof(buf), extra, cur,
	    OB_MONEY_SYMBOL));
	cJSON_AddStringToObject(n, "estimate_text", ob_money_format(buf, sizeof(buf), total, cur,
	    OB_MONEY_SYMBOL));
	add_count(n, "seats_text", seats);
}

/* "billing": amount due and the next invoice (billing view only). 0 or -1. */
static int
add_billing(struct ob_req *r, cJSON *o, const cJSON *sub, const cJSON *st)
{
	cJSON *b = cJSON_AddObjectToObject(o, "billing");

	if (add_amount_due(r, b, ob_json_str_or(sub, "currency", "")) != 0)
		return -1;
	add_next_invoice(r, b, sub, st);
	return 0;
}

/* Alerts from the org's standing: dunning, suspension. */
static void
state_alerts(struct ob_req *r, cJSON *o)
{
	const char *st = r->who.billing_state;
	const char *href = ob_nav_may_open(r, "/invoices") ? "/invoices" : NULL;

	if (strcmp(st, "past_due") == 0)
		alert(o, "past_due", "error", "Payment failed: an invoice is past due. Pay it to keep "
		    "the organization active.", href);
	else if (strcmp(st, "restricted") == 0)
		alert(o, "restricted", "error", "Payment overdue: the organization is restricted until "
		    "the open invoice is paid.", href);
	else if (strcmp(st, "suspended") == 0 || r->who.org_suspended)
		alert(o, "suspended", "error", "The organization is suspended and read-only.", href);
}

/* Pending invitations (for who may manage members). 0 or -1. */
static int
invitation_alerts(struct ob_req *r, cJSON *o)
{
	cJSON *list = ob_invite_list(&r->w->db, r->who.org_id), *i;
	int n = 0;
	char msg[120];

	if (list == NULL)
		return -1;
	cJSON_ArrayForEach(i, cJSON_GetObjectItem(list, "data"))
		if (strcmp(ob_json_str_or(i, "status", ""), "pending") == 0)
			n++;
	cJSON_Delete(list);
	ob_json_add_i64(o, "pending_invitations", n);
	if (n > 0) {
		snprintf(msg, sizeof(msg), "%d invitation%s waiting to be accepted.", n,
		    n == 1 ? "" : "s");
		alert(o, "pending_invitations", "info", msg, "/members");
	}
	return 0;
}

/* One next action {label, href} when r's principal may open href. */
static void
action(struct ob_req *r, cJSON *arr, int allowed, const char *label, const char *href)
{
	cJSON *a;

	if (!allowed || !ob_nav_may_open(r, href))
		return;
	a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "label", label);
	cJSON_AddStringToObject(a, "href", href);
	cJSON_AddItemToArray(arr, a);
}

/* "actions": what this person may do next, each checked with the policy. */
static void
add_actions(struct ob_req *r, cJSON *o)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "actions");
	const cJSON *b = cJSON_GetObjectItem(o, "billing");
	int user = r->who.kind == OB_PRINCIPAL_USER, ro = ob_authz_org_read_only(r);

	if (!user)
		return;		/* keys never use the console */
	action(r, arr, ob_num_json_or(b, "amount_due", 0) > 0 &&
	    ob_authz_can(r, OB_ACT_PAYMENT_ACTION), "Pay the open invoice", "/invoices");
	action(r, arr, !ro && ob_authz_can(r, OB_ACT_PAYMENT_ACTION), "Top up the credit pool", "/invoices");
	action(r, arr, !ro && ob_authz_can(r, OB_ACT_SUBSCRIPTION_CHANGE), "Change the plan or seat count",
	    "/subscription");
	action(r, arr, !ro && ob_authz_can(r, OB_ACT_BILLING_MANAGE), "Assign licenses", "/seats");
	action(r, arr, !ro && ob_authz_can(r, OB_ACT_CREDITS_MANAGE), "Set member allowances",
	    "/credits");
	action(r, arr, !ro && ob_authz_can(r, OB_ACT_MEMBERS_MANAGE), "Invite a member", "/members");
	action(r, arr, !ro && ob_authz_can(r, OB_ACT_APIKEYS_MANAGE), "Create an API key",
	    "/api-keys");
	action(r, arr, !ob_authz_can(r, OB_ACT_CREDITS_MANAGE), "See your credit allowance",
	    "/credits");
	action(r, arr, !ob_authz_can(r, OB_ACT_MEMBERS_MANAGE), "View the member list", "/members");
}

cJSON *
ob_dash_model(struct ob_req *r)
{
	cJSON *o = cJSON_CreateObject(), *sub = NULL, *st = NULL;
	int summary = ob_authz_can(r, OB_ACT_ORG_SUMMARY);
	char org[24];

	cJSON_AddStringToObject(o, "object", "dashboard");
	cJSON_AddStringToObject(o, "org_id", ob_num_str(org, sizeof(org), r->who.org_id));
	cJSON_AddBoolToObject(o, "summary", summary);
	cJSON_AddArrayToObject(o, "alerts");
	state_alerts(r, o);
	if (summary) {
		if ((sub = ob_subscription_view(&r->w->db, r->who.org_id)) == NULL ||
		    (st = ob_credits_status(&r->w->db, r->who.org_id)) == NULL)
			goto fail;
		add_plan(o, sub);
		if (add_credits(r, o, st) != 0 || add_usage(r, o) != 0)
			goto fail;
	}
	if (summary && ob_authz_can(r, OB_ACT_BILLING_VIEW) && add_billing(r, o, sub, st) != 0)
		goto fail;
	if (ob_authz_can(r, OB_ACT_MEMBERS_MANAGE) && invitation_alerts(r, o) != 0)
		goto fail;
	cJSON_AddBoolToObject(o, "has_alerts", cJSON_GetArraySize(cJSON_GetObjectItem(o, "alerts")) > 0);
	add_actions(r, o);
	cJSON_Delete(sub);
	cJSON_Delete(st);
	return o;
fail:
	cJSON_Delete(sub);
	cJSON_Delete(st);
	cJSON_Delete(o);
	return NULL;
}

int
ob_h_api_dashboard(struct ob_req *r)
{
	/* A key's gate reads no dunning state on a GET; the alerts need it. */
	if (r->who.kind == OB_PRINCIPAL_KEY && ob_org_state(&r->w->db, r->who.org_id, &r->who) != 0)
		return -1;
	return ob_api_answer(r, ob_dash_model(r));
}
