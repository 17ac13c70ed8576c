/*
 * One customer for staff, and the staff actions on it (docs/ADMIN.md,
 * "Customer detail" and "Actions"): the page and its JSON twin show the
 * subscription, seats, members, invoices, history; support re-syncs and
 * suspends but cannot change seats, cancel or open the portal; finance
 * can; every action needs a reason, is audited as staff and is limited
 * per staff user. Expected values are worked out by hand.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

/* An org with a Business subscription of 3 monthly seats (29.00 each), paid by card. */
static void
seat_org(struct inv_org *o, const char *tag)
{
	char path[128];
	cJSON *j;

	inv_org_new(o, tag, NULL);
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	j = inv_api(o->key, "POST", path, "{\"plan\":\"business\",\"seats\":3,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_card_visa\"}", 201);
	cJSON_Delete(j);
	inv_deliver();
}

/* POST action (…/customers/{org}/action) as s with the form fields: the status. */
static long
act(const struct t_session *s, long org, const char *action, const char *fields,
    struct t_resp *r)
{
	char path[128], body[1024];

	snprintf(path, sizeof(path), "/admin/customers/%ld/%s", org, action);
	snprintf(body, sizeof(body), "csrf=%s&%s", s->csrf, fields);
	return t_form_as(s->cookie, path, body, NULL, r);
}

static int
forbidden(long status, const struct t_resp *r)
{
	return status == 403 && strstr(r->body.data, "forbidden") != NULL;
}

/* The customer's view model as s. */
static cJSON *
customer(const struct t_session *s, long org, const char *query)
{
	char path[160];
	struct t_resp r;
	cJSON *j;

	snprintf(path, sizeof(path), "/admin/api/customers/%ld%s", org, query);
	ck_assert_msg(t_get_as(s->cookie, NULL, path, &r) == 200, "%ld %s", r.status, r.body.data);
	j = t_json(&r);
	t_resp_free(&r);
	return j;
}

/* How many staff audit rows of action the user wrote for org with reason. */
static long
audited(long org, const char *action, const char *email, const char *reason)
{
	return strtol(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = '%s' AND actor_type = 'staff' AND actor_id = '%ld' AND reason = '%s'",
	    org, action, t_user_id(email), reason), NULL, 10);
}

START_TEST(staff_customer_detail_shows_everything)
{
	struct inv_org o;
	struct t_session sup, owner;
	struct t_resp r;
	char path[128];
	cJSON *m, *sub, *inv, *pv;

	seat_org(&o, "staffdetail");
	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	m = customer(&sup, o.id, "");
	ck_assert_str_eq(t_jstr(m, "object"), "staff_customer");
	ck_assert_int_eq(atol(t_jstr(cJSON_GetObjectItem(m, "org"), "id")), o.id);
	sub = cJSON_GetObjectItem(m, "subscription");
	ck_assert_str_eq(t_jstr(sub, "plan_code"), "business");
	ck_assert_int_eq(t_jnum(sub, "seats"), 3);
	ck_assert_int_eq(t_jnum(sub, "unit_amount"), 2900);
	ck_assert_int_eq(t_jnum(sub, "mrr"), 8700);
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(m, "seats"), "purchased"), 3);
	/* The first invoice: 3 × 29.00, paid, with its hosted page. */
	inv = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "invoices"), 0);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(t_jnum(inv, "amount_paid"), 8700);
	ck_assert_int_eq(t_jnum(inv, "refundable"), 8700);
	ck_assert_str_ne(t_jstr(inv, "hosted_invoice_url"), "");
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(m, "subscription_events")), 1);
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(m, "webhook_events")), 1);
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(m, "audit")), 1);
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "credits"), "pool")));
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(m, "payment_methods")));
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(m, "members")));
	cJSON_Delete(m);
	/* The proration preview for 5 seats: next period 5 × 29.00. */
	m = customer(&sup, o.id, "?preview_seats=5");
	pv = cJSON_GetObjectItem(m, "seat_preview");
	ck_assert_msg(cJSON_IsObject(pv), "no preview");
	ck_assert_int_eq(t_jnum(pv, "seats"), 5);
	ck_assert_int_eq(t_jnum(pv, "next_period_amount"), 14500);
	cJSON_Delete(m);
	/* The page. */
	snprintf(path, sizeof(path), "/admin/customers/%ld", o.id);
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "id=\"sync-form\""));
	ck_assert_ptr_nonnull(strstr(r.body.data, "$87.00"));
	t_resp_free(&r);
	/* No such org: 404; a tenant: 404. */
	ck_assert_int_eq(t_get_as(sup.cookie, NULL, "/admin/api/customers/987654321", NULL), 404);
	t_session_new("owner@acme.test", &owner);
	ck_assert_int_eq(t_get_as(owner.cookie, NULL, path, NULL), 404);
	t_reset_rate_limits();
}
END_TEST

START_TEST(staff_support_syncs_and_suspends_but_cannot_bill)
{
	struct inv_org o;
	struct t_session sup;
	struct t_resp r;
	char form[256];
	long st;

	seat_org(&o, "staffsupport");
	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	/* Money and entitlements: 403 for support, nothing changes. */
	st = act(&sup, o.id, "seats", "quantity=4&reason=customer+asked", &r);
	ck_assert_msg(forbidden(st, &r), "%ld", st);
	t_resp_free(&r);
	st = act(&sup, o.id, "cancel", "when=now&reason=customer+asked", &r);
	ck_assert_msg(forbidden(st, &r), "%ld", st);
	t_resp_free(&r);
	st = act(&sup, o.id, "portal", "reason=customer+asked", &r);
	ck_assert_msg(forbidden(st, &r), "%ld", st);
	t_resp_free(&r);
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "3");
	ck_assert_str_eq(inv_sub_row(&o, "status"), "active");

	/* Stripe changes behind our back; support re-syncs. */
	snprintf(form, sizeof(form), "items[0][id]=%s&items[0][quantity]=6&proration_behavior=none",
	    inv_sub_row(&o, "stripe_item_id"));
	{
		char path[160];

		snprintf(path, sizeof(path), "/v1/subscriptions/%s",
		    inv_sub_row(&o, "stripe_subscription_id"));
		cJSON_Delete(inv_fake("POST", path, form, 200));
	}
	ck_assert_int_eq(act(&sup, o.id, "sync", "reason=ticket+1234", NULL), 303);
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "6");
	ck_assert_int_eq(audited(o.id, "org.stripe_sync", T_SUPPORT_EMAIL, "ticket 1234"), 1);

	/* Suspend: a reason is required; then suspended, audited; twice is 409. */
	ck_assert_int_eq(act(&sup, o.id, "suspend", "reason=", NULL), 400);
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM organizations WHERE id = %ld", o.id),
	    "active");
	ck_assert_int_eq(act(&sup, o.id, "suspend", "reason=abuse+report", NULL), 303);
	ck_assert_str_eq(t_sql_valuef("SELECT status || '|' || suspended_reason FROM organizations"
	    " WHERE id = %ld", o.id), "suspended|staff: abuse report");
	ck_assert_int_eq(audited(o.id, "org.suspend", T_SUPPORT_EMAIL, "abuse report"), 1);
	ck_assert_int_eq(act(&sup, o.id, "suspend", "reason=abuse+report", NULL), 409);
	/* The org's own key is now read-only. */
	{
		char path[128];

		snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o.id);
		ck_assert_int_eq(t_json_as(o.key, "PATCH", path, "{\"seats\":4}", NULL, NULL), 403);
	}
	ck_assert_int_eq(act(&sup, o.id, "activate", "reason=resolved", NULL), 303);
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM organizations WHERE id = %ld", o.id),
	    "active");
	ck_assert_int_eq(act(&sup, o.id, "activate", "reason=resolved", NULL), 409);
	/* A dunning suspension is not lifted here (six suspend and activate
	 * requests so far: past the limit of 5 a minute, so start afresh). */
	t_reset_rate_limits();
	t_sqlf("UPDATE organizations SET status = 'suspended', suspended_reason = 'billing: unpaid'"
	    " WHERE id = %ld", o.id);
	ck_assert_int_eq(act(&sup, o.id, "activate", "reason=resolved", &r), 409);
	ck_assert_ptr_nonnull(strstr(r.body.data, "dunning override"));
	t_resp_free(&r);
	t_sqlf("UPDATE organizations SET status = 'active', suspended_reason = NULL WHERE id = %ld",
	    o.id);
	t_reset_rate_limits();
}
END_TEST

/* Suspend and activate: 5 a minute per staff user, then 429 with Retry-After. */
START_TEST(staff_suspend_limited)
{
	struct t_session sup;
	struct t_resp r;
	long org = t_org_new("staffrl", NULL, NULL);
	int i;

	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(act(&sup, org, i % 2 ? "activate" : "suspend", "reason=limit+test",
		    NULL), 303);
	ck_assert_int_eq(act(&sup, org, "activate", "reason=limit+test", &r), 429);
	ck_assert_ptr_nonnull(t_header(&r, "Retry-After"));
	t_resp_free(&r);
	/* Nothing happened on the refused one: still suspended (5th was a suspend). */
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM organizations WHERE id = %ld", org),
	    "suspended");
	t_reset_rate_limits();
}
END_TEST

START_TEST(staff_finance_changes_seats_and_subscription)
{
	struct inv_org o;
	struct t_session fin;
	struct t_resp r;
	long st;

	seat_org(&o, "stafffinance");
	t_reset_rate_limits();
	t_session_new(T_FINANCE_EMAIL, &fin);
	/* A reason is required. */
	ck_assert_int_eq(act(&fin, o.id, "seats", "quantity=5", NULL), 400);
	ck_assert_int_eq(act(&fin, o.id, "seats", "quantity=0&reason=more+staff", NULL), 400);
	st = act(&fin, o.id, "seats", "quantity=5&reason=customer+asked+by+phone", &r);
	ck_assert_msg(st == 303, "%ld %s", st, r.body.data);
	t_resp_free(&r);
	inv_deliver();
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "5");
	ck_assert_int_ge(audited(o.id, "subscription.update", T_FINANCE_EMAIL,
	    "customer asked by phone"), 1);
	/* Cancel at the period's end, then reactivate. */
	ck_assert_int_eq(act(&fin, o.id, "cancel", "when=period_end&reason=customer+leaving", NULL),
	    303);
	ck_assert_str_eq(inv_sub_row(&o, "cancel_at_period_end"), "true");
	ck_assert_int_eq(act(&fin, o.id, "reactivate", "reason=customer+stays", NULL), 303);
	ck_assert_str_eq(inv_sub_row(&o, "cancel_at_period_end"), "false");
	/* The customer's Stripe portal: a hand-off page, audited first. */
	st = act(&fin, o.id, "portal", "reason=update+card+on+call", &r);
	ck_assert_msg(st == 200, "%ld %s", st, r.body.data);
	ck_assert_ptr_nonnull(strstr(r.body.data, "billing portal"));
	t_resp_free(&r);
	ck_assert_int_eq(audited(o.id, "org.portal_open", T_FINANCE_EMAIL, "update card on call"), 1);
	/* Cancel now. */
	ck_assert_int_eq(act(&fin, o.id, "cancel", "when=now&reason=fraud", NULL), 303);
	inv_deliver();
	ck_assert_str_eq(inv_sub_row(&o, "status"), "canceled");
	t_reset_rate_limits();
}
END_TEST

/* POST the JSON twin of action as s (X-CSRF-Token): the status, the answer into r. */
static long
api_act(const struct t_session *s, long org, const char *action, const char *json,
    struct t_resp *r)
{
	char path[128], hc[128];
	const char *extra[2] = { hc, NULL };

	snprintf(path, sizeof(path), "/admin/api/customers/%ld/%s", org, action);
	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", s->csrf);
	return t_call(s->cookie, NULL, "POST", path, json, "application/json", extra, r);
}

START_TEST(staff_actions_json_twins)
{
	struct inv_org o;
	struct t_session sup, fin;
	struct t_resp r;
	cJSON *j;

	seat_org(&o, "staffjson");
	t_reset_rate_limits();
	t_session_new(T_SUPPORT_EMAIL, &sup);
	t_session_new(T_FINANCE_EMAIL, &fin);
	/* Support: seats refused (403), suspend and sync allowed. */
	ck_assert_int_eq(api_act(&sup, o.id, "seats", "{\"quantity\":4,\"reason\":\"asked\"}", &r),
	    403);
	t_resp_free(&r);
	ck_assert_int_eq(api_act(&sup, o.id, "suspend", "{}", &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"reason\""));
	t_resp_free(&r);
	ck_assert_int_eq(api_act(&sup, o.id, "suspend", "{\"reason\":\"abuse\",\"x\":1}", &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "parameter_unknown"));
	t_resp_free(&r);
	ck_assert_int_eq(api_act(&sup, o.id, "suspend", "{\"reason\":\"abuse report\"}", &r), 200);
	j = t_json(&r);
	ck_assert_str_eq(t_jstr(j, "done"), "suspended");
	cJSON_Delete(j);
	t_resp_free(&r);
	ck_assert_int_eq(api_act(&sup, o.id, "suspend", "{\"reason\":\"abuse report\"}", &r), 409);
	ck_assert_ptr_nonnull(strstr(r.body.data, "already_suspended"));
	t_resp_free(&r);
	ck_assert_int_eq(api_act(&sup, o.id, "activate", "{\"reason\":\"resolved\"}", NULL), 200);
	ck_assert_int_eq(api_act(&sup, o.id, "sync", "{\"reason\":\"ticket 99\"}", &r), 200);
	j = t_json(&r);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "result"), "subscription")));
	cJSON_Delete(j);
	t_resp_free(&r);
	/* Finance: 4 seats; the answer is the subscription after the change. */
	ck_assert_int_eq(api_act(&fin, o.id, "seats", "{\"quantity\":0,\"reason\":\"asked\"}", &r),
	    400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"param\":\"quantity\""));
	t_resp_free(&r);
	ck_assert_int_eq(api_act(&fin, o.id, "seats", "{\"quantity\":4,\"reason\":\"asked\"}", &r),
	    200);
	t_resp_free(&r);
	inv_deliver();
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "4");
	ck_assert_int_eq(api_act(&fin, o.id, "portal", "{\"reason\":\"card update\"}", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "billing_portal.session"));
	t_resp_free(&r);
	/* Without the CSRF token: refused. */
	{
		char path[128];

		snprintf(path, sizeof(path), "/admin/api/customers/%ld/sync", o.id);
		ck_assert_int_eq(t_call(fin.cookie, NULL, "POST", path, "{\"reason\":\"no token\"}",
		    "application/json", NULL, NULL), 403);
	}
	t_reset_rate_limits();
}
END_TEST

Suite *
staff_actions_suite(void)
{
	return t_suite("staff_actions", 180, T_TESTS(staff_customer_detail_shows_everything,
	    staff_support_syncs_and_suspends_but_cannot_bill, staff_suspend_limited,
	    staff_finance_changes_seats_and_subscription, staff_actions_json_twins));
}
