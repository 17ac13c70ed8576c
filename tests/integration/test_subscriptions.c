/*
 * Subscriptions and seats against the Stripe fake over the real stack:
 * the whole life of a subscription, preview = charged lines to the cent,
 * a Stripe failure mid-change, seats beyond purchase, CSV all-or-nothing.
 * Each case makes its own org (the subscription-change limit is 5 per org
 * per hour) and resets the rate limits between steps.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

struct org {
	char id[24];
	char key[128];
};

/* A fresh org with an admin+meter key and n members in two departments. */
static void
make_org(struct org *o, const char *tag, int members)
{
	char sub_tag[64];
	long id;
	int i;

	snprintf(sub_tag, sizeof(sub_tag), "sub-%s", tag);
	id = t_org_new(sub_tag, NULL, NULL);
	snprintf(o->id, sizeof(o->id), "%ld", id);
	t_apikey_new(id, "admin,meter,read,write", o->key, sizeof(o->key));
	for (i = 0; i < members; i++)
		(void)t_member_new(id, "member", i % 2 ? "Sales" : "Engineering");
}

/*
 * Our API with the org's key (idem: an Idempotency-Key, or NULL): the
 * status; the parsed answer into *json.
 */
static long
call(const struct org *o, const char *method, const char *path, const char *body,
    const char *idem, cJSON **json)
{
	struct t_resp r;
	char h[300];
	const char *extra[2] = { NULL, NULL };
	long st;

	if (idem != NULL) {
		snprintf(h, sizeof(h), "Idempotency-Key: %s", idem);
		extra[0] = h;
	}
	st = t_call(NULL, o->key, method, path, body, body ? "application/json" : NULL, extra, &r);
	if (json != NULL)
		*json = t_json(&r);
	t_resp_free(&r);
	return st;
}

/* A request to the Stripe fake: the status; the parsed answer (if any) into *json. */
static long
fake(const char *method, const char *path, const char *body, cJSON **json)
{
	struct t_resp r;
	long st = t_fake(method, path, body, NULL, &r);

	if (json != NULL)
		*json = cJSON_Parse(r.body.data != NULL ? r.body.data : "null");
	t_resp_free(&r);
	return st;
}

/* The seats of the org's subscription, as stored here. */
static const char *
local_seats(const struct org *o)
{
	return t_sql_valuef("SELECT seats FROM subscriptions WHERE org_id = %s", o->id);
}

/* How many audit entries of action the org has. */
static const char *
audits(const struct org *o, const char *action)
{
	return t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %s AND action = '%s'",
	    o->id, action);
}

/* How many seats are assigned. */
static const char *
licenses(const struct org *o)
{
	return t_sql_valuef("SELECT count(*) FROM seat_licenses WHERE org_id = %s", o->id);
}

/* POST the seats body to path, which must answer 200: then want seats are assigned. */
static void
assign(const struct org *o, const char *path, const char *body, const char *want)
{
	cJSON *r;

	ck_assert_int_eq(call(o, "POST", path, body, NULL, &r), 200);
	cJSON_Delete(r);
	ck_assert_str_eq(licenses(o), want);
}

/* The e-mail addresses of the org's first n members (by address), 128 bytes each. */
static void
member_emails(const struct org *o, char (*emails)[128], int n)
{
	char all[512], *p, *comma;
	int i;

	snprintf(all, sizeof(all), "%s", t_sql_valuef("SELECT string_agg(u.email, ',' ORDER BY u.email)"
	    " FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = %s AND m.role = 'member'",
	    o->id));
	for (p = all, i = 0; i < n; i++, p = comma + 1) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		snprintf(emails[i], sizeof(emails[i]), "%.*s", (int)(comma - p), p);
	}
}

/* The purchased seats in an answer. */
static long long
purchased(const cJSON *sub)
{
	return t_jnum(cJSON_GetObjectItem(sub, "seats"), "purchased");
}

/* An answer's error member. */
static const char *
error_of(const cJSON *answer, const char *member)
{
	return t_jstr(cJSON_GetObjectItem(answer, "error"), member);
}

static void
create_sub(const struct org *o, const char *plan, int seats, cJSON **out)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"plan\":\"%s\",\"seats\":%d,"
	    "\"cycle\":\"month\",\"payment_method\":\"pm_card_visa\"}", o->id, plan, seats);
	ck_assert_int_eq(call(o, "POST", API "/subscriptions", body, NULL, out), 201);
	ck_assert_str_eq(t_jstr(*out, "status"), "active");
}

/*
 * Three seats to five: the preview's lines are exactly what Stripe
 * charges; a replay changes nothing.
 */
static void
life_add_seats(const struct org *o)
{
	cJSON *pv, *up, *inv, *lines, *fl, *fdata;
	char path[128], body[256];
	int i, j, found;

	snprintf(path, sizeof(path), API "/subscriptions/%s/preview", o->id);
	ck_assert_int_eq(call(o, "POST", path, "{\"seats\":5}", NULL, &pv), 200);
	ck_assert_str_eq(t_jstr(pv, "effective"), "now");
	lines = cJSON_GetObjectItem(pv, "lines");
	ck_assert_int_eq(cJSON_GetArraySize(lines), 2);
	t_reset_rate_limits();
	snprintf(path, sizeof(path), API "/subscriptions/%s", o->id);
	snprintf(body, sizeof(body), "{\"seats\":5,\"proration_date\":%lld}", t_jnum(pv, "proration_date"));
	ck_assert_int_eq(call(o, "PATCH", path, body, "life-seats", &up), 200);
	ck_assert_int_eq(purchased(up), 5);
	inv = cJSON_GetObjectItem(up, "invoice");
	ck_assert(cJSON_IsObject(inv));
	/* Straight from the fake: the invoice Stripe made and charged. */
	snprintf(path, sizeof(path), "/v1/invoices/%s", t_jstr(inv, "id"));
	ck_assert_int_eq(fake("GET", path, NULL, &fl), 200);
	ck_assert_int_eq(t_jnum(fl, "total"), t_jnum(pv, "total"));
	ck_assert_str_eq(t_jstr(fl, "status"), "paid");
	fdata = cJSON_GetObjectItem(cJSON_GetObjectItem(fl, "lines"), "data");
	ck_assert_int_eq(cJSON_GetArraySize(fdata), 2);
	for (i = 0; i < 2; i++) {
		long long want = t_jnum(cJSON_GetArrayItem(lines, i), "amount");

		for (found = 0, j = 0; j < 2; j++)
			if (t_jnum(cJSON_GetArrayItem(fdata, j), "amount") == want)
				found = 1;
		ck_assert_msg(found, "preview line %lld not charged", want);
	}
	cJSON_Delete(fl);
	cJSON_Delete(up);
	cJSON_Delete(pv);
	/* The same Idempotency-Key replays: no second Stripe change. */
	snprintf(path, sizeof(path), API "/subscriptions/%s", o->id);
	ck_assert_int_eq(call(o, "PATCH", path, body, "life-seats", &up), 200);
	ck_assert_int_eq(purchased(up), 5);
	cJSON_Delete(up);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM billing_operations WHERE org_id = %s"
	    " AND kind = 'update'", o->id), "1");
}

/* Cancel (a reason is required and kept), then reactivate (once). */
static void
life_cancel_and_reactivate(const struct org *o)
{
	cJSON *up;
	char path[128];

	t_reset_rate_limits();
	snprintf(path, sizeof(path), API "/subscriptions/%s/cancel", o->id);
	ck_assert_int_eq(call(o, "POST", path, "{}", NULL, &up), 400);
	ck_assert_str_eq(error_of(up, "param"), "reason");
	cJSON_Delete(up);
	ck_assert_int_eq(call(o, "POST", path, "{\"reason\":\"Too expensive\"}", NULL, &up), 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(up, "cancel_at_period_end")));
	ck_assert_str_eq(t_jstr(up, "cancel_reason"), "Too expensive");
	ck_assert_str_eq(t_jstr(up, "status"), "active");
	cJSON_Delete(up);
	ck_assert_str_eq(audits(o, "subscription.cancel"), "1");

	snprintf(path, sizeof(path), API "/subscriptions/%s/reactivate", o->id);
	ck_assert_int_eq(call(o, "POST", path, NULL, NULL, &up), 200);
	ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(up, "cancel_at_period_end")));
	cJSON_Delete(up);
	ck_assert_int_eq(call(o, "POST", path, NULL, NULL, &up), 409);
	cJSON_Delete(up);
}

START_TEST(subscription_life)
{
	struct org o;
	cJSON *sub, *up;
	char path[128], body[256];

	t_reset_rate_limits();
	make_org(&o, "life", 0);
	create_sub(&o, "pro", 3, &sub);
	ck_assert_int_eq(purchased(sub), 3);
	ck_assert_str_eq(t_jstr(sub, "plan_id"), "pro");
	cJSON_Delete(sub);
	/* A second create is refused: the org has a live subscription. */
	snprintf(body, sizeof(body), "{\"org_id\":\"%s\",\"plan\":\"pro\",\"seats\":1}", o.id);
	ck_assert_int_eq(call(&o, "POST", API "/subscriptions", body, NULL, &sub), 409);
	cJSON_Delete(sub);

	life_add_seats(&o);

	/* Upgrade: now, with proration. */
	t_reset_rate_limits();
	snprintf(path, sizeof(path), API "/subscriptions/%s/upgrade", o.id);
	ck_assert_int_eq(call(&o, "PUT", path, "{\"plan\":\"business\"}", NULL, &up), 200);
	ck_assert_str_eq(t_jstr(up, "plan_id"), "business");
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(up, "invoice")));
	cJSON_Delete(up);

	/* Downgrade: scheduled for the period's end, Stripe untouched. */
	snprintf(path, sizeof(path), API "/subscriptions/%s", o.id);
	ck_assert_int_eq(call(&o, "PATCH", path, "{\"plan\":\"pro\"}", NULL, &up), 200);
	ck_assert_str_eq(t_jstr(up, "plan_id"), "business");
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItem(up, "scheduled_change"), "plan"), "pro");
	cJSON_Delete(up);

	life_cancel_and_reactivate(&o);

	/* GET shows the same. */
	snprintf(path, sizeof(path), API "/subscriptions/%s", o.id);
	ck_assert_int_eq(call(&o, "GET", path, NULL, NULL, &up), 200);
	ck_assert_str_eq(t_jstr(up, "plan_id"), "business");
	ck_assert_int_eq(purchased(up), 5);
	cJSON_Delete(up);
	t_reset_rate_limits();
}
END_TEST

START_TEST(stripe_failure_leaves_nothing_half_made)
{
	struct org o;
	cJSON *sub, *up, *j;
	char path[128], body[64];

	t_reset_rate_limits();
	make_org(&o, "fault", 0);
	create_sub(&o, "pro", 2, &sub);
	cJSON_Delete(sub);
	/* Every try of the change fails with a 500. */
	ck_assert_int_eq(fake("POST", "/_fake/faults",
	    "{\"status\":500,\"count\":20,\"method\":\"POST\",\"path_prefix\":\"/v1/subscriptions/\"}",
	    NULL), 200);
	snprintf(path, sizeof(path), API "/subscriptions/%s", o.id);
	snprintf(body, sizeof(body), "{\"seats\":4}");
	ck_assert_int_eq(call(&o, "PATCH", path, body, "fault-1", &up), 502);
	ck_assert_str_eq(error_of(up, "code"), "stripe_unavailable");
	cJSON_Delete(up);
	ck_assert_int_eq(fake("DELETE", "/_fake/faults", NULL, NULL), 200);
	/* Nothing local changed; the operation waits, pending. */
	ck_assert_str_eq(local_seats(&o), "2");
	ck_assert_str_eq(audits(&o, "subscription.update"), "0");
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM billing_operations WHERE org_id = %s"
	    " AND idem_key = 'fault-1'", o.id), "pending");
	/* Stripe applied nothing either. */
	ck_assert_int_eq(fake("GET", "/v1/subscriptions?limit=1", NULL, &j), 200);
	{
		const cJSON *sub0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0);
		const cJSON *it0 = cJSON_GetArrayItem(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(sub0, "items"), "data"), 0);

		ck_assert_int_eq(t_jnum(it0, "quantity"), 2);
	}
	cJSON_Delete(j);
	/* The retry with the same key completes it, once. */
	t_reset_rate_limits();
	ck_assert_int_eq(call(&o, "PATCH", path, body, "fault-1", &up), 200);
	ck_assert_int_eq(purchased(up), 4);
	cJSON_Delete(up);
	ck_assert_str_eq(t_sql_value("SELECT 'x'"), "x");
	ck_assert_str_eq(local_seats(&o), "4");
	ck_assert_str_eq(audits(&o, "subscription.update"), "1");
	t_reset_rate_limits();
}
END_TEST

START_TEST(seats_beyond_purchase_refused)
{
	struct org o;
	cJSON *sub, *r;
	char path[128], body[700], m[3][128];

	t_reset_rate_limits();
	make_org(&o, "seats", 3);
	create_sub(&o, "business", 2, &sub);
	cJSON_Delete(sub);
	snprintf(path, sizeof(path), API "/seats/%s/assign", o.id);
	/* Three members, two seats: refused whole. */
	ck_assert_int_eq(call(&o, "POST", path, "{\"emails\":[\"m0@" "x\"]}", NULL, &r), 400);
	cJSON_Delete(r);
	member_emails(&o, m, 3);
	snprintf(body, sizeof(body), "{\"emails\":[\"%s\",\"%s\",\"%s\"]}", m[0], m[1], m[2]);
	ck_assert_int_eq(call(&o, "POST", path, body, NULL, &r), 409);
	ck_assert_str_eq(error_of(r, "code"), "seats_exhausted");
	cJSON_Delete(r);
	ck_assert_str_eq(licenses(&o), "0");
	snprintf(body, sizeof(body), "{\"emails\":[\"%s\",\"%s\"]}", m[0], m[1]);
	assign(&o, path, body, "2");
	/* A seat removal never drops below the seats in use. */
	snprintf(path, sizeof(path), API "/subscriptions/%s", o.id);
	ck_assert_int_eq(call(&o, "PATCH", path, "{\"seats\":1}", NULL, &r), 409);
	ck_assert_str_eq(error_of(r, "code"), "seats_in_use");
	cJSON_Delete(r);
	/* With automatic seat increase the third is bought, then assigned. */
	snprintf(path, sizeof(path), API "/seats/%s/settings", o.id);
	ck_assert_int_eq(call(&o, "PATCH", path, "{\"auto_seat_increase\":true}", NULL, &r), 200);
	cJSON_Delete(r);
	snprintf(path, sizeof(path), API "/seats/%s/assign", o.id);
	snprintf(body, sizeof(body), "{\"emails\":[\"%s\"]}", m[2]);
	assign(&o, path, body, "3");
	ck_assert_str_eq(local_seats(&o), "3");
	t_reset_rate_limits();
}
END_TEST

START_TEST(csv_bad_rows_apply_none)
{
	struct org o;
	cJSON *sub, *r, *rows;
	char path[128], csv[1024], body[1200], m[2][128];

	t_reset_rate_limits();
	make_org(&o, "csv", 2);
	create_sub(&o, "business", 5, &sub);
	cJSON_Delete(sub);
	member_emails(&o, m, 2);
	/* Two good rows, three bad ones: each bad row reported, none applied. */
	snprintf(csv, sizeof(csv), "email,action\\n%s\\nnot-an-email\\nstranger@nowhere.test\\n"
	    "%s,assign\\n%s,explode\\n", m[0], m[1], m[0]);
	snprintf(body, sizeof(body), "{\"csv\":\"%s\"}", csv);
	snprintf(path, sizeof(path), API "/seats/%s/csv", o.id);
	ck_assert_int_eq(call(&o, "POST", path, body, NULL, &r), 400);
	ck_assert_str_eq(error_of(r, "code"), "bad_rows");
	rows = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "rows");
	ck_assert_int_eq(cJSON_GetArraySize(rows), 3);
	cJSON_Delete(r);
	ck_assert_str_eq(licenses(&o), "0");
	/* The good rows alone apply. */
	snprintf(body, sizeof(body), "{\"csv\":\"%s\\n%s,assign\\n\"}", m[0], m[1]);
	assign(&o, path, body, "2");
	/* Grouped by department in the list. */
	snprintf(path, sizeof(path), API "/seats/%s", o.id);
	ck_assert_int_eq(call(&o, "GET", path, NULL, NULL, &r), 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "departments")), 2);
	cJSON_Delete(r);
	t_reset_rate_limits();
}
END_TEST

START_TEST(usage_and_limits)
{
	struct org o;
	cJSON *r;
	char path[128];

	t_reset_rate_limits();
	make_org(&o, "usage", 0);
	snprintf(path, sizeof(path), API "/usage/%s", o.id);
	ck_assert_int_eq(call(&o, "POST", path, "{\"agents\":9,\"executions\":9500}", NULL, &r), 400);
	cJSON_Delete(r);	/* Idempotency-Key required */
	ck_assert_int_eq(call(&o, "POST", path, "{\"agents\":9,\"executions\":9500}", "u1", &r), 200);
	cJSON_Delete(r);
	ck_assert_int_eq(call(&o, "POST", path, "{\"agents\":9,\"executions\":9500}", "u1", &r), 200);
	cJSON_Delete(r);	/* replayed: executions not added twice */
	snprintf(path, sizeof(path), API "/limits/%s/check", o.id);
	/* No subscription: the Free plan's limits (10 agents, 10,000 executions). */
	ck_assert_int_eq(call(&o, "POST", path, "{\"resource\":\"agents\",\"quantity\":1}", NULL, &r), 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "allowed")));
	ck_assert_int_eq(t_jnum(r, "limit"), 10);
	cJSON_Delete(r);
	ck_assert_int_eq(call(&o, "POST", path, "{\"resource\":\"agents\",\"quantity\":2}", NULL, &r), 200);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(r, "allowed")));
	cJSON_Delete(r);
	ck_assert_int_eq(call(&o, "POST", path, "{\"resource\":\"executions\",\"quantity\":500}", NULL, &r), 200);
	ck_assert_int_eq(t_jnum(r, "current"), 9500);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "allowed")));
	cJSON_Delete(r);
	ck_assert_int_eq(call(&o, "POST", path, "{\"resource\":\"executions\",\"quantity\":501}", NULL, &r), 200);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(r, "allowed")));
	cJSON_Delete(r);
	ck_assert_int_eq(call(&o, "POST", path, "{\"resource\":\"nope\"}", NULL, &r), 400);
	cJSON_Delete(r);
}
END_TEST

Suite *subscriptions_suite(void)
{
	return t_suite("subscriptions", 120, T_TESTS(subscription_life,
	    stripe_failure_leaves_nothing_half_made, seats_beyond_purchase_refused,
	    csv_bad_rows_apply_none, usage_and_limits));
}
