/*
 * Billing details are saved first and pushed to the Stripe customer after
 * the save commits, never inside the API's idempotency transaction:
 *
 * - Stripe refuses the push (500 on every try): the API still answers 200,
 *   the details are saved and marked pending with the reason, and
 *   `orgbill jobs` pushes them later; the customer then has them.
 * - Stripe answers the push later than the sessions' idle-in-transaction
 *   timeout (5 s in the test stack): the save is not lost, the push lands.
 *
 * Counted at the fake. Needs OB_TEST_STRIPE_FAKE and STRIPE_SECRET_KEY.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"

#define API "/api/v1/org-billing"

/* POST billing details as JSON body with the org's key; the answer (status want). */
static cJSON *
details_post(const struct inv_org *o, const char *body, long want)
{
	char path[128];

	snprintf(path, sizeof(path), API "/billing-details/%ld", o->id);
	return inv_api(o->key, "POST", path, body, want);
}

/* GET the org's billing details. */
static cJSON *
details_get(const struct inv_org *o)
{
	char path[128];

	snprintf(path, sizeof(path), API "/billing-details/%ld", o->id);
	return inv_api(o->key, "GET", path, NULL, 200);
}

/* The fake's customer's member outer.inner (e.g. address.city), "" if absent. */
static const char *
customer_field(const char *cus, const char *outer, const char *inner)
{
	static char val[256];
	char path[128];
	cJSON *c;

	snprintf(path, sizeof(path), "/v1/customers/%s", cus);
	c = inv_fake("GET", path, NULL, 200);
	snprintf(val, sizeof(val), "%s",
	    t_jstr(cJSON_GetObjectItemCaseSensitive(c, outer), inner) ?: "");
	cJSON_Delete(c);
	return val;
}

static void
faults_clear(void)
{
	char cmd[512];
	const char *base = getenv("OB_TEST_STRIPE_FAKE");

	if (base == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -X DELETE '%s/_fake/faults'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "txfix_details: could not clear the Stripe fake's faults\n");
}

START_TEST(details_saved_when_stripe_fails_then_pushed_by_jobs)
{
	struct inv_org o;
	char fault[256];
	cJSON *d;

	inv_org_new(&o, "txfix-det500", NULL);
	snprintf(fault, sizeof(fault), "{\"status\":500,\"count\":10,\"method\":\"POST\","
	    "\"path_prefix\":\"/v1/customers/%s\"}", o.cus);
	inv_fake_ctl("/_fake/faults", fault);
	d = details_post(&o, "{\"address\":{\"city\":\"Pendingham\"},\"po_number\":\"PO-PEND-1\"}",
	    200);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItemCaseSensitive(d, "address"), "city"), "Pendingham");
	cJSON_Delete(d);
	/* Saved here, not at Stripe: pending, with the reason. */
	d = details_get(&o);
	ck_assert_str_eq(t_jstr(cJSON_GetObjectItemCaseSensitive(d, "address"), "city"), "Pendingham");
	ck_assert_str_eq(t_jstr(d, "stripe_sync"), "pending");
	ck_assert_ptr_nonnull(t_jstr(d, "stripe_sync_error"));
	cJSON_Delete(d);
	ck_assert_str_eq(customer_field(o.cus, "address", "city"), "Springfield");
	/* Stripe is back: the jobs pass pushes the pending save. */
	faults_clear();
	ck_assert_int_eq(t_jobs_once(), 0);
	ck_assert_str_eq(customer_field(o.cus, "address", "city"), "Pendingham");
	ck_assert_str_eq(customer_field(o.cus, "metadata", "orgbill_po_number"), "PO-PEND-1");
	d = details_get(&o);
	ck_assert_str_eq(t_jstr(d, "stripe_sync"), "synced");
	ck_assert_ptr_null(t_jstr(d, "stripe_sync_error"));
	cJSON_Delete(d);
}
END_TEST

START_TEST(details_slow_stripe_outlives_idle_timeout)
{
	struct inv_org o;
	char fault[256];
	cJSON *d;

	inv_org_new(&o, "txfix-detslow", NULL);
	snprintf(fault, sizeof(fault), "{\"delay_ms\":6500,\"count\":1,\"method\":\"POST\","
	    "\"path_prefix\":\"/v1/customers/%s\"}", o.cus);
	inv_fake_ctl("/_fake/faults", fault);
	d = details_post(&o, "{\"po_number\":\"PO-SLOW-1\"}", 200);
	ck_assert_str_eq(t_jstr(d, "po_number"), "PO-SLOW-1");
	cJSON_Delete(d);
	d = details_get(&o);
	ck_assert_str_eq(t_jstr(d, "po_number"), "PO-SLOW-1");
	ck_assert_str_eq(t_jstr(d, "stripe_sync"), "synced");
	cJSON_Delete(d);
	ck_assert_str_eq(customer_field(o.cus, "metadata", "orgbill_po_number"), "PO-SLOW-1");
}
END_TEST

Suite *txfix_details_suite(void)
{
	Suite *s = suite_create("txfix_details");
	TCase *tc = tcase_create("txfix_details");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, faults_clear);
	tcase_add_test(tc, details_saved_when_stripe_fails_then_pushed_by_jobs);
	tcase_add_test(tc, details_slow_stripe_outlives_idle_timeout);
	suite_add_tcase(s, tc);
	return s;
}
