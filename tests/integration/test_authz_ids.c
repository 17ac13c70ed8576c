/*
 * Invoices and refunds are named to tenants by an opaque public id ("inv_"
 * or "rfd_" and 32 hex digits), never by the bigint key that all orgs
 * share: in the API's answers, the console's links, the CSV export and list
 * cursors. The internal key does not open an invoice.
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

/* "inv_" and 32 lowercase hex digits. */
static int
public_id(const char *s)
{
	size_t i;

	if (s == NULL || strncmp(s, "inv_", 4) != 0 || strlen(s) != 36)
		return 0;
	for (i = 4; i < 36; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* An invoice of org made as the mirror would, n seconds old: its internal id. */
static long
invoice_new(long org, const char *tag, int age)
{
	t_sqlf("INSERT INTO invoices (org_id, stripe_invoice_id, stripe_customer_id, number, status,"
	    " currency, subtotal, total, amount_paid, stripe_created)"
	    " VALUES (%ld, 'in_ids_%s_%d', 'cus_ids_%d', 'IDS-%s-%d', 'paid', 'usd', 500, 500, 500,"
	    " now() - interval '%d seconds')", org, tag, (int)getpid(), (int)getpid(), tag, (int)getpid(), age);
	return atol(t_sql_valuef("SELECT id FROM invoices WHERE stripe_invoice_id = 'in_ids_%s_%d'",
	    tag, (int)getpid()));
}

START_TEST(invoice_ids_are_opaque)
{
	long a = t_org_new("ids-a", NULL, NULL), b = t_org_new("ids-b", NULL, NULL);
	long a1, a2;
	char key[128], path[256], internal[32], first[64];
	struct t_resp r;
	cJSON *o, *data, *x;
	int i;

	/* Interleaved with another org's: the internal keys are a shared sequence. */
	a1 = invoice_new(a, "a1", 20);
	(void)invoice_new(b, "b1", 15);
	a2 = invoice_new(a, "a2", 10);
	ck_assert_int_gt(a2, a1);
	t_apikey_new(a, "read", key, sizeof(key));

	snprintf(path, sizeof(path), API "/invoices/%ld", a);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	o = t_json(&r);
	data = cJSON_GetObjectItem(o, "data");
	ck_assert_int_eq(cJSON_GetArraySize(data), 2);
	for (i = 0; i < 2; i++) {
		x = cJSON_GetArrayItem(data, i);
		ck_assert_msg(public_id(t_jstr(x, "id")), "invoice id %s is not opaque", t_jstr(x, "id"));
		ck_assert_ptr_eq(cJSON_GetObjectItem(x, "internal_id"), NULL);
	}
	snprintf(first, sizeof(first), "%s", t_jstr(cJSON_GetArrayItem(data, 0), "id"));
	ck_assert_str_eq(t_jstr(cJSON_GetArrayItem(data, 0), "number"), t_sql_valuef("SELECT number"
	    " FROM invoices WHERE id = %ld", a2));
	cJSON_Delete(o);
	t_resp_free(&r);

	/* The public id opens the invoice; the internal key does not. */
	snprintf(path, sizeof(path), API "/invoices/%ld/%s", a, first);
	ck_assert_int_eq(t_get_as(NULL, key, path, NULL), 200);
	snprintf(path, sizeof(path), API "/invoices/%ld/%ld", a, a2);
	ck_assert_int_eq(t_get_as(NULL, key, path, NULL), 404);

	/* The cursor is the public id; an internal key is no cursor. */
	snprintf(path, sizeof(path), API "/invoices/%ld?limit=1&starting_after=%s", a, first);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	o = t_json(&r);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(t_jstr(x, "id"), t_sql_valuef("SELECT public_id FROM invoices WHERE id = %ld", a1));
	cJSON_Delete(o);
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/invoices/%ld?starting_after=%ld", a, a2);
	ck_assert_int_eq(t_get_as(NULL, key, path, NULL), 400);

	/* The CSV export names invoices the same way. */
	snprintf(internal, sizeof(internal), "\n%ld,", a2);
	snprintf(path, sizeof(path), API "/invoices/%ld/export.csv", a);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, first));
	ck_assert_ptr_eq(strstr(r.body.data, internal), NULL);
	t_resp_free(&r);

	/* A refund names its invoice by the public id too. */
	t_sqlf("INSERT INTO refunds (org_id, invoice_id, amount, currency, reason, status)"
	    " VALUES (%ld, %ld, 100, 'usd', 'ids test', 'succeeded')", a, a2);
	snprintf(path, sizeof(path), API "/refunds/%ld", a);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	o = t_json(&r);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	ck_assert_str_eq(t_jstr(x, "invoice_id"), first);
	/* And the refund's own id is opaque ("rfd_" and 32 hex digits), its key internal. */
	ck_assert_int_eq(strncmp(t_jstr(x, "id"), "rfd_", 4), 0);
	ck_assert_uint_eq(strlen(t_jstr(x, "id")), 36);
	ck_assert_str_eq(t_jstr(x, "id"), t_sql_valuef("SELECT public_id FROM refunds WHERE invoice_id = %ld",
	    a2));
	cJSON_Delete(o);
	t_resp_free(&r);
	snprintf(path, sizeof(path), API "/refunds/%ld?starting_after=%s", a,
	    t_sql_valuef("SELECT id FROM refunds WHERE invoice_id = %ld", a2));
	ck_assert_int_eq(t_get_as(NULL, key, path, NULL), 400);
}
END_TEST

START_TEST(console_links_name_invoices_by_public_id)
{
	long org = t_org_new("ids-console", NULL, NULL), inv;
	long owner = t_member_new(org, "owner", NULL);
	char email[256], cookie[128], path[128], link[96];
	const char *pub;
	struct t_resp r;

	inv = invoice_new(org, "c1", 5);
	pub = t_sql_valuef("SELECT public_id FROM invoices WHERE id = %ld", inv);
	snprintf(link, sizeof(link), "/billing/invoices/%s", pub);
	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", owner));
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, cookie, sizeof(cookie)), 303);
	ck_assert_int_eq(t_get_as(cookie, NULL, "/billing/invoices", &r), 200);
	ck_assert_msg(strstr(r.body.data, link) != NULL, "no link %s on the invoices page", link);
	snprintf(path, sizeof(path), "/billing/invoices/%ld\"", inv);
	ck_assert_ptr_eq(strstr(r.body.data, path), NULL);
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(cookie, NULL, link, NULL), 200);
	snprintf(path, sizeof(path), "/billing/invoices/%ld", inv);
	ck_assert_int_eq(t_get_as(cookie, NULL, path, NULL), 404);
}
END_TEST

Suite *authz_ids_suite(void)
{
	return t_suite("authz_ids", 60, T_TESTS(invoice_ids_are_opaque,
	    console_links_name_invoices_by_public_id));
}
