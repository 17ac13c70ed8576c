/*
 * Invoices, refunds, dunning, e-mail, PDFs, extra-task items and credit
 * purchases over the real stack with the Stripe fake: objects are made at
 * the fake directly (customers, prices, subscriptions), time moves with
 * the fake's test clock, and its signed webhooks reach /stripe/webhook.
 *
 * Needs, besides the usual environment: OB_TEST_STRIPE_FAKE (the fake's
 * base URL), STRIPE_SECRET_KEY, and the SMTP sink's OB_TEST_SMTP_URL and
 * OB_TEST_SMTP_DIR (tests/smtp-sink).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "integration/harness.h"
#include "integration/inv_fixture.h"
#include "unit/unit.h"

/* round(a * b / c) half away from zero, for the expected proration amounts. */
static long long
prorate(long long unit, long long qty, long long remaining, long long period)
{
	long long num = unit * qty * remaining;

	return num >= 0 ? (2 * num + period) / (2 * period) : -((2 * -num + period) / (2 * period));
}

/* ---- tests ---- */

/*
 * The first invoice of 3 seats at 49.00: paid, one line of seats. Its id
 * and number (64 bytes each).
 */
static void
renewal_first_invoice(const struct inv_org *o, char *id, char *number)
{
	cJSON *list, *data, *inv, *lines, *l;

	list = inv_list(o);
	data = cJSON_GetObjectItem(list, "data");
	ck_assert_int_eq(cJSON_GetArraySize(data), 1);
	inv = inv_get(o, t_jstr(cJSON_GetArrayItem(data, 0), "id"));
	ck_assert_str_eq(t_jstr(inv, "status"), "paid");
	ck_assert_int_eq(t_jnum(inv, "total"), 14700);
	ck_assert_int_eq(t_jnum(inv, "amount_paid"), 14700);
	lines = cJSON_GetObjectItem(inv, "lines");
	ck_assert_int_eq(cJSON_GetArraySize(lines), 1);
	l = cJSON_GetArrayItem(lines, 0);
	ck_assert_str_eq(t_jstr(l, "kind"), "seats");
	ck_assert_int_eq(t_jnum(l, "quantity"), 3);
	ck_assert_int_eq(t_jnum(l, "unit_amount"), 4900);
	ck_assert_int_eq(t_jnum(l, "amount"), 14700);
	ck_assert_ptr_nonnull(t_jstr(inv, "number"));
	snprintf(id, 64, "%s", t_jstr(inv, "id"));
	snprintf(number, 64, "%s", t_jstr(inv, "number"));
	cJSON_Delete(inv);
	cJSON_Delete(list);
}

/*
 * Our own PDF of the invoice (render=1) renders and shows number, total
 * and PO number; Stripe's is a redirect.
 */
static void
invoice_pdfs(const struct inv_org *o, const char *id, const char *number)
{
	char path[256], cmd[1024], file[256];
	struct t_resp r;

	snprintf(path, sizeof(path), INV_API "/invoices/%ld/%s/pdf", o->id, id);
	ck_assert_int_eq(t_get_as(NULL, o->key, path, &r), 302);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Location"), "/pdf"));
	t_resp_free(&r);
	snprintf(path, sizeof(path), INV_API "/invoices/%ld/%s/pdf?render=1", o->id, id);
	ck_assert_int_eq(t_get_as(NULL, o->key, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "application/pdf"));
	ck_assert_int_eq(memcmp(r.body.data, "%PDF-", 5), 0);
	snprintf(file, sizeof(file), "/tmp/ob-inv-%d.pdf", (int)getpid());
	{
		FILE *f = fopen(file, "wb");

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fwrite(r.body.data, 1, r.body.len, f), r.body.len);
		fclose(f);
	}
	t_resp_free(&r);
	snprintf(cmd, sizeof(cmd), "pdftoppm -png -r 50 -f 1 -l 1 %s /tmp/ob-inv-%d >/dev/null 2>&1 && "
	    "ls /tmp/ob-inv-%d*.png >/dev/null 2>&1", file, (int)getpid(), (int)getpid());
	ck_assert_msg(system(cmd) == 0, "pdftoppm did not render a page");
	snprintf(cmd, sizeof(cmd), "pdftotext %s - | grep -q '%s' && pdftotext %s - | grep -q '147.00 USD'"
	    " && pdftotext %s - | grep -q 'PO-4711'", file, number, file, file);
	ck_assert_msg(system(cmd) == 0, "the PDF lacks the number, total or PO number");
	snprintf(cmd, sizeof(cmd), "rm -f %s /tmp/ob-inv-%d*.png", file, (int)getpid());
	(void)system(cmd);
}

/*
 * The renewal after 3 → 5 seats mid-period: paid, with the credit for the
 * 3 seats' rest of the period, the charge for the 5, and 5 seats at 49.00
 * for the new period.
 */
static void
renewal_invoice(const struct inv_org *o, long long credit, long long charge)
{
	cJSON *list, *data, *inv, *lines, *l;
	int i, seen_credit = 0, seen_charge = 0, seen_seats = 0;

	list = inv_list(o);
	data = cJSON_GetObjectItem(list, "data");
	ck_assert_int_eq(cJSON_GetArraySize(data), 2);
	inv = inv_get(o, t_jstr(cJSON_GetArrayItem(data, 0), "id"));
	ck_assert_str_eq(t_jstr(inv, "status"), "paid");
	lines = cJSON_GetObjectItem(inv, "lines");
	for (i = 0; i < cJSON_GetArraySize(lines); i++) {
		l = cJSON_GetArrayItem(lines, i);
		if (strcmp(t_jstr(l, "kind"), "proration") == 0 && t_jnum(l, "amount") < 0) {
			ck_assert_int_eq(t_jnum(l, "amount"), credit);
			ck_assert_int_eq(t_jnum(l, "quantity"), 3);
			seen_credit++;
		} else if (strcmp(t_jstr(l, "kind"), "proration") == 0) {
			ck_assert_int_eq(t_jnum(l, "amount"), charge);
			ck_assert_int_eq(t_jnum(l, "quantity"), 5);
			seen_charge++;
		} else {
			ck_assert_str_eq(t_jstr(l, "kind"), "seats");
			ck_assert_int_eq(t_jnum(l, "quantity"), 5);
			ck_assert_int_eq(t_jnum(l, "unit_amount"), 4900);
			ck_assert_int_eq(t_jnum(l, "amount"), 24500);
			seen_seats++;
		}
	}
	ck_assert_int_eq(seen_credit, 1);
	ck_assert_int_eq(seen_charge, 1);
	ck_assert_int_eq(seen_seats, 1);
	ck_assert_int_eq(t_jnum(inv, "total"), 24500 + credit + charge);
	ck_assert_int_eq(t_jnum(inv, "subtotal"), 24500 + credit + charge);
	cJSON_Delete(inv);
	cJSON_Delete(list);
}

/*
 * A subscription's first invoice and its renewal after a mid-period seat
 * change: both appear locally with lines matching seats and prorations to
 * the cent; the receipt arrives at the SMTP sink; the PDF renders.
 */
START_TEST(inv_renewal_lines_receipt_pdf)
{
	struct inv_org o;
	char id[64], number[64], path[256], form[256], q[128];
	long long start, end, pdate;
	cJSON *sub, *item;

	inv_smtp_env();
	inv_org_new(&o, "renew", "pm_card_visa");
	sub = inv_subscription_new(&o, 4900, 3);
	item = inv_sub_item(sub);
	start = t_jnum(item, "current_period_start");
	end = t_jnum(item, "current_period_end");
	inv_deliver();
	renewal_first_invoice(&o, id, number);

	/* The receipt goes to the billing e-mail through the outbox. */
	ck_assert_int_eq(t_jobs_once(), 0);
	snprintf(q, sizeof(q), "Receipt for invoice %s", number);
	ck_assert_msg(inv_mail_has(q, "147.00 USD"), "no receipt for %s in the SMTP sink", number);
	invoice_pdfs(&o, id, number);

	/* Five seats from the middle of the period, prorated into the renewal. */
	pdate = start + (end - start) / 2;
	snprintf(path, sizeof(path), "/v1/subscriptions/%s", t_jstr(sub, "id"));
	snprintf(form, sizeof(form), "items[0][id]=%s&items[0][quantity]=5&proration_behavior=create_prorations"
	    "&proration_date=%lld", t_jstr(item, "id"), pdate);
	cJSON_Delete(inv_fake("POST", path, form, 200));
	inv_advance_to(end + 3600);
	inv_deliver();
	renewal_invoice(&o, -prorate(4900, 3, end - pdate, end - start),
	    prorate(4900, 5, end - pdate, end - start));
	cJSON_Delete(sub);
}
END_TEST

/*
 * POST a refund of the invoice (fields: the rest of the JSON body) as
 * staff: the status (answer as t_call).
 */
static long
staff_refund(const struct t_session *staff, long org, const char *inv_id, const char *fields,
    struct t_resp *r)
{
	char path[128], hc[128], body[256];
	const char *extra[2] = { hc, NULL };

	snprintf(path, sizeof(path), INV_API "/refunds/%ld", org);
	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", staff->csrf);
	snprintf(body, sizeof(body), "{\"invoice_id\":\"%s\",%s}", inv_id, fields);
	return t_call(staff->cookie, NULL, "POST", path, body, "application/json", extra, r);
}

/* A refund staff makes (201): amount refunded, remaining still refundable. */
static void
refund_made(const struct t_session *staff, long org, const char *inv_id, const char *fields,
    long long amount, long long remaining)
{
	struct t_resp r;
	long status = staff_refund(staff, org, inv_id, fields, &r);
	cJSON *j;

	ck_assert_msg(status == 201, "%ld %s", status, r.body.data);
	j = t_json(&r);
	ck_assert_int_eq(t_jnum(j, "amount"), amount);
	ck_assert_int_eq(t_jnum(j, "refundable_remaining"), remaining);
	cJSON_Delete(j);
	t_resp_free(&r);
}

/* A refund refused with status want and the error code. */
static void
refund_refused(const struct t_session *staff, long org, const char *inv_id, const char *fields,
    long want, const char *code)
{
	struct t_resp r;

	ck_assert_int_eq(staff_refund(staff, org, inv_id, fields, &r), want);
	ck_assert_ptr_nonnull(strstr(r.body.data, code));
	t_resp_free(&r);
}

/*
 * After refunds of 100.00 in all, in two: Stripe's charge, our invoice,
 * the list and the audit log agree.
 */
static void
refunds_in_step(const struct inv_org *o, const char *inv_id)
{
	char path[256];
	cJSON *charges, *ch = NULL, *j;
	int i;

	/* Stripe's charge agrees; charge.refunded keeps the invoice in step. */
	snprintf(path, sizeof(path), "/v1/charges?customer=%s", o->cus);
	charges = inv_fake("GET", path, NULL, 200);
	for (i = 0; i < cJSON_GetArraySize(cJSON_GetObjectItem(charges, "data")); i++) {
		cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(charges, "data"), i);

		if (cJSON_IsTrue(cJSON_GetObjectItem(c, "paid")))
			ch = c;
	}
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(t_jnum(ch, "amount_refunded"), 10000);
	cJSON_Delete(charges);
	inv_deliver();
	ck_assert_str_eq(t_sql_valuef("SELECT amount_refunded || ':' || (SELECT count(*) FROM refunds r"
	    " WHERE r.invoice_id = i.id AND r.status = 'succeeded') FROM invoices i WHERE i.public_id = '%s'",
	    inv_id), "10000:2");
	snprintf(path, sizeof(path), INV_API "/refunds/%ld", o->id);
	j = inv_api(o->key, "GET", path, NULL, 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "data")), 2);
	cJSON_Delete(j);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld AND action ="
	    " 'invoice.refund' AND actor_type = 'staff' AND reason IS NOT NULL", o->id), "2");
}

/* Partial then full refund; an over-refund and a refund of nothing are refused. */
START_TEST(inv_refunds_partial_full_over)
{
	struct t_session staff;
	struct inv_org o;
	char path[256], body[256];
	cJSON *sub, *list, *inv;
	const char *inv_id;

	inv_org_new(&o, "refund", "pm_card_visa");
	sub = inv_subscription_new(&o, 2500, 4);
	inv_deliver();
	list = inv_list(&o);
	inv = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "data"), 0);
	ck_assert_ptr_nonnull(inv);
	ck_assert_int_eq(t_jnum(inv, "amount_paid"), 10000);
	inv_id = t_jstr(inv, "id");

	t_reset_rate_limits();
	t_session_new("staff@orgbill.test", &staff);

	/* Not staff: an org admin key cannot refund. */
	snprintf(path, sizeof(path), INV_API "/refunds/%ld", o.id);
	snprintf(body, sizeof(body), "{\"invoice_id\":\"%s\",\"amount\":100,\"reason\":\"goodwill\"}", inv_id);
	ck_assert_int_ne(t_json_as(o.key, "POST", path, body, NULL, NULL), 201);

	refund_made(&staff, o.id, inv_id, "\"amount\":3000,\"reason\":\"service outage\"", 3000, 7000);
	refund_refused(&staff, o.id, inv_id, "\"amount\":7001,\"reason\":\"too much\"", 400,
	    "amount_exceeds_refundable");
	refund_made(&staff, o.id, inv_id, "\"reason\":\"cancelled contract\"", 7000, 0);
	t_reset_rate_limits();
	refund_refused(&staff, o.id, inv_id, "\"reason\":\"cancelled contract\"", 409, "nothing_to_refund");

	refunds_in_step(&o, inv_id);
	cJSON_Delete(list);
	cJSON_Delete(sub);
}
END_TEST

/* An SQL expression over the org's row in organizations: its value. */
static const char *
org_value(long org, const char *expr)
{
	return t_sql_valuef("SELECT %s FROM organizations WHERE id = %ld", expr, org);
}

/* The org's dunning state began days ago; the jobs runner acts on that. */
static void
dunning_aged(long org, int days)
{
	t_sqlf("UPDATE org_dunning SET state_since = now() - interval '%d days' WHERE org_id = %ld", days, org);
	ck_assert_int_eq(t_jobs_once(), 0);
}

/* A restricted org's metered deduction for user is refused, and nothing is spent. */
static void
restricted_deduction_refused(const struct inv_org *o, long user)
{
	char path[128], body[256], idem[96];
	const char *extra[2] = { idem, NULL };
	struct t_resp r;
	long status;

	snprintf(path, sizeof(path), INV_API "/credits/%ld/deduct", o->id);
	snprintf(body, sizeof(body), "{\"user_id\":\"%ld\",\"amount\":5,\"service\":\"test\"}", user);
	snprintf(idem, sizeof(idem), "Idempotency-Key: dun-%d-%ld", (int)getpid(), (long)time(NULL));
	status = t_json_as(o->key, "POST", path, body, extra, &r);
	ck_assert_msg(status >= 400, "a restricted org's deduction went through: %ld", status);
	if (status == 402)
		ck_assert_ptr_nonnull(strstr(r.body.data, "billing_restricted"));
	t_resp_free(&r);
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM credit_usage WHERE org_id = %ld", o->id), "0");
}

/*
 * Dunning end to end: the renewal's payment fails at the fake → past_due;
 * after the grace period → restricted (deductions refused); after the
 * further period → subscription canceled at Stripe and org suspended; a
 * successful payment restores active exactly once.
 */
START_TEST(inv_dunning_end_to_end)
{
	struct inv_org o;
	char path[256], sub_id[64], open_inv[64];
	long member = t_user_id("member@acme.test");
	long long end;
	cJSON *sub, *j, *list, *data;
	int i;

	inv_smtp_env();
	inv_org_new(&o, "dunning", "pm_card_visa");
	sub = inv_subscription_new(&o, 1000, 1);
	snprintf(sub_id, sizeof(sub_id), "%s", t_jstr(sub, "id"));
	end = t_jnum(inv_sub_item(sub), "current_period_end");
	inv_deliver();
	/* Credits to meter with, and a member to meter for. */
	snprintf(path, sizeof(path), "credits grant --org %ld --amount 1000 --reason 'test grant'", o.id);
	ck_assert_int_eq(t_cli(path, NULL, NULL, 0), 0);
	t_member_add(o.id, member, "member", NULL);

	/* The card starts to decline; the renewal fails. */
	inv_set_card(o.cus, "pm_card_chargeDeclined");
	inv_advance_to(end + 60);
	inv_deliver();
	snprintf(path, sizeof(path), INV_API "/dunning/%ld", o.id);
	j = inv_api(o.key, "GET", path, NULL, 200);
	ck_assert_str_eq(t_jstr(j, "state"), "past_due");
	snprintf(open_inv, sizeof(open_inv), "%s", t_jstr(j, "invoice"));
	cJSON_Delete(j);
	ck_assert_int_eq(t_jobs_once(), 0);
	ck_assert_msg(inv_mail_has("Payment failed for Inv dunning", "could not collect"), "no failure notice");
	ck_assert_str_eq(org_value(o.id, "billing_state"), "past_due");	/* the grace period runs */

	/* Grace over → restricted: metered deductions are refused. */
	dunning_aged(o.id, 8);
	ck_assert_str_eq(org_value(o.id, "billing_state"), "restricted");
	restricted_deduction_refused(&o, member);
	/* Billing pages still work. */
	snprintf(path, sizeof(path), INV_API "/invoices/%ld", o.id);
	cJSON_Delete(inv_api(o.key, "GET", path, NULL, 200));

	/* Further period over → the subscription is canceled at Stripe, the org suspended. */
	dunning_aged(o.id, 15);
	ck_assert_str_eq(org_value(o.id, "billing_state || ':' || status"), "suspended:suspended");
	snprintf(path, sizeof(path), "/v1/subscriptions/%s", sub_id);
	j = inv_fake("GET", path, NULL, 200);
	ck_assert_str_eq(t_jstr(j, "status"), "canceled");
	cJSON_Delete(j);

	/* A good card pays the open invoice: active again, exactly once. */
	inv_set_card(o.cus, "pm_card_visa");
	snprintf(path, sizeof(path), "/v1/invoices/%s/pay", open_inv);
	cJSON_Delete(inv_fake("POST", path, "", 200));
	inv_fake_ctl("/_fake/webhooks/deliver", "{\"duplicate\":3}");
	ck_assert_str_eq(org_value(o.id, "billing_state || ':' || status"), "active:active");
	ck_assert_str_eq(t_sql_valuef("SELECT count(*) FROM audit_log WHERE org_id = %ld"
	    " AND action = 'billing.recovered'", o.id), "1");
	list = inv_list(&o);
	data = cJSON_GetObjectItem(list, "data");
	for (i = 0; i < cJSON_GetArraySize(data); i++)
		if (strcmp(t_jstr(cJSON_GetArrayItem(data, i), "stripe_invoice_id"), open_inv) == 0)
			ck_assert_str_eq(t_jstr(cJSON_GetArrayItem(data, i), "status"), "paid");
	cJSON_Delete(list);
	cJSON_Delete(sub);
}
END_TEST

static void *
jobs_thread(void *arg)
{
	char cmd[1024];

	(void)arg;
	snprintf(cmd, sizeof(cmd), "%s/orgbill jobs --once >/dev/null 2>&1", t_env("OB_TEST_BIN_DIR"));
	return (void *)(long)system(cmd);
}

/*
 * Extra-task usage of a finished period → one Stripe invoice item, even
 * with two concurrent jobs.
 */
START_TEST(inv_extra_tasks_once)
{
	struct inv_org o;
	char path[256];
	pthread_t a, b;
	cJSON *items;
	int i, n = 0;

	inv_org_new(&o, "extra", NULL);
	t_sqlf("INSERT INTO credit_extra_usage (org_id, period_start, tasks, credits)"
	    " VALUES (%ld, credit_period(now() - interval '1 month'), 7, 12345)", o.id);
	ck_assert_int_eq(pthread_create(&a, NULL, jobs_thread, NULL), 0);
	ck_assert_int_eq(pthread_create(&b, NULL, jobs_thread, NULL), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	ck_assert_int_eq(t_jobs_once(), 0);
	/* 12345 credits at 1.00 USD per 1000: 1234.5 cents, half away from zero. */
	ck_assert_str_eq(t_sql_valuef("SELECT status || ':' || amount FROM extra_task_items WHERE org_id = %ld",
	    o.id), "created:1235");
	snprintf(path, sizeof(path), "/v1/invoiceitems?customer=%s&limit=100", o.cus);
	items = inv_fake("GET", path, NULL, 200);
	for (i = 0; i < cJSON_GetArraySize(cJSON_GetObjectItem(items, "data")); i++) {
		cJSON *it = cJSON_GetArrayItem(cJSON_GetObjectItem(items, "data"), i);

		if (t_jstr(cJSON_GetObjectItem(it, "metadata"), "orgbill_kind") != NULL &&
		    strcmp(t_jstr(cJSON_GetObjectItem(it, "metadata"), "orgbill_kind"), "extra_tasks") == 0) {
			n++;
			ck_assert_int_eq(t_jnum(it, "amount"), 1235);
		}
	}
	ck_assert_int_eq(n, 1);
	cJSON_Delete(items);
}
END_TEST

/* Credits bought through a Stripe invoice are granted once, when it is paid. */
START_TEST(inv_credit_purchase_once)
{
	struct t_session billing;
	struct inv_org o;
	char q[512], path[256], hc[128];
	const char *extra[2] = { hc, NULL };
	struct t_resp r;
	long status;
	cJSON *j;

	inv_org_new(&o, "buy", "pm_card_visa");
	t_member_add(o.id, t_user_id("billing@acme.test"), "billing", NULL);
	t_reset_rate_limits();
	t_session_new("billing@acme.test", &billing);
	snprintf(hc, sizeof(hc), "X-CSRF-Token: %s", billing.csrf);
	snprintf(path, sizeof(path), INV_API "/credit-purchases/%ld", o.id);
	/* Payment actions are for people, not API keys. */
	ck_assert_int_ne(t_json_as(o.key, "POST", path, "{\"credits\":5000}", NULL, NULL), 201);
	status = t_call(billing.cookie, NULL, "POST", path, "{\"credits\":5000}", "application/json", extra, &r);
	ck_assert_msg(status == 201, "%ld %s", status, r.body.data);
	j = t_json(&r);
	ck_assert_str_eq(t_jstr(j, "status"), "paid");
	ck_assert_int_eq(t_jnum(j, "amount"), 500);
	cJSON_Delete(j);
	t_resp_free(&r);
	snprintf(q, sizeof(q), "SELECT count(*) FROM credit_grants WHERE org_id = %ld AND source = 'purchase'", o.id);
	ck_assert_str_eq(t_sql_value(q), "0");	/* only on invoice.paid */
	inv_fake_ctl("/_fake/webhooks/deliver", "{\"duplicate\":3}");
	ck_assert_str_eq(t_sql_value(q), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT amount FROM credit_grants WHERE org_id = %ld AND source = 'purchase'",
	    o.id), "5000");
	ck_assert_str_eq(t_sql_valuef("SELECT status FROM credit_purchases WHERE org_id = %ld", o.id), "granted");
	/* The invoice's line is a credit purchase. */
	ck_assert_str_eq(t_sql_valuef("SELECT kind || ':' || amount FROM invoice_lines WHERE org_id = %ld", o.id),
	    "credit_purchase:500");
}
END_TEST

/* The reconcile pass restores invoices missed by webhooks; CSV export; filters. */
START_TEST(inv_reconcile_csv_filters)
{
	struct inv_org o;
	char q[512], path[256];
	struct t_resp r;
	cJSON *sub, *list;

	inv_org_new(&o, "recon", "pm_card_visa");
	sub = inv_subscription_new(&o, 1234, 2);
	/* The webhooks are "lost": the reconcile pass must find the invoice. */
	inv_fake_ctl("/_fake/webhooks/deliver", "{\"url\":\"http://127.0.0.1:9/nowhere\"}");
	snprintf(q, sizeof(q), "SELECT count(*) FROM invoices WHERE org_id = %ld", o.id);
	ck_assert_str_eq(t_sql_value(q), "0");
	ck_assert_int_eq(t_jobs_once(), 0);
	ck_assert_str_eq(t_sql_value(q), "1");
	ck_assert_str_eq(t_sql_valuef("SELECT status || ':' || total FROM invoices WHERE org_id = %ld", o.id),
	    "paid:2468");

	cJSON_Delete(inv_list(&o));
	snprintf(path, sizeof(path), INV_API "/invoices/%ld?status=void", o.id);
	list = inv_api(o.key, "GET", path, NULL, 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(list, "data")), 0);
	cJSON_Delete(list);
	snprintf(path, sizeof(path), INV_API "/invoices/%ld?status=bogus", o.id);
	cJSON_Delete(inv_api(o.key, "GET", path, NULL, 400));
	snprintf(path, sizeof(path), INV_API "/invoices/%ld?from=2020-13-01", o.id);
	cJSON_Delete(inv_api(o.key, "GET", path, NULL, 400));

	snprintf(path, sizeof(path), INV_API "/invoices/%ld/export.csv", o.id);
	ck_assert_int_eq(t_get_as(NULL, o.key, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(t_header(&r, "Content-Type"), "text/csv"));
	ck_assert_int_eq(strncmp(r.body.data, "id,number,status,created", 24), 0);
	ck_assert_ptr_nonnull(strstr(r.body.data, ",paid,"));
	ck_assert_ptr_nonnull(strstr(r.body.data, ",24.68,"));
	t_resp_free(&r);
	/* Another org's invoices do not leak. */
	snprintf(path, sizeof(path), INV_API "/invoices/%ld", o.id + 100000);
	ck_assert_int_eq(t_get_as(NULL, o.key, path, NULL), 404);
	cJSON_Delete(sub);
}
END_TEST

/*
 * These tests move the fake's clock forward (renewals, dunning); later
 * suites create subscriptions at the real time, which Stripe would refuse
 * as outside the period. Put the fake's clock back when this case is done.
 */
static void
fake_reset(void)
{
	char cmd[512];
	const char *base = getenv("OB_TEST_STRIPE_FAKE");

	if (base == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -X POST '%s/_fake/clock/reset'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "invoices: could not reset the Stripe fake's clock\n");
}

Suite *invoices_suite(void)
{
	Suite *s = suite_create("invoices");
	TCase *tc = t_tcase("invoices", 240, T_TESTS(inv_renewal_lines_receipt_pdf,
	    inv_refunds_partial_full_over, inv_dunning_end_to_end, inv_extra_tasks_once,
	    inv_credit_purchase_once, inv_reconcile_csv_filters));

	tcase_add_unchecked_fixture(tc, NULL, fake_reset);
	suite_add_tcase(s, tc);
	return s;
}
