/*
 * Opaque public ids (docs/SECURITY.md "Public ids"): credit purchases are
 * named to tenants by "pur_" and 32 hex digits, never by the bigint key
 * shared by every org; and activity rows written before the public ids,
 * which name invoices, refunds and credit purchases by their internal keys,
 * are renamed to the public ids by migration 023 (ob_audit_public_ids),
 * only where the row's org owns the record. Expected values are read from
 * the rows' own public_id columns, never from the code under test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

#define API "/api/v1/org-billing"

/* True if s is prefix_ and 32 lowercase hex digits. */
static int
opaque(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s != NULL && strncmp(s, prefix, n) == 0 && s[n] == '_' && strlen(s + n + 1) == 32 &&
	    strspn(s + n + 1, "0123456789abcdef") == 32;
}

START_TEST(ident_credit_purchase_ids_are_opaque)
{
	struct inv_org o;
	struct t_session billing;
	char path[256], hc[128], pub[64], internal[32], needle[64];
	const char *extra[2] = { hc, NULL };
	struct t_resp r;
	cJSON *j, *x;
	long status;

	inv_org_new(&o, "ident-pur", "pm_card_visa");
	t_member_add(o.id, t_user_id("billing@acme.test"), "billing", NULL);
	t_reset_rate_limits();
	t_session_new("billing@acme.test", &billing);
	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", billing.csrf);
	snprintf(path, sizeof(path), API "/credit-purchases/%ld", o.id);
	status = t_call(billing.cookie, NULL, "POST", path, "{\"credits\":5000}", "application/json",
	    extra, &r);
	ck_assert_msg(status == 201, "%ld %s", status, r.body.data);
	snprintf(pub, sizeof(pub), "%s", t_sql_valuef("SELECT public_id FROM credit_purchases"
	    " WHERE org_id = %ld", o.id));
	snprintf(internal, sizeof(internal), "%s", t_sql_valuef("SELECT id FROM credit_purchases"
	    " WHERE org_id = %ld", o.id));
	ck_assert(opaque(pub, "pur"));
	j = t_json(&r);
	ck_assert_str_eq(t_jstr(j, "id"), pub);
	cJSON_Delete(j);
	t_resp_free(&r);
	/* The list names it the same way. */
	ck_assert_int_eq(t_get_as(NULL, o.key, path, &r), 200);
	j = t_json(&r);
	x = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "data"), 0);
	ck_assert_str_eq(t_jstr(x, "id"), pub);
	cJSON_Delete(j);
	t_resp_free(&r);
	/* And so does the org's activity log. */
	snprintf(path, sizeof(path), API "/%ld/history?limit=100", o.id);
	ck_assert_int_eq(t_get_as(NULL, o.key, path, &r), 200);
	snprintf(needle, sizeof(needle), "\"target_id\":\"%s\"", pub);
	ck_assert_msg(strstr(r.body.data, needle) != NULL, "%.600s", r.body.data);
	snprintf(needle, sizeof(needle), "\"target_id\":\"%s\"", internal);
	ck_assert_ptr_null(strstr(r.body.data, needle));
	t_resp_free(&r);
}
END_TEST

/* An invoice of org (as the mirror would make it): its internal id. */
static long
invoice_new(long org, const char *tag)
{
	t_sqlf("INSERT INTO invoices (org_id, stripe_invoice_id, stripe_customer_id, number, status,"
	    " currency, subtotal, total, amount_paid, stripe_created)"
	    " VALUES (%ld, 'in_ident_%s_%d', 'cus_ident_%d', 'IDENT-%s-%d', 'paid', 'usd', 500, 500,"
	    " 500, now())", org, tag, (int)getpid(), (int)getpid(), tag, (int)getpid());
	return atol(t_sql_valuef("SELECT id FROM invoices WHERE stripe_invoice_id = 'in_ident_%s_%d'",
	    tag, (int)getpid()));
}

/* An activity row as written before the public ids: its id. */
static long
old_row(long org, const char *action, const char *type, long target, const char *after)
{
	return atol(t_sql_valuef("INSERT INTO audit_log (org_id, actor_type, action, target_type,"
	    " target_id, after) VALUES (%ld, 'system', '%s', '%s', '%ld', %s) RETURNING id", org,
	    action, type, target, after != NULL ? after : "NULL"));
}

START_TEST(ident_old_activity_rows_get_public_ids)
{
	long a = t_org_new("ident-audit-a", NULL, NULL), b = t_org_new("ident-audit-b", NULL, NULL);
	long inv = invoice_new(a, "a"), other = invoice_new(b, "b"), rfd, pur;
	long r_inv, r_req, r_refund, r_pur, r_cross;
	char inv_pub[64], rfd_pub[64], pur_pub[64], after[256], key[128], path[128], needle[96];
	struct t_resp r;

	rfd = atol(t_sql_valuef("INSERT INTO refunds (org_id, invoice_id, amount, currency, reason,"
	    " status) VALUES (%ld, %ld, 100, 'usd', 'old row', 'succeeded') RETURNING id", a, inv));
	pur = atol(t_sql_valuef("INSERT INTO credit_purchases (org_id, credits, amount, currency)"
	    " VALUES (%ld, 1000, 1000, 'usd') RETURNING id", a));
	snprintf(inv_pub, sizeof(inv_pub), "%s", t_sql_valuef("SELECT public_id FROM invoices"
	    " WHERE id = %ld", inv));
	snprintf(rfd_pub, sizeof(rfd_pub), "%s", t_sql_valuef("SELECT public_id FROM refunds"
	    " WHERE id = %ld", rfd));
	snprintf(pur_pub, sizeof(pur_pub), "%s", t_sql_valuef("SELECT public_id FROM"
	    " credit_purchases WHERE id = %ld", pur));
	ck_assert(opaque(inv_pub, "inv") && opaque(rfd_pub, "rfd") && opaque(pur_pub, "pur"));

	r_inv = old_row(a, "invoice.void", "invoice", inv, NULL);
	snprintf(after, sizeof(after), "'{\"invoice_id\":\"%ld\",\"amount\":100}'", inv);
	r_req = old_row(a, "invoice.refund_requested", "refund", rfd, after);
	snprintf(after, sizeof(after), "'{\"object\":\"refund\",\"id\":%ld,\"invoice_id\":%ld}'", rfd,
	    inv);
	r_refund = old_row(a, "invoice.refund", "invoice", inv, after);
	r_pur = old_row(a, "credits.purchase", "credit_purchase", pur, NULL);
	/* A row of org A naming org B's invoice is not A's to rename. */
	r_cross = old_row(a, "invoice.void", "invoice", other, NULL);

	ck_assert_int_ge(atol(t_sql_value("SELECT ob_audit_public_ids()")), 6);
	ck_assert_str_eq(t_sql_valuef("SELECT target_id FROM audit_log WHERE id = %ld", r_inv),
	    inv_pub);
	ck_assert_str_eq(t_sql_valuef("SELECT target_id || ' ' || (after->>'invoice_id')"
	    " FROM audit_log WHERE id = %ld", r_req), t_sql_valuef("SELECT '%s %s'", rfd_pub,
	    inv_pub));
	ck_assert_str_eq(t_sql_valuef("SELECT target_id || ' ' || (after->>'id') || ' '"
	    " || (after->>'invoice_id') FROM audit_log WHERE id = %ld", r_refund),
	    t_sql_valuef("SELECT '%s %s %s'", inv_pub, rfd_pub, inv_pub));
	ck_assert_str_eq(t_sql_valuef("SELECT target_id FROM audit_log WHERE id = %ld", r_pur),
	    pur_pub);
	ck_assert_str_eq(t_sql_valuef("SELECT target_id FROM audit_log WHERE id = %ld", r_cross),
	    t_sql_valuef("SELECT '%ld'", other));
	/* Again: nothing left to rename. */
	ck_assert_str_eq(t_sql_value("SELECT ob_audit_public_ids()"), "0");

	/* The org's activity log shows the public ids, not the keys. */
	t_apikey_new(a, "read", key, sizeof(key));
	snprintf(path, sizeof(path), API "/%ld/history?limit=100", a);
	ck_assert_int_eq(t_get_as(NULL, key, path, &r), 200);
	snprintf(needle, sizeof(needle), "\"target_id\":\"%s\"", inv_pub);
	ck_assert_ptr_nonnull(strstr(r.body.data, needle));
	snprintf(needle, sizeof(needle), "\"target_id\":\"%ld\"", inv);
	ck_assert_ptr_null(strstr(r.body.data, needle));
	snprintf(needle, sizeof(needle), "\"target_id\":\"%ld\"", rfd);
	ck_assert_ptr_null(strstr(r.body.data, needle));
	t_resp_free(&r);
}
END_TEST

Suite *
ident_public_ids_suite(void)
{
	return t_suite("ident_public_ids", 120, T_TESTS(ident_credit_purchase_ids_are_opaque,
	    ident_old_activity_rows_get_public_ids));
}
