/*
 * The console's subscription page: the billing hero, plan cards, the seat
 * stepper and proration preview, cancel and reactivate; its forms post
 * changes through ob_subscription_change and redirect with ?done=.
 */
#include "fcgi/h_billing.h"
#include "fcgi/h_billing_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "base/idem.h"
#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/fields.h"
#include "fcgi/form_errors.h"
#include "fcgi/input.h"
#include "fcgi/page.h"
#include "fcgi/worker.h"
#include "base/money.h"
#include "base/num.h"
#include "billing/plans.h"
#include "billing/subscription.h"


/* dst's text member for src's integer member amount, as the console shows money. */
static void
money_text(cJSON *dst, const cJSON *src, const char *amount, const char *text, const char *cur)
{
	int64_t v;

	if (ob_num_json_get(src, amount, &v) == 0)
		ob_money_json(dst, text, v, cur, OB_MONEY_SYMBOL);
}

/* A plan card's limits and credits as counts people read ("1,000,000"); null stays null. */
static void
limits_text(cJSON *card)
{
	cJSON *lim = cJSON_GetObjectItem(card, "limits"), *it, *next;
	char buf[OB_MONEY_MAX];
	int64_t v;

	/* The next item is taken first: replacing frees the current one. */
	for (it = lim != NULL ? lim->child : NULL; it != NULL; it = next) {
		next = it->next;
		if (it->string != NULL && ob_num_json_get(lim, it->string, &v) == 0)
			cJSON_ReplaceItemInObjectCaseSensitive(lim, it->string,
			    cJSON_CreateString(ob_money_count(buf, sizeof(buf), v)));
	}
	if (ob_num_json_get(card, "credits_per_seat", &v) == 0)
		cJSON_AddStringToObject(card, "credits_per_seat_text",
		    ob_money_count(buf, sizeof(buf), v));
}

const char *
ob_h_billing_status_text(const char *status)
{
	static const char *const words[][2] = {
		{ "active", "Active" }, { "trialing", "Free trial" }, { "past_due", "Past due" },
		{ "unpaid", "Unpaid" }, { "incomplete", "Payment required" },
		{ "incomplete_expired", "Expired unpaid" }, { "canceled", "Canceled" },
		{ "paused", "Paused" }, { "none", "No subscription" }, { "pending", "Pending" },
		{ "expired", "Expired" }, { "duplicate", "Canceled as a duplicate" },
	};
	size_t i;

	for (i = 0; status != NULL && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(status, words[i][0]) == 0)
			return words[i][1];
	return status != NULL ? status : "";
}

/* The hero summary, also for the overview page (partials/billing_hero). */
static void
hero(cJSON *d, const cJSON *sub)
{
	cJSON *h = cJSON_AddObjectToObject(d, "billing_hero");
	const cJSON *seats = cJSON_GetObjectItem(sub, "seats"), *plan = cJSON_GetObjectItem(sub, "plan");
	const char *status = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "status"));
	const char *end = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "current_period_end"));

	cJSON_AddStringToObject(h, "plan", cJSON_IsObject(plan) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(plan, "name")) : "No plan");
	cJSON_AddStringToObject(h, "status", status != NULL ? status : "none");
	cJSON_AddStringToObject(h, "status_text", ob_h_billing_status_text(status != NULL ? status : "none"));
	cJSON_AddItemToObject(h, "seats_used", cJSON_Duplicate(cJSON_GetObjectItem(seats, "assigned"), 1));
	cJSON_AddItemToObject(h, "seats_purchased", cJSON_Duplicate(cJSON_GetObjectItem(seats, "purchased"), 1));
	cJSON_AddStringToObject(h, "period_end", end != NULL ? end : "");
	money_text(h, sub, "amount_per_period", "amount_text",
	    cJSON_GetStringValue(cJSON_GetObjectItem(sub, "currency")));
	cJSON_AddStringToObject(h, "cycle", cJSON_GetStringValue(cJSON_GetObjectItem(sub, "cycle")) ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(sub, "cycle")) : "");
	cJSON_AddBoolToObject(h, "canceling", cJSON_IsTrue(cJSON_GetObjectItem(sub, "cancel_at_period_end")));
	cJSON_AddBoolToObject(h, "has_subscription", status != NULL && strcmp(status, "none") != 0);
}

int
ob_h_billing_hero(struct ob_req *r, cJSON *page)
{
	cJSON *sub = ob_subscription_view(&r->w->db, r->who.org_id);

	if (sub == NULL)
		return -1;
	hero(page, sub);
	ob_h_billing_raw_to_text(cJSON_GetObjectItem(page, "billing_hero"));
	cJSON_Delete(sub);
	return 0;
}

/* The seats form (preview and apply): its control, and its failures in plain words. */
static const struct ob_form_field seat_controls[] = { { "seats", "seats-input", NULL } };
static const struct ob_form_msg seat_msgs[] = {
	{ "invalid_seats", NULL, "Enter a whole number of seats from 1 to 100000." },
	{ "invalid_integer", NULL, "Enter a whole number of seats from 1 to 100000." },
};
static const struct ob_form seat_form = OB_FORM(seat_controls, seat_msgs);

/*
 * The confirm step's view of a preview (core's ob_subscription_preview):
 * now or at the period's end, whether it switches plans, the cycle in
 * words. Its texts are made by core; numbers become text here.
 */
static void
confirm_view(cJSON *preview, const char *cur_plan)
{
	const char *eff = cJSON_GetStringValue(cJSON_GetObjectItem(preview, "effective"));
	const char *plan = cJSON_GetStringValue(cJSON_GetObjectItem(preview, "plan"));
	const char *cycle = cJSON_GetStringValue(cJSON_GetObjectItem(preview, "cycle"));
	int year = cycle != NULL && strcmp(cycle, "year") == 0;

	cJSON_AddBoolToObject(preview, "now", eff != NULL && strcmp(eff, "now") == 0);
	cJSON_AddBoolToObject(preview, "plan_change", plan != NULL && cur_plan != NULL &&
	    strcmp(plan, cur_plan) != 0);
	cJSON_AddStringToObject(preview, "cycle_text", year ? "annual" : "monthly");
	cJSON_AddStringToObject(preview, "cycle_unit", year ? "year" : "month");
	ob_h_billing_raw_to_text(preview);
}

/* The plan cards, in the catalogue's order; the plan a preview switches to carries it as "confirm". */
static void
plan_cards(cJSON *d, const cJSON *plans, const char *cur_plan, cJSON *confirm)
{
	cJSON *cards = cJSON_AddArrayToObject(d, "plans"), *card;
	const cJSON *p;
	const char *pcur, *to = confirm != NULL ?
	    cJSON_GetStringValue(cJSON_GetObjectItem(confirm, "plan")) : NULL;

	cJSON_ArrayForEach(p, cJSON_GetObjectItem(plans, "data")) {
		const cJSON *ua = cJSON_GetObjectItem(p, "unit_amount");
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(p, "id"));

		card = cJSON_Duplicate(p, 1);
		pcur = cJSON_GetStringValue(cJSON_GetObjectItem(p, "currency"));
		money_text(card, ua, "month", "price_month", pcur);
		money_text(card, ua, "year", "price_year", pcur);
		cJSON_AddBoolToObject(card, "priced", cJSON_IsRaw(cJSON_GetObjectItem(ua, "month")));
		cJSON_AddBoolToObject(card, "current", cur_plan != NULL && strcmp(cur_plan, code) == 0);
		if (to != NULL && code != NULL && strcmp(to, code) == 0)
			cJSON_AddItemReferenceToObject(card, "confirm", confirm);
		limits_text(card);
		cJSON_AddItemToArray(cards, card);
	}
}

/*
 * The outcome code a new subscription's flash says, from its status now
 * (the webhooks may have moved it since the form's answer): unpaid is
 * "payment_required", active or trialing "created". Other codes as given.
 */
static const char *
done_code(const char *code, const char *status)
{
	if (code == NULL || status == NULL ||
	    (strcmp(code, "created") != 0 && strcmp(code, "payment_required") != 0))
		return code;
	if (strcmp(status, "incomplete") == 0 || strcmp(status, "past_due") == 0 ||
	    strcmp(status, "unpaid") == 0)
		return "payment_required";
	if (strcmp(status, "active") == 0 || strcmp(status, "trialing") == 0)
		return "created";
	return code;
}

/* A scheduled change for people: its plan's name and cycle in words (the date is a <time>). */
static void
sched_view(struct ob_req *r, cJSON *sched)
{
	const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(sched, "plan"));
	const char *cycle = cJSON_GetStringValue(cJSON_GetObjectItem(sched, "cycle"));
	struct ob_plan p;

	if (!cJSON_IsObject(sched) || code == NULL)
		return;
	cJSON_AddStringToObject(sched, "plan_name",
	    ob_plans_get(&r->w->db, code, r->who.org_id, &p) == 0 ? p.name : code);
	cJSON_AddStringToObject(sched, "cycle_text",
	    cycle != NULL && strcmp(cycle, "year") == 0 ? "yearly" : "monthly");
}

/*
 * The page; f: a refusal to flash; preview (may be NULL): a change to
 * confirm, shown on the card of the plan it switches to or, for a seat
 * change, under the seat stepper; cancel_open: the cancel form opened.
 */
static int
render_subscription(struct ob_req *r, int status, const struct ob_fail *f, cJSON *preview,
    int cancel_open)
{
	cJSON *d, *sub, *plans;
	const char *scur, *cur_plan, *cur_cycle, *st;
	int live, plan_change;

	if ((sub = ob_subscription_view(&r->w->db, r->who.org_id)) == NULL)
		return -1;
	if ((plans = ob_plans_list(&r->w->db)) == NULL) {
		cJSON_Delete(sub);
		return -1;
	}
	d = ob_page_new(r, "Subscription", "subscription");
	st = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "status"));
	ob_h_billing_done_flash_code(r, d, done_code(ob_query_get(r, "done"), st));
	if (f != NULL && (r->ftab == &ob_h_subscription_preview_form_fields ||
	    r->ftab == &ob_h_subscription_change_form_fields))
		ob_form_errors_show(r, &seat_form, f, d);	/* seats: next to the field */
	else if (f != NULL)
		ob_page_flash(d, "error", f->message);
	hero(d, sub);
	live = st != NULL && strcmp(st, "none") != 0 && strcmp(st, "canceled") != 0;
	cur_plan = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "plan_id"));
	cur_cycle = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "cycle"));
	if (preview != NULL)
		confirm_view(preview, cur_plan);
	plan_change = cJSON_IsTrue(cJSON_GetObjectItem(preview, "plan_change"));
	plan_cards(d, plans, cur_plan, plan_change ? preview : NULL);
	sched_view(r, cJSON_GetObjectItem(sub, "scheduled_change"));
	cJSON_AddItemToObject(d, "subscription", sub);
	cJSON_AddBoolToObject(d, "live", live);
	cJSON_AddBoolToObject(d, "cycle_year", cur_cycle != NULL && strcmp(cur_cycle, "year") == 0);
	cJSON_AddBoolToObject(d, "cancel_open", cancel_open);
	scur = cJSON_GetStringValue(cJSON_GetObjectItem(sub, "currency"));
	money_text(d, sub, "amount_per_period", "amount_per_period_text", scur);
	money_text(d, sub, "unit_amount", "unit_price", scur);
	cJSON_AddBoolToObject(d, "can_change", ob_authz_can(r, OB_ACT_SUBSCRIPTION_CHANGE));
	if (preview != NULL && !plan_change)
		cJSON_AddItemReferenceToObject(d, "seat_preview", preview);
	ob_page_form_key(d);
	ob_h_billing_raw_to_text(d);
	ob_page_render(r, status, "pages/subscription", d);
	cJSON_Delete(d);
	cJSON_Delete(plans);
	return 0;
}

int
ob_h_subscription_page(struct ob_req *r)
{
	return render_subscription(r, 200, NULL, NULL, 0);
}

/* The forms' fields refused: the page again with the error. */
static int
form_fail(struct ob_req *r, const struct ob_fail *f)
{
	return render_subscription(r, ob_api_fail_status(f->kind), f, NULL,
	    strcmp(r->path, "/subscription/cancel") == 0);
}

/* The key the page put in the form (one that is not a key is left out). */
#define IDEM_ROW { .name = "idem", .type = OB_FIELD_STRING }

static const struct ob_field create_rows[] = {
	IDEM_ROW, OB_H_SUB_PLAN_ROW(OB_FIELD_REQUIRED), OB_H_SUB_CYCLE_ROW, OB_H_SUB_SEATS_ROW,
	OB_H_SUB_PAYMENT_METHOD_ROW, OB_H_SUB_EMAIL_ROW,
};
const struct ob_fields ob_h_subscription_create_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, create_rows, form_fail);

static const struct ob_field change_rows[] = {
	IDEM_ROW, OB_H_SUB_PLAN_ROW(0), OB_H_SUB_CYCLE_ROW, OB_H_SUB_SEATS_ROW,
	OB_H_SUB_PRORATION_ROW, OB_H_SUB_IMMEDIATE_ROW,
};
const struct ob_fields ob_h_subscription_change_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, change_rows, form_fail);

static const struct ob_field preview_rows[] = {
	OB_H_SUB_PLAN_ROW(0), OB_H_SUB_CYCLE_ROW, OB_H_SUB_SEATS_ROW, OB_H_SUB_IMMEDIATE_ROW,
};
const struct ob_fields ob_h_subscription_preview_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, preview_rows, form_fail);

/* The form says when: "period_end" (the default) or "now". */
static const char *const whens[] = { "period_end", "now", NULL };
static const struct ob_field cancel_rows[] = {
	IDEM_ROW, OB_H_SUB_REASON_ROW,
	{ .name = "at_period_end", .type = OB_FIELD_BOOL },
	{ .name = "when", .type = OB_FIELD_ENUM, .allowed = whens, .code = "invalid_when",
	    .message = "Choose when to cancel." },
	{ .name = "prorate", .type = OB_FIELD_BOOL },
	{ .name = "invoice_now", .type = OB_FIELD_BOOL },
};
const struct ob_fields ob_h_subscription_cancel_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, cancel_rows, form_fail);

static const struct ob_field reactivate_rows[] = { IDEM_ROW };
const struct ob_fields ob_h_subscription_reactivate_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, reactivate_rows, form_fail);
const struct ob_fields ob_h_subscription_unschedule_form_fields =
    OB_FIELDS_TABLE(OB_BODY_FORM, reactivate_rows, form_fail);

/* The form's checked fields names as a JSON body for core (their text). */
static cJSON *
form_body(struct ob_req *r, const char *const *names)
{
	cJSON *b = cJSON_CreateObject();
	const char *v;

	for (; *names != NULL; names++)
		if ((v = ob_field_str(r, *names)) != NULL)
			cJSON_AddStringToObject(b, *names, v);
	return b;
}

/* The form's Idempotency-Key: its idem field when that is a key, else NULL. */
static const char *
posted_key(struct ob_req *r)
{
	const char *key = ob_field_str(r, "idem");

	return key != NULL && ob_idem_key_ok(key) ? key : NULL;
}

static int
form_change(struct ob_req *r, const char *kind, const char *const *fields, const char *done)
{
	struct ob_fail f = { 0 };
	struct ob_actx ax;
	unsigned char hash[32];
	struct ob_sub_answer ans = { 0 };
	const char *key = posted_key(r), *st;
	cJSON *body = form_body(r, fields);
	const cJSON *sched;
	int rc;

	ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
	ob_api_actx(r, &ax);
	rc = strcmp(kind, "create") == 0 ?
	    ob_h_billing_purchase_customer(r, r->who.org_id, body, &f) : 0;
	if (rc == 0)
		rc = ob_subscription_change(&ax, ob_worker_stripe(r->w), r->who.org_id, kind, key,
		    key ? hash : NULL, body, &ans, &f);
	cJSON_Delete(body);
	if (rc == 0 && ans.fail != OB_FAIL_NONE) {
		/* A replayed refusal: a payment failure stays one, the rest show as Stripe's. */
		const cJSON *e = cJSON_GetObjectItem(ans.body, "error");

		ob_fail(&f, ans.fail == OB_FAIL_PAYMENT ? OB_FAIL_PAYMENT : OB_FAIL_UPSTREAM,
		    "replayed", NULL, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")) ?
		    cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")) : "The change failed.");
		rc = -1;
	}
	if (rc != 0) {
		cJSON_Delete(ans.body);
		if (f.kind == OB_FAIL_DB)
			return -1;
		return render_subscription(r, ob_api_fail_status(f.kind), &f, NULL,
		    strcmp(kind, "cancel") == 0);
	}
	sched = cJSON_GetObjectItem(ans.body, "scheduled_change");
	if (strcmp(kind, "update") == 0 && cJSON_IsObject(sched) &&
	    cJSON_GetObjectItem(ans.body, "invoice") == NULL)
		done = "scheduled";
	/* The flash says what Stripe says: an unpaid first invoice is no start. */
	st = cJSON_GetStringValue(cJSON_GetObjectItem(ans.body, "status"));
	if (st != NULL && (strcmp(st, "incomplete") == 0 || strcmp(st, "past_due") == 0 ||
	    strcmp(st, "unpaid") == 0))
		done = "payment_required";
	cJSON_Delete(ans.body);
	ob_resp_redirect(r, 303, ob_arena_printf(r->a, "/subscription?done=%s", done));
	return 0;
}

int
ob_h_subscription_create_form(struct ob_req *r)
{
	static const char *const fields[] = { "plan", "cycle", "seats", "payment_method",
		"email", NULL };

	return form_change(r, "create", fields, "created");
}

int
ob_h_subscription_change_form(struct ob_req *r)
{
	static const char *const fields[] = { "plan", "cycle", "seats", "proration_date",
		"immediate", NULL };

	return form_change(r, "update", fields, "changed");
}

int
ob_h_subscription_cancel_form(struct ob_req *r)
{
	static const char *const fields[] = { "reason", "at_period_end", NULL };
	const char *when = ob_field_str(r, "when");
	struct ob_fail f = { 0 };

	if (when != NULL && strcmp(when, "now") == 0) {
		static const char *const f2[] = { "reason", "prorate", "invoice_now", NULL };
		struct ob_actx ax;
		unsigned char hash[32];
		const char *key = posted_key(r);
		struct ob_sub_answer ans;
		cJSON *body = form_body(r, f2);
		int rc;

		cJSON_AddStringToObject(body, "at_period_end", "false");
		ob_idem_hash(r->method, r->path, r->body, r->body_len, hash);
		ob_api_actx(r, &ax);
		rc = ob_subscription_change(&ax, ob_worker_stripe(r->w), r->who.org_id, "cancel", key,
		    key ? hash : NULL, body, &ans, &f);
		cJSON_Delete(body);
		cJSON_Delete(ans.body);
		if (rc != 0)
			return f.kind == OB_FAIL_DB ? -1 :
			    render_subscription(r, ob_api_fail_status(f.kind), &f, NULL, 1);
		ob_resp_redirect(r, 303, "/subscription?done=canceled");
		return 0;
	}
	return form_change(r, "cancel", fields, "canceled");
}

int
ob_h_subscription_reactivate_form(struct ob_req *r)
{
	static const char *const fields[] = { NULL };

	return form_change(r, "reactivate", fields, "reactivated");
}

int
ob_h_subscription_preview_form(struct ob_req *r)
{
	static const char *const fields[] = { "plan", "cycle", "seats", "immediate", NULL };
	struct ob_fail f = { 0 };
	cJSON *body = form_body(r, fields), *out = NULL;
	int rc;

	rc = ob_subscription_preview(&r->w->db, r->who.org_id, body, (int64_t)time(NULL), &out, &f);
	cJSON_Delete(body);
	if (rc != 0)
		return f.kind == OB_FAIL_DB ? -1 :
		    render_subscription(r, ob_api_fail_status(f.kind), &f, NULL, 0);
	rc = render_subscription(r, 200, NULL, out, 0);
	cJSON_Delete(out);
	return rc;
}

int
ob_h_subscription_unschedule_form(struct ob_req *r)
{
	static const char *const fields[] = { NULL };

	return form_change(r, "unschedule", fields, "unscheduled");
}
