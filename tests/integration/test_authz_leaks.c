/*
 * What a tenant must not learn: the pool of an org that hides billing from
 * its members, the e-mail of the staff member who made a refund, and the
 * database's error text behind /readyz. Expected answers are written here,
 * not computed by the code under test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* A member of org signed in: the session cookie into cookie. */
static void
member_session(long org, char *cookie, size_t len)
{
	long uid = t_member_new(org, "member", NULL);
	char email[256];

	snprintf(email, sizeof(email), "%s", t_sql_valuef("SELECT email FROM users WHERE id = %ld", uid));
	ck_assert_int_eq(t_login(email, T_MEMBER_PASSWORD, cookie, len), 303);
}

/* The entry of org in GET /billing/user's answer (o owns it). */
static const cJSON *
user_org_entry(const cJSON *o, long org)
{
	const cJSON *e;
	char id[24];

	snprintf(id, sizeof(id), "%ld", org);
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(o, "orgs"))
		if (t_jstr(e, "org_id") != NULL && strcmp(t_jstr(e, "org_id"), id) == 0)
			return e;
	return NULL;
}

/* An org with credits 4273 in its pool, billing hidden from members or not. */
static long
org_with_pool(const char *tag, int members_see_billing)
{
	long org = t_org_new(tag, NULL, NULL);
	char args[160], out[256];

	snprintf(args, sizeof(args), "credits grant --org %ld --amount 4273 --reason 'leak test'", org);
	ck_assert_int_eq(t_cli(args, NULL, out, sizeof(out)), 0);
	t_sqlf("UPDATE organizations SET members_see_billing = %s WHERE id = %ld",
	    members_see_billing ? "true" : "false", org);
	return org;
}

START_TEST(billing_user_hides_pool_of_hidden_org)
{
	long hidden = org_with_pool("leak-hidden", 0);
	long shown = org_with_pool("leak-shown", 1);
	char cookie[128];
	struct t_resp r;
	const cJSON *e;
	cJSON *o;

	t_reset_rate_limits();
	member_session(hidden, cookie, sizeof(cookie));
	/* The same person in an org that shows billing to members. */
	t_sqlf("INSERT INTO memberships (org_id, user_id, role, status) SELECT %ld, id, 'member', 'active'"
	    " FROM users WHERE id = (SELECT user_id FROM memberships WHERE org_id = %ld LIMIT 1)",
	    shown, hidden);
	ck_assert_int_eq(t_get_as(cookie, NULL, API "/billing/user", &r), 200);
	o = t_json(&r);
	e = user_org_entry(o, hidden);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(cJSON_IsNull(cJSON_GetObjectItem(e, "pool_available")),
	    "the pool of an org that hides billing from members is shown: %s", r.body.data);
	e = user_org_entry(o, shown);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(t_jnum(e, "pool_available"), 4273);
	/* Only the org that shows billing gives its pool away. */
	ck_assert_ptr_nonnull(strstr(r.body.data, "4273"));
	ck_assert_ptr_eq(strstr(strstr(r.body.data, "4273") + 1, "4273"), NULL);
	cJSON_Delete(o);
	t_resp_free(&r);
}
END_TEST

START_TEST(refunds_hide_staff_email_from_tenants)
{
	long org = t_org_new("leak-refund", NULL, NULL);
	long staff = t_user_id("staff@orgbill.test");
	char key[128], path[128], cookie[128];
	struct t_resp r;
	cJSON *o;
	const cJSON *x;

	t_apikey_new(org, "read", key, sizeof(key));
	t_sqlf("INSERT INTO invoices (org_id, stripe_invoice_id, stripe_customer_id, number, status,"
	    " currency, subtotal, total, amount_paid, stripe_created)"
	    " VALUES (%ld, 'in_leak_%ld', 'cus_leak_%ld', 'LEAK-%ld', 'paid', 'usd', 9100, 9100, 9100, now())",
	    org, org, org, org);
	t_sqlf("INSERT INTO refunds (org_id, invoice_id, amount, currency, reason, status, requested_by)"
	    " SELECT %ld, id, 1200, 'usd', 'customer asked', 'succeeded', %ld FROM invoices"
	    " WHERE stripe_invoice_id = 'in_leak_%ld'", org, staff, org);
	snprintf(path, sizeof(path), API "/refunds/%ld", org);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	ck_assert_msg(strstr(r.body.data, "staff@orgbill.test") == NULL,
	    "the staff member's e-mail reaches the tenant: %s", r.body.data);
	o = t_json(&r);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "data"), 0);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(t_jnum(x, "amount"), 1200);
	ck_assert_str_eq(t_jstr(x, "requested_by"), "orgbill support");
	cJSON_Delete(o);
	t_resp_free(&r);

	/* Staff still see who did it, in the staff console. */
	t_reset_rate_limits();
	ck_assert_int_eq(t_login(T_STAFF_EMAIL, t_password_of(T_STAFF_EMAIL), cookie, sizeof(cookie)), 303);
	snprintf(path, sizeof(path), "/admin/refunds?org_id=%ld", org);
	ck_assert_int_eq(t_get_as(cookie, NULL, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "staff@orgbill.test"));
	t_resp_free(&r);
}
END_TEST

START_TEST(readyz_answers_a_fixed_reason)
{
	struct t_resp r;

	ck_assert_int_eq(t_stack("pg-stop"), 0);
	ck_assert_int_eq(t_get("/readyz", &r), 503);
	ck_assert_str_eq(r.body.data, "{\"status\":\"unavailable\",\"reason\":\"database unreachable\"}\n");
	t_resp_free(&r);
	ck_assert_int_eq(t_stack("pg-start"), 0);
	ck_assert_int_eq(t_wait_status("/readyz", 200, 15000), 0);
}
END_TEST

Suite *authz_leaks_suite(void)
{
	return t_suite("authz_leaks", 120, T_TESTS(billing_user_hides_pool_of_hidden_org,
	    refunds_hide_staff_email_from_tenants, readyz_answers_a_fixed_reason));
}
