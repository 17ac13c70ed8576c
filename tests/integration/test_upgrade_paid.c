/*
 * Plan upgrades are made only when paid (docs/BILLING.md, "Timing").
 * Free: $0, 10 agents, 100 credits per seat; Business: $29 per seat per
 * month, 500 agents, 2000 credits per seat (sql/migrations/005_billing.sql).
 *   - A declined card answers 402 card_declined: the local plan, the
 *     limits, the entitlement and the credit pool stay Free's, Stripe's
 *     subscription keeps the Free price, and the proration invoice is
 *     voided; the same Idempotency-Key replays the 402 without calling
 *     Stripe again.
 *   - A paid upgrade is sent with payment_behavior=pending_if_incomplete,
 *     switches the plan once (one subscription.update audit row, one row
 *     moving free to business) however often the webhooks arrive, and
 *     grants the per-seat credits of seats added with it once, at the
 *     higher plan's rate.
 *   - The webhook of a pending update (the card declined and the invoice
 *     still open) does not switch the local plan.
 *   - A downgrade asked for now that costs more (Business to Pro) is held
 *     to the same rule.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

/* A string member of o, "" when absent or not a string. */
static const char *
str(const cJSON *o, const char *name)
{
	const char *v = t_jstr(o, name);

	return v != NULL ? v : "";
}

/* A count from SQL. */
static long long
num(const char *v)
{
	return strtoll(v, NULL, 10);
}

/* How many grants of source the org has. */
static long long
grants(const struct inv_org *o, const char *source)
{
	return num(t_sql_valuef("SELECT count(*) FROM credit_grants WHERE org_id = %ld"
	    " AND source = '%s'", o->id, source));
}

/* How many audit rows of action the org has. */
static long long
audits(const struct inv_org *o, const char *action)
{
	return num(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = '%s'", o->id, action));
}

/* How many audit rows move the subscription from plan from to plan to. */
static long long
plan_moves(const struct inv_org *o, const char *from, const char *to)
{
	return num(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND target_type = 'subscription' AND before->>'plan' = '%s'"
	    " AND after->>'plan' = '%s'", o->id, from, to));
}

/* An org with an admin key and a Free subscription of 2 monthly seats, paid by card. */
static void
free_org(struct inv_org *o, const char *tag)
{
	char path[128];
	cJSON *j;

	inv_org_new(o, tag, NULL);
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	j = inv_api(o->key, "POST", path, "{\"plan\":\"free\",\"seats\":2,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_card_visa\"}", 201);
	ck_assert_str_eq(str(j, "plan_id"), "free");
	ck_assert_str_eq(str(j, "status"), "active");
	cJSON_Delete(j);
	inv_deliver();
	/* Free's period grant: 2 seats × 100. */
	ck_assert_int_eq(inv_pool_granted(o), 200);
}

/* The Stripe price the fake bills now (out: 96 bytes). */
static const char *
fake_price(const struct inv_org *o, char *out, size_t n)
{
	cJSON *sub = inv_fake_sub(o);

	snprintf(out, n, "%s", str(cJSON_GetObjectItem(inv_sub_item(sub), "price"), "id"));
	cJSON_Delete(sub);
	return out;
}

/*
 * A change of the org's subscription (method and path suffix: "PATCH" ""
 * or "PUT" "/upgrade") under key (NULL: none): the answer, whose status
 * must be want.
 */
static cJSON *
change(const struct inv_org *o, const char *method, const char *suffix, const char *body,
    const char *key, long want)
{
	char path[160], h[160];
	const char *extra[2] = { h, NULL };
	struct t_resp r;
	long status;
	cJSON *j;

	snprintf(h, sizeof(h), "Idempotency-Key: %s", key != NULL ? key : "");
	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld%s", o->id, suffix);
	status = t_call(NULL, o->key, method, path, body, "application/json",
	    key != NULL ? extra : NULL, &r);
	ck_assert_msg(status == want, "%s %s: %ld %s", method, body, status, r.body.data);
	j = t_json(&r);
	t_resp_free(&r);
	return j;
}

/* The billing overview shows the entitlement per seat want. */
static void
entitlement_is(const struct inv_org *o, long want)
{
	char path[128], needle[64];
	struct t_resp r;

	t_reset_rate_limits();
	snprintf(path, sizeof(path), "/api/v1/org/%ld/billing-overview/", o->id);
	ck_assert_int_eq(t_get_as(NULL, o->key, path, &r), 200);
	snprintf(needle, sizeof(needle), "\"entitlement_per_seat\":%ld", want);
	ck_assert_msg(strstr(r.body.data, needle) != NULL, "%s not in %.300s", needle,
	    r.body.data);
	t_resp_free(&r);
}

/*
 * The customer's subscription_update invoices at the fake: how many, and
 * the status of the last one listed (statuses: 32 bytes).
 */
static int
update_invoices(const struct inv_org *o, char *status, size_t n)
{
	char path[200];
	cJSON *l, *it;
	int count = 0;

	snprintf(status, n, "(none)");
	snprintf(path, sizeof(path), "/v1/invoices?customer=%s&limit=100", o->cus);
	l = inv_fake("GET", path, NULL, 200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "data")) {
		if (strcmp(str(it, "billing_reason"), "subscription_update") != 0)
			continue;
		count++;
		snprintf(status, n, "%s", str(it, "status"));
	}
	cJSON_Delete(l);
	return count;
}

/*
 * The POSTs to the org's Stripe subscription that change its price to
 * price: how many, and the payment_behavior of the last ("" when none
 * was sent; out: 32 bytes).
 */
static int
price_changes(const struct inv_org *o, const char *price, char *out, size_t n)
{
	char path[160];
	cJSON *log, *e, *p, *items, *it;
	int count = 0;

	snprintf(path, sizeof(path), "/v1/subscriptions/%s", inv_sub_row(o, "stripe_subscription_id"));
	snprintf(out, n, "(no such request)");
	log = inv_fake("GET", "/_fake/requests", NULL, 200);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "data")) {
		if (strcmp(str(e, "method"), "POST") != 0 || strcmp(str(e, "path"), path) != 0)
			continue;
		p = cJSON_GetObjectItem(e, "params");
		items = cJSON_GetObjectItem(p, "items");
		it = cJSON_IsArray(items) ? cJSON_GetArrayItem(items, 0) :
		    cJSON_GetObjectItem(items, "0");
		if (strcmp(str(it, "price"), price) != 0)
			continue;
		count++;
		snprintf(out, n, "%s", str(p, "payment_behavior"));
	}
	cJSON_Delete(log);
	return count;
}

/* The Stripe price of Business monthly, as the catalogue recorded it (out: 96 bytes). */
static const char *
business_price(char *out, size_t n)
{
	snprintf(out, n, "%s", t_sql_value("SELECT COALESCE(max(stripe_price_id), '')"
	    " FROM plan_stripe_prices WHERE plan_code = 'business' AND cycle = 'month'"
	    " AND org_id = 0"));
	return out;
}

/* Everything is still Free's: plan, price here and at Stripe, limits, entitlement, pool. */
static void
still_free(const struct inv_org *o, const char *price)
{
	char fp[96];

	ck_assert_str_eq(inv_sub_row(o, "plan_code"), "free");
	ck_assert_str_eq(inv_sub_row(o, "seats"), "2");
	ck_assert_str_eq(inv_sub_row(o, "stripe_price_id"), price);
	ck_assert_str_eq(inv_sub_row(o, "status"), "active");
	ck_assert_str_eq(fake_price(o, fp, sizeof(fp)), price);
	ck_assert_int_eq(inv_agents_limit(o), 10);
	entitlement_is(o, 100);
	ck_assert_int_eq(inv_pool_granted(o), 200);
	ck_assert_int_eq(grants(o, "seats"), 0);
	ck_assert_int_eq(plan_moves(o, "free", "business"), 0);
	ck_assert_int_eq(audits(o, "subscription.update"), 0);
}

START_TEST(upgrade_declined_changes_nothing)
{
	struct inv_org o;
	char price[96], st[32], pb[32], bp[96];
	cJSON *j, *e;
	int calls;

	free_org(&o, "upg-decline");
	snprintf(price, sizeof(price), "%s", inv_sub_row(&o, "stripe_price_id"));
	inv_declining_card(&o);

	j = change(&o, "PUT", "/upgrade", "{\"plan\":\"business\"}", "upg-decline-1", 402);
	e = cJSON_GetObjectItem(j, "error");
	ck_assert_str_eq(str(e, "code"), "card_declined");
	ck_assert_ptr_nonnull(strstr(str(e, "message"), "declined"));
	cJSON_Delete(j);
	inv_deliver();
	inv_deliver();

	still_free(&o, price);
	/* The upgrade was asked of Stripe once, to be made only if paid. */
	calls = price_changes(&o, business_price(bp, sizeof(bp)), pb, sizeof(pb));
	ck_assert_int_eq(calls, 1);
	ck_assert_str_eq(pb, "pending_if_incomplete");
	/* Its proration invoice is voided: the change can never apply later. */
	ck_assert_int_eq(update_invoices(&o, st, sizeof(st)), 1);
	ck_assert_str_eq(st, "void");
	j = inv_fake_sub(&o);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "pending_update")));
	ck_assert_str_eq(str(j, "status"), "active");
	cJSON_Delete(j);
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM billing_operations WHERE org_id = %ld"
	    " AND idem_key = 'upg-decline-1'", o.id), "failed");

	/* The same request again replays the refusal; Stripe is not asked again. */
	j = change(&o, "PUT", "/upgrade", "{\"plan\":\"business\"}", "upg-decline-1", 402);
	ck_assert_str_eq(str(cJSON_GetObjectItem(j, "error"), "code"), "card_declined");
	cJSON_Delete(j);
	ck_assert_int_eq(price_changes(&o, business_price(bp, sizeof(bp)), pb, sizeof(pb)), 1);
	still_free(&o, price);
}
END_TEST

START_TEST(upgrade_paid_applies_once)
{
	struct inv_org o;
	char pb[32], fp[96], bp[96];
	cJSON *j, *inv;
	long long total;

	free_org(&o, "upg-paid");
	j = change(&o, "PATCH", "", "{\"plan\":\"business\"}", "upg-paid-1", 200);
	ck_assert_str_eq(str(j, "plan_id"), "business");
	inv = cJSON_GetObjectItem(j, "invoice");
	ck_assert(cJSON_IsObject(inv));
	ck_assert_str_eq(str(inv, "status"), "paid");
	/* 2 × $29 for the rest of a period that began seconds ago. */
	total = t_jnum(inv, "total");
	ck_assert_msg(total >= 5790 && total <= 5800, "proration total %lld", total);
	cJSON_Delete(j);
	ck_assert_int_eq(price_changes(&o, business_price(bp, sizeof(bp)), pb, sizeof(pb)), 1);
	ck_assert_str_eq(pb, "pending_if_incomplete");

	/* Every webhook delivered twice, then again: the plan moved once. */
	inv_fake_ctl("/_fake/webhooks/deliver", "{\"duplicate\":2}");
	inv_deliver();
	ck_assert_str_eq(inv_sub_row(&o, "plan_code"), "business");
	business_price(bp, sizeof(bp));
	ck_assert_str_eq(inv_sub_row(&o, "stripe_price_id"), bp);
	ck_assert_str_eq(fake_price(&o, fp, sizeof(fp)), bp);
	ck_assert_int_eq(inv_agents_limit(&o), 500);
	entitlement_is(&o, 2000);
	ck_assert_int_eq(audits(&o, "subscription.update"), 1);
	ck_assert_int_eq(plan_moves(&o, "free", "business"), 1);
	/* Same seats, same period: an upgrade alone grants nothing until the renewal. */
	ck_assert_int_eq(inv_pool_granted(&o), 200);
	ck_assert_int_eq(grants(&o, "seats"), 0);
	/* The replay answers the first result. */
	j = change(&o, "PATCH", "", "{\"plan\":\"business\"}", "upg-paid-1", 200);
	ck_assert_str_eq(str(j, "plan_id"), "business");
	cJSON_Delete(j);
	ck_assert_int_eq(audits(&o, "subscription.update"), 1);
}
END_TEST

/* Upgrade with two more seats: their credits at Business's rate, once. */
START_TEST(upgrade_with_seats_grants_once)
{
	struct inv_org o;
	cJSON *j;
	long long g;

	free_org(&o, "upg-seats");
	j = change(&o, "PATCH", "", "{\"plan\":\"business\",\"seats\":4}", NULL, 200);
	ck_assert_str_eq(str(j, "plan_id"), "business");
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(j, "seats"), "purchased"), 4);
	cJSON_Delete(j);
	inv_fake_ctl("/_fake/webhooks/deliver", "{\"duplicate\":2}");
	inv_deliver();
	ck_assert_int_eq(grants(&o, "seats"), 1);
	/* 2 × 2000 × (period left / period): the period began seconds ago. */
	g = inv_pool_granted(&o) - 200;
	ck_assert_msg(g >= 3990 && g <= 4000, "seat grant %lld", g);
	ck_assert_int_eq(audits(&o, "credits.seat_grant"), 1);
	ck_assert_int_eq(plan_moves(&o, "free", "business"), 1);
}
END_TEST

/*
 * The card declines and the void fails, so the update waits at Stripe in
 * pending_update with its invoice open: the webhooks (which fetch the
 * subscription, pending_update and all) leave the plan Free.
 */
START_TEST(upgrade_pending_webhook_keeps_plan)
{
	struct inv_org o;
	char price[96], path[200], inv_id[96], bp[96];
	cJSON *j, *pu, *it;
	int i;

	free_org(&o, "upg-pending");
	snprintf(price, sizeof(price), "%s", inv_sub_row(&o, "stripe_price_id"));
	inv_declining_card(&o);
	ck_assert_int_eq(t_fake("POST", "/_fake/faults",
	    "{\"status\":500,\"count\":20,\"method\":\"POST\",\"path_prefix\":\"/v1/invoices/\"}",
	    NULL, NULL), 200);
	j = change(&o, "PATCH", "", "{\"plan\":\"business\"}", "upg-pending-1", 402);
	cJSON_Delete(j);
	ck_assert_int_eq(t_fake("DELETE", "/_fake/faults", NULL, NULL, NULL), 200);

	/* Stripe holds the upgrade, unpaid. */
	j = inv_fake_sub(&o);
	pu = cJSON_GetObjectItem(j, "pending_update");
	ck_assert(cJSON_IsObject(pu));
	it = cJSON_GetArrayItem(cJSON_GetObjectItem(pu, "subscription_items"), 0);
	ck_assert_str_eq(str(cJSON_GetObjectItem(it, "price"), "id"), business_price(bp, sizeof(bp)));
	snprintf(inv_id, sizeof(inv_id), "%s", str(j, "latest_invoice"));
	cJSON_Delete(j);

	/* Its webhooks, twice over, and again. */
	for (i = 0; i < 2; i++)
		inv_fake_ctl("/_fake/webhooks/deliver", "{\"duplicate\":2}");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM webhook_events e WHERE"
	    " e.type = 'customer.subscription.updated' AND e.status NOT IN ('processed', 'skipped')"
	    " AND e.object_id = '%s'", inv_sub_row(&o, "stripe_subscription_id")), "0");
	still_free(&o, price);

	/* Voided later (as Stripe does when it expires): still Free. */
	snprintf(path, sizeof(path), "/v1/invoices/%s/void", inv_id);
	j = inv_fake("POST", path, "", 200);
	cJSON_Delete(j);
	inv_deliver();
	still_free(&o, price);
}
END_TEST

/*
 * Business to Pro asked for now costs more ($49 against $29 a seat):
 * declined, nothing changes either.
 */
START_TEST(immediate_downgrade_costing_more_declined)
{
	struct inv_org o;
	char path[128], price[96], fp[96];
	cJSON *j;

	inv_org_new(&o, "upg-down", NULL);
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o.id);
	j = inv_api(o.key, "POST", path, "{\"plan\":\"business\",\"seats\":2,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_card_visa\"}", 201);
	cJSON_Delete(j);
	inv_deliver();
	snprintf(price, sizeof(price), "%s", inv_sub_row(&o, "stripe_price_id"));
	inv_declining_card(&o);
	j = change(&o, "PATCH", "", "{\"plan\":\"pro\",\"immediate\":true}", "upg-down-1", 402);
	ck_assert_str_eq(str(cJSON_GetObjectItem(j, "error"), "code"), "card_declined");
	cJSON_Delete(j);
	inv_deliver();
	ck_assert_str_eq(inv_sub_row(&o, "plan_code"), "business");
	ck_assert_str_eq(inv_sub_row(&o, "stripe_price_id"), price);
	ck_assert_str_eq(fake_price(&o, fp, sizeof(fp)), price);
	ck_assert_int_eq(inv_agents_limit(&o), 500);
	ck_assert_int_eq(plan_moves(&o, "business", "pro"), 0);
	ck_assert_int_eq(inv_pool_granted(&o), 4000);
}
END_TEST

Suite *upgrade_paid_suite(void)
{
	Suite *s = suite_create("upgrade_paid");

	suite_add_tcase(s, t_tcase("upgrade_paid", 240, T_TESTS(upgrade_declined_changes_nothing,
	    upgrade_paid_applies_once, upgrade_with_seats_grants_once,
	    upgrade_pending_webhook_keeps_plan, immediate_downgrade_costing_more_declined)));
	return s;
}
