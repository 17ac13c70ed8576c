/*
 * Subscription webhooks over the real stack with the Stripe fake: events
 * delivered newest-first (and twice) leave the newest state, and a handler
 * that fails (Stripe unreachable) is retried by `orgbill jobs` and then
 * succeeds.
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

static char org_id[24], key[128];

static void
make_org(const char *tag)
{
	char whsub_tag[64];
	long id;

	snprintf(whsub_tag, sizeof(whsub_tag), "whsub-%s", tag);
	id = t_org_new(whsub_tag, NULL, NULL);
	snprintf(org_id, sizeof(org_id), "%ld", id);
	t_apikey_new(id, "admin,read", key, sizeof(key));
}

static long
api(const char *method, const char *path, const char *body, const char *idem)
{
	char h[128];
	const char *extra[2] = { h, NULL };
	struct t_resp r;
	long st;

	snprintf(h, sizeof(h), "Idempotency-Key: %s", idem);
	st = t_json_as(key, method, path, body, extra, &r);
	if (st >= 300)
		fprintf(stderr, "%s %s: %ld %s\n", method, path, st, r.body.data);
	t_resp_free(&r);
	return st;
}

static int
local_seats(void)
{
	char q[128];

	snprintf(q, sizeof(q), "SELECT seats FROM subscriptions WHERE org_id = %s", org_id);
	return atoi(t_sql_value(q));
}

/*
 * From a clean slate of pending events at the fake: a new org subscribes
 * with seats[0] seats, then changes to each of the next n - 1 counts; the
 * local copy is then made stale (1 seat), for the events to put right.
 */
static void
subscribe_and_change(const char *tag, const int *seats, int n)
{
	char path[128], body[256], idem[64], q[128];
	int i;

	ck_assert_int_eq(t_fake("POST", "/_fake/webhooks/deliver", "{}", NULL, NULL), 200);
	t_reset_rate_limits();
	make_org(tag);
	snprintf(path, sizeof(path), API "/subscriptions/%s", org_id);
	snprintf(body, sizeof(body), "{\"plan\":\"business\",\"seats\":%d,\"cycle\":\"month\","
	    "\"payment_method\":\"pm_card_visa\"}", seats[0]);
	snprintf(idem, sizeof(idem), "whsub-%s-%d-create", tag, (int)getpid());
	ck_assert_int_eq(api("POST", path, body, idem), 201);
	for (i = 1; i < n; i++) {
		snprintf(body, sizeof(body), "{\"seats\":%d}", seats[i]);
		snprintf(idem, sizeof(idem), "whsub-%s-%d-%d", tag, (int)getpid(), i);
		ck_assert_int_eq(api("PATCH", path, body, idem), 200);
	}
	ck_assert_int_eq(local_seats(), seats[n - 1]);
	snprintf(q, sizeof(q), "UPDATE subscriptions SET seats = 1 WHERE org_id = %s", org_id);
	t_sql(q);
}

START_TEST(wh_subscription_events_newest_first_leave_newest_state)
{
	static const int seats[] = { 2, 3, 5 };
	char q[512];

	subscribe_and_change("order", seats, 3);
	/* The local copy is stale: deliver the events newest-first, each
	 * twice; whatever the order, the newest state wins. */
	ck_assert_int_eq(t_fake("POST", "/_fake/webhooks/deliver",
	    "{\"reverse\":true,\"duplicate\":2,\"types\":[\"customer.subscription.created\","
	    "\"customer.subscription.updated\"]}", NULL, NULL), 200);
	ck_assert_int_eq(local_seats(), 5);
	/* The credits overview now knows the plan's entitlement per seat. */
	{
		char path[128], want[64];
		struct t_resp r;

		snprintf(path, sizeof(path), "/api/v1/org/%s/billing-overview/", org_id);
		ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
		snprintf(want, sizeof(want), "\"entitlement_per_seat\":%s",
		    t_sql_value("SELECT credits_per_seat FROM plans WHERE code = 'business'"));
		ck_assert_msg(strstr(r.body.data, want) != NULL, "%s not in %.300s", want, r.body.data);
		t_resp_free(&r);
	}
	/* Every delivered event was applied or, being older than one already
	 * applied for the same subscription, skipped — none failed. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_events WHERE org_id = %s"
	    " AND type LIKE 'customer.subscription.%%' AND status = 'processed'", org_id);
	ck_assert_int_ge(atoi(t_sql_value(q)), 2);
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_events e WHERE e.type LIKE"
	    " 'customer.subscription.%%' AND e.status NOT IN ('processed', 'skipped')"
	    " AND e.object_id = (SELECT stripe_subscription_id FROM subscriptions WHERE org_id = %s)",
	    org_id);
	ck_assert_str_eq(t_sql_value(q), "0");
}
END_TEST

START_TEST(wh_failed_handler_is_retried_and_succeeds)
{
	static const int seats[] = { 2, 4 };
	char q[256];

	subscribe_and_change("retry", seats, 2);
	/* Stripe answers 500 to every subscription fetch for a while. */
	ck_assert_int_eq(t_fake("POST", "/_fake/faults",
	    "{\"status\":500,\"method\":\"GET\",\"path_prefix\":\"/v1/subscriptions/\",\"count\":50}",
	    NULL, NULL), 200);
	ck_assert_int_eq(t_fake("POST", "/_fake/webhooks/deliver",
	    "{\"types\":[\"customer.subscription.updated\"]}", NULL, NULL), 200);
	ck_assert_int_eq(local_seats(), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_events WHERE type = 'customer.subscription.updated'"
	    " AND status = 'failed' AND last_error LIKE '%%Stripe%%'");
	ck_assert_int_ge(atoi(t_sql_value(q)), 1);
	/* Stripe is back; the runner retries what is due. */
	ck_assert_int_eq(t_fake("DELETE", "/_fake/faults", NULL, NULL, NULL), 200);
	t_sql("UPDATE webhook_events SET next_attempt_at = now() WHERE status = 'failed'");
	ck_assert_int_eq(t_jobs_once(), 0);
	ck_assert_int_eq(local_seats(), 4);
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_events WHERE type = 'customer.subscription.updated'"
	    " AND org_id = %s AND status = 'processed' AND attempts >= 2", org_id);
	ck_assert_int_ge(atoi(t_sql_value(q)), 1);
}
END_TEST

Suite *webhook_subs_suite(void)
{
	return t_suite("webhook_subs", 180, T_TESTS(wh_subscription_events_newest_first_leave_newest_state,
	    wh_failed_handler_is_retried_and_succeeds));
}
