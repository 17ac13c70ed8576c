/*
 * Canceling now with Stripe's two choices: prorate (credit the unused
 * time) and invoice_now (bill that credit at once). Expected amounts are
 * written by hand: Business at $29.00 a seat, two seats, canceled seconds
 * after the purchase, credits the whole period, -$58.00 (the fake's
 * proration rounds once; under ~3 minutes of use rounds to the full 5800).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"

Suite *checkout_cancel_suite(void);

#define API "/api/v1/org-billing"

static long
api(const char *key, const char *method, const char *path, const char *body)
{
	struct t_resp r;
	long st;

	ck_assert_int_eq(t_http_as(NULL, key, method, path, body, "application/json", NULL, &r), 0);
	st = r.status;
	t_resp_free(&r);
	return st;
}

/* A new org with an active Business subscription of 2 seats; its id, key and customer. */
static long
subscribed(const char *tag, char *key, size_t klen, char *cus, size_t clen)
{
	long org = t_org_new(tag, NULL, NULL);
	char path[128], q[128];

	t_apikey_new(org, "admin,read", key, klen);
	snprintf(path, sizeof(path), API "/subscriptions/%ld", org);
	ck_assert_int_eq(api(key, "POST", path,
	    "{\"plan\":\"business\",\"seats\":2,\"cycle\":\"month\",\"payment_method\":\"pm_card_visa\"}"), 201);
	snprintf(q, sizeof(q), "SELECT stripe_customer_id FROM subscriptions WHERE org_id = %ld", org);
	snprintf(cus, clen, "%s", t_sql_value(q));
	return org;
}

/* The totals of the customer's invoices at the fake, newest first, as "t1,t2,…". */
static void
invoice_totals(const char *cus, char *out, size_t len)
{
	char auth[160], path[160];
	const char *h[2] = { auth, NULL };
	struct t_resp r;
	cJSON *j, *it;
	size_t n = 0;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t_env("STRIPE_SECRET_KEY"));
	snprintf(path, sizeof(path), "/v1/invoices?customer=%s&limit=10", cus);
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), "GET", path, NULL, 0, h, &r), 0);
	ck_assert_int_eq(r.status, 200);
	j = cJSON_Parse(r.body.data);
	ck_assert_ptr_nonnull(j);
	out[0] = '\0';
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "data"))
		n += (size_t)snprintf(out + n, len - n, "%s%lld", n ? "," : "",
		    (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(it, "total")));
	cJSON_Delete(j);
	t_resp_free(&r);
}

START_TEST(cancel_now_prorated_and_invoiced)
{
	char key[128], cus[96], path[128], q[160], totals[256];
	long org = subscribed("cancel-pi", key, sizeof(key), cus, sizeof(cus));

	snprintf(path, sizeof(path), API "/subscriptions/%ld/cancel", org);
	ck_assert_int_eq(api(key, "POST", path, "{\"reason\":\"Budget cut\",\"at_period_end\":false,"
	    "\"prorate\":true,\"invoice_now\":true}"), 200);
	snprintf(q, sizeof(q), "SELECT status FROM subscriptions WHERE org_id = %ld", org);
	ck_assert_str_eq(t_sql_value(q), "canceled");
	/* The first invoice ($58.00), then the credit for the unused period, invoiced now. */
	invoice_totals(cus, totals, sizeof(totals));
	ck_assert_str_eq(totals, "-5800,5800");
}
END_TEST

START_TEST(cancel_now_default_neither_prorates_nor_invoices)
{
	char key[128], cus[96], path[128], totals[256];
	long org = subscribed("cancel-none", key, sizeof(key), cus, sizeof(cus));

	snprintf(path, sizeof(path), API "/subscriptions/%ld/cancel", org);
	ck_assert_int_eq(api(key, "POST", path, "{\"reason\":\"Budget cut\",\"at_period_end\":false}"), 200);
	invoice_totals(cus, totals, sizeof(totals));
	ck_assert_str_eq(totals, "5800");
}
END_TEST

START_TEST(cancel_now_prorated_credit_waits_for_the_next_invoice)
{
	char key[128], cus[96], path[160], totals[256], auth[160];
	const char *h[2] = { auth, NULL };
	struct t_resp r;
	long org = subscribed("cancel-p", key, sizeof(key), cus, sizeof(cus));

	snprintf(path, sizeof(path), API "/subscriptions/%ld/cancel", org);
	ck_assert_int_eq(api(key, "POST", path, "{\"reason\":\"Budget cut\",\"at_period_end\":false,"
	    "\"prorate\":true}"), 200);
	/* No new invoice; the credit is a pending invoice item of -$58.00. */
	invoice_totals(cus, totals, sizeof(totals));
	ck_assert_str_eq(totals, "5800");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t_env("STRIPE_SECRET_KEY"));
	snprintf(path, sizeof(path), "/v1/invoiceitems?customer=%s&pending=true", cus);
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), "GET", path, NULL, 0, h, &r), 0);
	ck_assert_ptr_nonnull(strstr(r.body.data, "-5800"));
	t_resp_free(&r);
}
END_TEST

Suite *
checkout_cancel_suite(void)
{
	Suite *s = suite_create("checkout_cancel");
	TCase *tc = tcase_create("checkout_cancel");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, cancel_now_prorated_and_invoiced);
	tcase_add_test(tc, cancel_now_default_neither_prorates_nor_invoices);
	tcase_add_test(tc, cancel_now_prorated_credit_waits_for_the_next_invoice);
	suite_add_tcase(s, tc);
	return s;
}
