/*
 * Webhook events are applied with no Stripe call inside their transaction:
 * each handler's fetch step asks Stripe before the transaction begins, and
 * the apply step works from what was fetched.
 *
 * - A guard on the Stripe client (the one the workers and the CLI install)
 *   notes every request sent while this test's database connection is
 *   inside a transaction: applying events of every kind that fetches
 *   (customer, payment method, invoice, charge, refund, subscription,
 *   Checkout session) sends none.
 * - With the fake's fault injection, a fetch slower than the session's
 *   idle_in_transaction_session_timeout no longer kills the session and
 *   loses the event: it is applied, with the state Stripe answered.
 *
 * The events are stored as the receiver stores them (ob_wh_store) and
 * applied with ob_wh_apply on the test's own connection, so the
 * connection's idle timeout can be set low. Needs OB_TEST_STRIPE_FAKE and
 * STRIPE_SECRET_KEY.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "base/db.h"
#include "stripe/client.h"
#include "stripe/event.h"
#include "sync/webhook.h"
#include "integration/harness.h"

/* What the guard saw: requests in all, and those sent inside a transaction. */
struct seen {
	struct ob_db *db;
	int requests;
	int in_tx;
};

/* The guard: count, never refuse (so a violation is counted, not aborted). */
static int
guard(void *arg)
{
	struct seen *s = arg;

	s->requests++;
	if (ob_db_in_tx(s->db))
		s->in_tx++;
	return 0;
}

/* A fake API call with a form body; its parsed answer (status 200 checked). */
static cJSON *
fake(const char *method, const char *path, const char *form)
{
	struct t_resp r;
	long st = t_fake(method, path, form, "application/x-www-form-urlencoded", &r);
	cJSON *j;

	ck_assert_msg(st == 200, "%s %s: %ld %s", method, path, st, r.body.data);
	j = t_json(&r);
	t_resp_free(&r);
	return j;
}

/* A fake control call with a JSON body (NULL: none). */
static void
fake_ctl(const char *method, const char *path, const char *json)
{
	const char *hdr[2] = { "Content-Type: application/json", NULL };
	struct t_resp r;

	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), method, path, json,
	    json ? strlen(json) : 0, hdr, &r), 0);
	ck_assert_msg(r.status == 200, "%s: %ld %s", path, r.status, r.body.data);
	t_resp_free(&r);
}

/* "/v1/customers/" id (static buffer). */
static const char *
cus_path(const char *cus)
{
	static char path[160];

	snprintf(path, sizeof(path), "/v1/customers/%s", cus);
	return path;
}

/* A customer at the fake mapped to a new org; its id into cus. The org's id. */
static long
org_with_customer(const char *tag, char *cus, size_t len)
{
	char form[128];
	long org = t_org_new(tag, NULL, NULL);
	cJSON *c;

	snprintf(form, sizeof(form), "email=txfix-%ld%%40example.test", org);
	c = fake("POST", "/v1/customers", form);
	snprintf(cus, len, "%s", t_jstr(c, "id"));
	cJSON_Delete(c);
	t_sqlf("INSERT INTO org_billing_details (org_id, stripe_customer_id) VALUES (%ld, '%s')"
	    " ON CONFLICT (org_id) DO UPDATE SET stripe_customer_id = EXCLUDED.stripe_customer_id",
	    org, cus);
	return org;
}

/*
 * Store an event of type whose data.object is obj (JSON text) as the
 * receiver does; its id into id (64 bytes).
 */
static void
store_event(struct ob_db *db, const char *type, const char *obj, char *id)
{
	static int n;
	char payload[4096];
	struct ob_whevent ev;

	snprintf(id, 64, "evt_txfix_%ld_%d_%d", (long)getpid(), (int)time(NULL) % 100000, n++);
	snprintf(payload, sizeof(payload), "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\","
	    "\"created\":%ld,\"livemode\":false,\"data\":{\"object\":%s}}", id, type,
	    (long)time(NULL) - 5, obj);
	ck_assert_int_eq(ob_whevent_parse(payload, strlen(payload), &ev, NULL), 0);
	ck_assert_int_eq(ob_wh_store(db, &ev, payload, strlen(payload)), OB_WH_STORED);
}

/* Apply event id; the result must be want. */
static void
apply(struct ob_wh_ctx *cx, const char *type, const char *id, enum ob_wh_result want)
{
	enum ob_wh_result r = ob_wh_apply(cx, id);

	ck_assert_msg(r == want, "%s (%s): result %d, want %d; event: %s", type, id, (int)r,
	    (int)want, t_sql_valuef("SELECT status || ' ' || COALESCE(last_error, '')"
	    " FROM webhook_events WHERE id = '%s'", id));
}

/*
 * Every handler that fetches, applied with a client whose guard counts the
 * requests sent while the connection is inside a transaction: none.
 */
START_TEST(webhook_handlers_fetch_outside_transaction)
{
	struct ob_db db;
	struct seen s = { 0 };
	struct ob_wh_ctx cx;
	char cus[64], other[64], obj[1024], id[64], form[256];
	const char *inv_id, *pm_id;
	cJSON *inv, *pm, *c;
	long org;

	t_db_open(&db);
	cx = (struct ob_wh_ctx){ &db, ob_stripe_new_from_env(), "delivery", NULL };
	ck_assert_ptr_nonnull(cx.stripe);
	s.db = &db;
	ob_stripe_set_guard(cx.stripe, guard, &s);
	org = org_with_customer("txfix-guard", cus, sizeof(cus));

	/* customer.updated: the customer is fetched, its address becomes ours. */
	snprintf(form, sizeof(form), "address[line1]=9+Fetch+Street&address[city]=Fetchville"
	    "&address[country]=DE");
	c = fake("POST", cus_path(cus), form);
	cJSON_Delete(c);
	snprintf(obj, sizeof(obj), "{\"id\":\"%s\",\"object\":\"customer\"}", cus);
	store_event(&db, "customer.updated", obj, id);
	apply(&cx, "customer.updated", id, OB_WH_PROCESSED);
	ck_assert_str_eq(t_sql_valuef("SELECT city || '/' || country FROM org_billing_details"
	    " WHERE org_id = %ld", org), "Fetchville/DE");

	/* payment_method.attached of a customer we do not know: its customer is fetched. */
	c = fake("POST", "/v1/customers", "email=txfix-other%40example.test");
	snprintf(other, sizeof(other), "%s", t_jstr(c, "id"));
	cJSON_Delete(c);
	snprintf(form, sizeof(form), "customer=%s", other);
	pm = fake("POST", "/v1/payment_methods/pm_card_visa/attach", form);
	pm_id = t_jstr(pm, "id");
	snprintf(obj, sizeof(obj), "{\"id\":\"%s\",\"object\":\"payment_method\",\"customer\":\"%s\"}",
	    pm_id, other);
	store_event(&db, "payment_method.attached", obj, id);
	apply(&cx, "payment_method.attached", id, OB_WH_PROCESSED);
	cJSON_Delete(pm);

	/* invoice.finalized: the invoice is fetched and mirrored for the org. */
	snprintf(form, sizeof(form), "customer=%s", cus);
	inv = fake("POST", "/v1/invoices", form);
	inv_id = t_jstr(inv, "id");
	snprintf(obj, sizeof(obj), "{\"id\":\"%s\",\"object\":\"invoice\",\"customer\":\"%s\"}",
	    inv_id, cus);
	store_event(&db, "invoice.finalized", obj, id);
	apply(&cx, "invoice.finalized", id, OB_WH_PROCESSED);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM invoices WHERE org_id = %ld"
	    " AND stripe_invoice_id = '%s'", org, inv_id), "1");
	cJSON_Delete(inv);

	/* A subscription and a Checkout session that Stripe does not know: fetched, refused, retried. */
	store_event(&db, "customer.subscription.updated",
	    "{\"id\":\"sub_txfix_missing\",\"object\":\"subscription\"}", id);
	apply(&cx, "customer.subscription.updated", id, OB_WH_FAILED);
	store_event(&db, "checkout.session.completed",
	    "{\"id\":\"cs_txfix_missing\",\"object\":\"checkout.session\",\"mode\":\"subscription\"}", id);
	apply(&cx, "checkout.session.completed", id, OB_WH_FAILED);

	/* A refund and a charge Stripe does not know: the event's own snapshot is applied. */
	store_event(&db, "charge.refunded",
	    "{\"id\":\"ch_txfix_missing\",\"object\":\"charge\",\"refunds\":{\"data\":[]}}", id);
	(void)ob_wh_apply(&cx, id);
	store_event(&db, "refund.updated", "{\"id\":\"re_txfix_missing\",\"object\":\"refund\","
	    "\"charge\":\"ch_txfix_missing\",\"amount\":1,\"currency\":\"usd\",\"status\":\"succeeded\"}",
	    id);
	(void)ob_wh_apply(&cx, id);

	ck_assert_msg(s.requests >= 9, "only %d Stripe requests were made", s.requests);
	ck_assert_msg(s.in_tx == 0, "%d of %d Stripe requests were sent inside a transaction",
	    s.in_tx, s.requests);
	ob_stripe_free(cx.stripe);
	ob_db_close(&db);
}
END_TEST

/*
 * The customer fetch answers after 2.5 s, the session's idle-in-transaction
 * timeout is 1 s: the event is applied all the same (the fetch happened
 * before the transaction began), with the address Stripe answered.
 */
START_TEST(webhook_slow_fetch_outlives_idle_timeout)
{
	struct ob_db db;
	struct ob_wh_ctx cx;
	char cus[64], obj[256], id[64];
	cJSON *c;
	long org;

	org = org_with_customer("txfix-slow", cus, sizeof(cus));
	c = fake("POST", cus_path(cus),
	    "address[line1]=1+Slow+Lane&address[city]=Slowtown&address[country]=FR");
	cJSON_Delete(c);
	setenv("ORGBILL_IDLE_IN_TX_TIMEOUT_MS", "1000", 1);
	t_db_open(&db);
	unsetenv("ORGBILL_IDLE_IN_TX_TIMEOUT_MS");
	ck_assert_str_eq(t_sql_value("SELECT 1"), "1");
	cx = (struct ob_wh_ctx){ &db, ob_stripe_new_from_env(), "delivery", NULL };
	ck_assert_ptr_nonnull(cx.stripe);
	snprintf(obj, sizeof(obj), "{\"id\":\"%s\",\"object\":\"customer\"}", cus);
	store_event(&db, "customer.updated", obj, id);
	fake_ctl("POST", "/_fake/faults", "{\"delay_ms\":2500,\"count\":1,\"method\":\"GET\","
	    "\"path_prefix\":\"/v1/customers/\"}");
	apply(&cx, "customer.updated", id, OB_WH_PROCESSED);
	fake_ctl("DELETE", "/_fake/faults", NULL);
	ck_assert_str_eq(t_sql_valuef("SELECT city || '/' || country FROM org_billing_details"
	    " WHERE org_id = %ld", org), "Slowtown/FR");
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM webhook_events WHERE id = '%s'", id),
	    "processed");
	ob_stripe_free(cx.stripe);
	ob_db_close(&db);
}
END_TEST

static void
faults_clear(void)
{
	char cmd[512];
	const char *base = getenv("OB_TEST_STRIPE_FAKE");

	if (base == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -X DELETE '%s/_fake/faults'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "txfix_webhooks: could not clear the Stripe fake's faults\n");
}

Suite *txfix_webhooks_suite(void)
{
	Suite *s = suite_create("txfix_webhooks");
	TCase *tc = tcase_create("txfix_webhooks");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, faults_clear);
	tcase_add_test(tc, webhook_handlers_fetch_outside_transaction);
	tcase_add_test(tc, webhook_slow_fetch_outlives_idle_timeout);
	suite_add_tcase(s, tc);
	return s;
}
