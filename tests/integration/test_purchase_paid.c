/*
 * A paid invoice grants a credit purchase only when it is an invoice of the
 * purchase's price (core/invoices/purchases.c): a purchase whose Stripe
 * invoice item was never added can end as a paid $0 invoice, which must buy
 * nothing. The purchase rows are made by SQL; the invoices are the objects
 * invoice.paid carries. Expected grants are written by hand.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "base/db.h"
#include "invoices/invoices.h"
#include "integration/harness.h"

/* A pending purchase of 1000 credits for 1000 minor units (usd), invoice inv. */
static void
purchase_new(long org, const char *inv)
{
	t_sqlf("INSERT INTO credit_purchases (org_id, credits, amount, currency, stripe_invoice_id,"
	    " status) VALUES (%ld, 1000, 1000, 'usd', '%s', 'open')", org, inv);
}

static int
paid(struct ob_db *db, const char *json)
{
	struct ob_actx ax = { .db = db };
	struct ob_fail f = { 0 };
	cJSON *inv = cJSON_Parse(json);
	int granted = -1;

	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(ob_invoices_purchase_paid(&ax, inv, &granted, &f), 0);
	cJSON_Delete(inv);
	return granted;
}

START_TEST(purchase_granted_only_for_its_price)
{
	long org = t_org_new("cp-paid", NULL, NULL);
	char zero[64], full[64], q[256];
	struct ob_db db;

	snprintf(zero, sizeof(zero), "in_zero_%ld", org);
	snprintf(full, sizeof(full), "in_full_%ld", org);
	purchase_new(org, zero);
	purchase_new(org, full);
	t_db_open(&db);
	/* Paid, but for nothing: no grant, the purchase stays open. */
	snprintf(q, sizeof(q), "{\"id\":\"%s\",\"status\":\"paid\",\"total\":0,\"currency\":\"usd\"}", zero);
	ck_assert_int_eq(paid(&db, q), 0);
	/* The right total in another currency: no grant either. */
	snprintf(q, sizeof(q), "{\"id\":\"%s\",\"status\":\"paid\",\"total\":1000,\"currency\":\"eur\"}", zero);
	ck_assert_int_eq(paid(&db, q), 0);
	snprintf(q, sizeof(q), "SELECT status FROM credit_purchases WHERE stripe_invoice_id = '%s'", zero);
	ck_assert_str_eq(t_sql_value(q), "open");
	/* Its price, paid: 1000 credits, once. */
	snprintf(q, sizeof(q), "{\"id\":\"%s\",\"status\":\"paid\",\"total\":1000,\"currency\":\"usd\"}", full);
	ck_assert_int_eq(paid(&db, q), 1);
	ck_assert_int_eq(paid(&db, q), 0);
	snprintf(q, sizeof(q), "SELECT COALESCE(sum(g.amount), 0) FROM credit_grants g"
	    " JOIN credit_pools p ON p.id = g.pool_id WHERE p.org_id = %ld AND g.source = 'purchase'", org);
	ck_assert_str_eq(t_sql_value(q), "1000");
	ob_db_close(&db);
}
END_TEST

Suite *purchase_paid_suite(void)
{
	Suite *s = suite_create("purchase_paid");
	TCase *tc = tcase_create("purchase_paid");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, purchase_granted_only_for_its_price);
	suite_add_tcase(s, tc);
	return s;
}
