/*
 * Seat changes cannot give value away (docs/BILLING.md, "Seats";
 * docs/CREDITS.md, "Seats added mid-period"). Business: $29 per seat per
 * month, 2000 credits per seat (sql/migrations/005_billing.sql).
 *   - Fewer seats wait for the renewal: Stripe keeps billing the seats
 *     until the period ends and never credits their unused time; the
 *     per-seat credits granted for added seats stay; licenses must fit
 *     the renewal's seat count; the renewal invoice is at the lower count.
 *   - More seats are charged at once and made only when paid: a declined
 *     card answers 402 with seats, the pool and Stripe's quantity
 *     unchanged; a paid increase grants its credits exactly once, however
 *     often Stripe's webhooks arrive.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

/* An org with an admin key and a Business subscription of 3 monthly seats. */
static void
seat_org(struct inv_org *o, const char *tag)
{
	char path[128];
	cJSON *j;

	inv_org_new(o, tag, NULL);
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	j = inv_api(o->key, "POST", path, "{\"plan\":\"business\",\"seats\":3,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_card_visa\"}", 201);
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(j, "seats"), "purchased"), 3);
	cJSON_Delete(j);
	inv_deliver();
}

/* A string member of o, "" when absent or not a string. */
static const char *
str(const cJSON *o, const char *name)
{
	const char *v = t_jstr(o, name);

	return v != NULL ? v : "";
}

/* A number from SQL. */
static long long
num(const char *v)
{
	return strtoll(v, NULL, 10);
}

/* The org's pool balance. */
static long long
pool_remaining(const struct inv_org *o)
{
	return num(t_sql_valuef("SELECT COALESCE(sum(remaining), 0) FROM credit_pools"
	    " WHERE org_id = %ld", o->id));
}

/* How many per-seat grants ("seats" source) the org has. */
static long long
seat_grants(const struct inv_org *o)
{
	return num(t_sql_valuef("SELECT count(*) FROM credit_grants WHERE org_id = %ld"
	    " AND source = 'seats'", o->id));
}

/* The seat quantity Stripe bills now. */
static long long
fake_quantity(const struct inv_org *o)
{
	cJSON *sub = inv_fake_sub(o);
	long long q = t_jnum(inv_sub_item(sub), "quantity");

	cJSON_Delete(sub);
	return q;
}

/* PATCH the subscription with body under key (NULL: none); the answer with status want. */
static cJSON *
patch(const struct inv_org *o, const char *body, const char *key, long want)
{
	char path[128], h[160];
	struct t_resp r;
	const char *extra[2] = { h, NULL };
	long status;
	cJSON *j;

	snprintf(h, sizeof(h), "Idempotency-Key: %s", key != NULL ? key : "");
	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/subscriptions/%ld", o->id);
	status = t_call(NULL, o->key, "PATCH", path, body, "application/json",
	    key != NULL ? extra : NULL, &r);
	ck_assert_msg(status == want, "PATCH %s: %ld %s", body, status, r.body.data);
	j = t_json(&r);
	t_resp_free(&r);
	return j;
}

/*
 * The fake's invoices of the customer: how many have billing_reason
 * reason, and whether any credits money back (a negative total, or a
 * line for the unused time of the 8 seats).
 */
static int
fake_invoices(const struct inv_org *o, const char *reason, int *negative)
{
	char path[200];
	cJSON *l, *it, *line;
	int n = 0;

	*negative = 0;
	snprintf(path, sizeof(path), "/v1/invoices?customer=%s&limit=100", o->cus);
	l = inv_fake("GET", path, NULL, 200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "data")) {
		if (strcmp(str(it, "billing_reason"), reason) == 0)
			n++;
		if (t_jnum(it, "total") < 0)
			*negative = 1;
		/* Lines for unused seat time appear only beside the charge of an increase. */
		cJSON_ArrayForEach(line, cJSON_GetObjectItem(cJSON_GetObjectItem(it, "lines"), "data"))
			if (t_jnum(line, "amount") < 0 && strstr(str(line, "description"),
			    "Unused time on 8") != NULL)
				*negative = 1;
	}
	cJSON_Delete(l);
	return n;
}

/* Pending invoice items of the customer at the fake (prorations not invoiced yet). */
static int
fake_pending_items(const struct inv_org *o)
{
	char path[200];
	cJSON *l;
	int n;

	snprintf(path, sizeof(path), "/v1/invoiceitems?customer=%s&pending=true", o->cus);
	l = inv_fake("GET", path, NULL, 200);
	n = cJSON_GetArraySize(cJSON_GetObjectItem(l, "data"));
	cJSON_Delete(l);
	return n;
}

/* The customer's balance at the fake (negative: credit owed to the customer). */
static long long
fake_balance(const struct inv_org *o)
{
	char path[128];
	cJSON *c;
	long long b;

	snprintf(path, sizeof(path), "/v1/customers/%s", o->cus);
	c = inv_fake("GET", path, NULL, 200);
	b = t_jnum(c, "balance");
	cJSON_Delete(c);
	return b;
}

/* Three seats to eight: paid, credits for five seats for (almost) the whole period. */
static long long
add_five(const struct inv_org *o)
{
	cJSON *j = patch(o, "{\"seats\":8}", NULL, 200);
	long long g;

	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(j, "seats"), "purchased"), 8);
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "invoice")));
	cJSON_Delete(j);
	ck_assert_int_eq(seat_grants(o), 1);
	/* 5 × 2000 × (period left / period): the period began seconds ago. */
	g = inv_pool_granted(o) - 3 * 2000;
	ck_assert_msg(g >= 9990 && g <= 10000, "seat grant %lld", g);
	return g;
}

/* Licenses for n new members: the assign call's status. */
static long
assign_members(const struct inv_org *o, int n, cJSON **out)
{
	char path[128], body[1024], q[128];
	size_t len;
	struct t_resp r;
	long status, uid;
	int i;

	len = (size_t)snprintf(body, sizeof(body), "{\"emails\":[");
	for (i = 0; i < n; i++) {
		uid = t_member_new(o->id, "member", NULL);
		snprintf(q, sizeof(q), "SELECT email FROM users WHERE id = %ld", uid);
		len += (size_t)snprintf(body + len, sizeof(body) - len, "%s\"%s\"", i ? "," : "",
		    t_sql_value(q));
	}
	snprintf(body + len, sizeof(body) - len, "]}");
	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/seats/%ld/assign", o->id);
	status = t_call(NULL, o->key, "POST", path, body, "application/json", NULL, &r);
	*out = t_json(&r);
	t_resp_free(&r);
	return status;
}

/* The console's subscription page, seen by a billing member, shows want and the cancel button. */
static void
console_shows(const struct inv_org *o, const char *want)
{
	struct t_session s;
	struct t_resp r;
	char q[160], em[128];
	const char *at, *end;
	long uid = t_member_new(o->id, "billing", NULL);

	snprintf(q, sizeof(q), "SELECT email FROM users WHERE id = %ld", uid);
	snprintf(em, sizeof(em), "%s", t_sql_value(q));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(em, T_MEMBER_PASSWORD, s.cookie, sizeof(s.cookie)), 303);
	ck_assert_int_eq(t_get_as(s.cookie, NULL, "/subscription", &r), 200);
	/* want, then the day as a <time>, ending the line (no "(N seats)" after a seats-only change). */
	at = strstr(r.body.data, want);
	ck_assert_msg(at != NULL, "no \"%s\" on the page", want);
	end = strstr(at, "</time></strong>");
	ck_assert_ptr_nonnull(end);
	ck_assert_int_eq(strncmp(end, "</time></strong></p>", 20), 0);
	ck_assert_ptr_nonnull(strstr(r.body.data, "action=\"/subscription/scheduled-change/cancel\""));
	t_resp_free(&r);
}

START_TEST(seats_removed_at_renewal_without_refund)
{
	struct inv_org o;
	cJSON *j, *sc, *sub;
	char want[96];
	long long granted, end;
	int neg;

	seat_org(&o, "seat-down");
	granted = add_five(&o);
	/* Spend the seat credits at once. */
	t_sqlf("UPDATE credit_pools SET remaining = remaining - %lld, used = used + %lld"
	    " WHERE org_id = %ld",
	    granted, granted, o.id);

	/* Remove the five seats the same day: scheduled for the period's end. */
	j = patch(&o, "{\"seats\":3}", NULL, 200);
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(j, "seats"), "purchased"), 8);
	sc = cJSON_GetObjectItem(j, "scheduled_change");
	ck_assert(cJSON_IsObject(sc));
	ck_assert_int_eq(t_jnum(sc, "seats"), 3);
	ck_assert_str_eq(t_jstr(sc, "plan"), "business");
	snprintf(want, sizeof(want), "3 seats from %.10s", t_jstr(j, "current_period_end"));
	ck_assert_str_eq(t_jstr(sc, "summary"), want);
	ck_assert_int_eq(strncmp(str(sc, "stripe_schedule"), "sub_sched_", 10), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(sc, "seats_only")));
	/* The console shows the day as a <time> element. */
	snprintf(want, sizeof(want), "3 seats from <time datetime=\"%s\"", t_jstr(j, "current_period_end"));
	cJSON_Delete(j);
	console_shows(&o, want);
	inv_deliver();
	inv_deliver();

	/* Stripe still bills 8 seats; no credit for unused time anywhere. */
	ck_assert_int_eq(fake_quantity(&o), 8);
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "8");
	ck_assert_str_eq(inv_sub_row(&o, "scheduled_seats"), "3");
	ck_assert_int_eq(fake_invoices(&o, "subscription_update", &neg), 1);
	ck_assert_int_eq(neg, 0);
	ck_assert_int_eq(fake_pending_items(&o), 0);
	ck_assert_int_eq(fake_balance(&o), 0);
	/* The credits granted for the five seats stay; granted once. */
	ck_assert_int_eq(seat_grants(&o), 1);
	ck_assert_int_eq(inv_pool_granted(&o), 6000 + granted);
	ck_assert_int_eq(pool_remaining(&o), 6000);

	/* Licenses must fit the renewal's 3 seats, not the 8 held until then. */
	ck_assert_int_eq(assign_members(&o, 4, &j), 409);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItem(j, "error"), "code"),
	    "seats_reduction_scheduled");
	cJSON_Delete(j);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM seat_licenses WHERE org_id = %ld",
	    o.id), "0");

	/* Past the renewal: Stripe renews at 3 seats, 3 × $29 = $87.00. */
	sub = inv_fake_sub(&o);
	end = t_jnum(inv_sub_item(sub), "current_period_end");
	cJSON_Delete(sub);
	inv_advance_to(end + 3600);
	inv_deliver();
	inv_deliver();
	ck_assert_int_eq(inv_renewal_total(&o), 8700);
	ck_assert_int_eq(fake_quantity(&o), 3);
	ck_assert_int_eq(fake_invoices(&o, "subscription_update", &neg), 1);
	ck_assert_int_eq(neg, 0);
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "3");
	ck_assert_str_eq(inv_sub_row(&o, "scheduled_plan_code"), "");
	ck_assert_int_eq(seat_grants(&o), 1);
	/* The new period's plan grant: 3 seats × 2000. */
	ck_assert_int_eq(inv_pool_granted(&o), 6000 + granted + 6000);
}
END_TEST

/*
 * More seats now while fewer are scheduled: the new count replaces the
 * scheduled one (its schedule released), charged and granted for the two
 * seats above the 8 already paid for.
 */
START_TEST(seats_increase_replaces_scheduled_reduction)
{
	struct inv_org o;
	char path[160], sched[96];
	cJSON *j;

	seat_org(&o, "seat-back");
	add_five(&o);
	j = patch(&o, "{\"seats\":3}", NULL, 200);
	snprintf(sched, sizeof(sched), "%s",
	    str(cJSON_GetObjectItem(j, "scheduled_change"), "stripe_schedule"));
	cJSON_Delete(j);
	j = patch(&o, "{\"seats\":10}", NULL, 200);
	ck_assert_int_eq(t_jnum(cJSON_GetObjectItem(j, "seats"), "purchased"), 10);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "scheduled_change")));
	cJSON_Delete(j);
	inv_deliver();
	ck_assert_str_eq(inv_sub_row(&o, "scheduled_plan_code"), "");
	ck_assert_str_eq(inv_sub_row(&o, "stripe_schedule_id"), "");
	snprintf(path, sizeof(path), "/v1/subscription_schedules/%s", sched);
	j = inv_fake("GET", path, NULL, 200);
	ck_assert_str_eq(str(j, "status"), "released");
	cJSON_Delete(j);
	ck_assert_int_eq(fake_quantity(&o), 10);
	ck_assert_int_eq(seat_grants(&o), 2);
}
END_TEST

/* An immediate seat reduction is refused. */
START_TEST(seats_reduction_never_immediate)
{
	struct inv_org o;
	cJSON *j;

	seat_org(&o, "seat-now");
	j = patch(&o, "{\"seats\":2,\"immediate\":true}", NULL, 400);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItem(j, "error"), "code"),
	    "seat_reduction_at_renewal");
	cJSON_Delete(j);
	ck_assert_int_eq(fake_quantity(&o), 3);
	ck_assert_str_eq(inv_sub_row(&o, "scheduled_plan_code"), "");
}
END_TEST

START_TEST(seats_increase_declined_changes_nothing)
{
	struct inv_org o;
	cJSON *j, *e;
	long long granted, remaining;
	int neg;

	seat_org(&o, "seat-decline");
	inv_declining_card(&o);
	granted = inv_pool_granted(&o);
	remaining = pool_remaining(&o);
	ck_assert_int_eq(granted, 6000);

	j = patch(&o, "{\"seats\":8}", "seat-decline-1", 402);
	e = cJSON_GetObjectItem(j, "error");
	ck_assert_str_eq(t_jstr(e, "code"), "card_declined");
	ck_assert_ptr_nonnull(strstr(str(e, "message"), "declined"));
	cJSON_Delete(j);
	inv_deliver();
	inv_deliver();

	ck_assert_int_eq(fake_quantity(&o), 3);
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "3");
	ck_assert_int_eq(inv_pool_granted(&o), granted);
	ck_assert_int_eq(pool_remaining(&o), remaining);
	ck_assert_int_eq(seat_grants(&o), 0);
	/* The unpaid proration invoice is voided: the change can never apply later. */
	j = inv_fake_sub(&o);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "pending_update")));
	ck_assert_str_eq(t_jstr(j, "status"), "active");
	cJSON_Delete(j);
	ck_assert_int_eq(fake_invoices(&o, "subscription_update", &neg), 1);
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM billing_operations WHERE org_id = %ld"
	    " AND idem_key = 'seat-decline-1'", o.id), "failed");
	/* The same request again replays the refusal. */
	j = patch(&o, "{\"seats\":8}", "seat-decline-1", 402);
	cJSON_Delete(j);
	ck_assert_int_eq(fake_quantity(&o), 3);
	ck_assert_int_eq(seat_grants(&o), 0);
}
END_TEST

/*
 * How the increase to seats was sent to Stripe: its payment_behavior
 * ("" when none was sent), from the fake's request log.
 */
static const char *
increase_payment_behavior(const struct inv_org *o, const char *seats, char *out, size_t n)
{
	char path[160];
	cJSON *log, *e, *p, *items, *it;

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
		if (strcmp(str(it, "quantity"), seats) != 0)
			continue;
		snprintf(out, n, "%s", str(p, "payment_behavior"));
	}
	cJSON_Delete(log);
	return out;
}

START_TEST(seats_increase_paid_grants_once)
{
	struct inv_org o;
	char form[64], pb[64];
	long long granted;

	seat_org(&o, "seat-once");
	granted = add_five(&o);
	/* Charged at once and made only if paid. */
	ck_assert_str_eq(increase_payment_behavior(&o, "8", pb, sizeof(pb)),
	    "pending_if_incomplete");
	/* Every webhook delivered twice, then again: still one grant. */
	snprintf(form, sizeof(form), "{\"duplicate\":2}");
	inv_fake_ctl("/_fake/webhooks/deliver", form);
	inv_deliver();
	ck_assert_int_eq(seat_grants(&o), 1);
	ck_assert_int_eq(inv_pool_granted(&o), 6000 + granted);
	ck_assert_int_eq(fake_quantity(&o), 8);
	ck_assert_str_eq(inv_sub_row(&o, "seats"), "8");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'credits.seat_grant'", o.id), "1");
}
END_TEST

/* The clock moved a month: put it back for the suites after this one. */
static void
seats_fake_reset(void)
{
	char cmd[512];
	const char *base = getenv("OB_TEST_STRIPE_FAKE");

	if (base == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -X POST '%s/_fake/clock/reset'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "seats_change: could not reset the Stripe fake's clock\n");
}

Suite *seats_change_suite(void)
{
	Suite *s = suite_create("seats_change");
	TCase *tc = t_tcase("seats_change", 240, T_TESTS(seats_reduction_never_immediate,
	    seats_increase_replaces_scheduled_reduction,
	    seats_increase_declined_changes_nothing, seats_increase_paid_grants_once,
	    seats_removed_at_renewal_without_refund));

	tcase_add_unchecked_fixture(tc, NULL, seats_fake_reset);
	suite_add_tcase(s, tc);
	return s;
}
