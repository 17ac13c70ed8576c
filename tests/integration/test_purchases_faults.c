/*
 * Paid credit purchases never lose money: with the Stripe fake's fault
 * injection (500s, dropped connections, a late answer after the charge)
 * and a database failure after the charge, the customer is charged at most
 * once and granted exactly once, and a retry with the same Idempotency-Key
 * resumes the purchase instead of starting another one. Refunds call
 * Stripe with no invoice lock held, and a refund Stripe made whose local
 * record was lost is re-attached from its webhooks.
 *
 * Counted at the fake: its charges and invoices for the org's customer.
 * Needs OB_TEST_STRIPE_FAKE and STRIPE_SECRET_KEY (as test_invoices.c).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "base/db.h"
#include "integration/harness.h"

#define API "/api/v1/org-billing"

static cJSON *
parse(const struct t_resp *r)
{
	cJSON *j = cJSON_Parse(r->body.data ? r->body.data : "");

	ck_assert_msg(j != NULL, "not JSON: %s", r->body.data ? r->body.data : "");
	return j;
}

static const char *
js(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* A Stripe API call at the fake; the parsed answer (status checked). */
static cJSON *
fake(const char *method, const char *path, const char *form, long want)
{
	char auth[256];
	const char *hdr[3] = { auth, "Content-Type: application/x-www-form-urlencoded", NULL };
	struct t_resp r;
	cJSON *j;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t_env("STRIPE_SECRET_KEY"));
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), method, path, form,
	    form ? strlen(form) : 0, hdr, &r), 0);
	ck_assert_msg(r.status == want, "%s %s: %ld %s", method, path, r.status, r.body.data);
	j = parse(&r);
	t_resp_free(&r);
	return j;
}

/* A fake control call with a JSON body (DELETE with none). */
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

/* How many objects of kind ("charges", "invoices") the fake holds for customer cus. */
static int
fake_count(const char *kind, const char *cus)
{
	char path[160];
	cJSON *j;
	int n;

	snprintf(path, sizeof(path), "/v1/%s?customer=%s&limit=100", kind, cus);
	j = fake("GET", path, NULL, 200);
	n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "data"));
	cJSON_Delete(j);
	return n;
}

/* An org with its Stripe customer (a visa card as default) and a billing member's session. */
struct buyer {
	long org;
	char cus[64];
	struct t_session s;
	char csrf[128];
};

static void
buyer_new(const char *tag, struct buyer *b)
{
	static int n;
	char key[128], tagx[64], name[64], mail[128], path[128], form[256], q[256];
	const char *pm_id;
	struct t_resp r;
	cJSON *pm, *c;

	snprintf(tagx, sizeof(tagx), "pf-%s", tag);
	snprintf(name, sizeof(name), "Purchase %s", tag);
	snprintf(mail, sizeof(mail), "billing-pf-%s-%d@inv.test", tag, n++);
	b->org = t_org_new(tagx, name, mail);
	t_apikey_new(b->org, "read,write,meter,admin", key, sizeof(key));
	snprintf(path, sizeof(path), API "/billing-details/%ld", b->org);
	ck_assert_int_eq(t_http_as(NULL, key, "POST", path, "{\"address\":{\"line1\":\"1 Test Road\","
	    "\"city\":\"Springfield\",\"postal_code\":\"12345\",\"country\":\"us\"}}",
	    "application/json", NULL, &r), 0);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	snprintf(q, sizeof(q), "SELECT stripe_customer_id FROM org_billing_details WHERE org_id = %ld",
	    b->org);
	snprintf(b->cus, sizeof(b->cus), "%s", t_sql_value(q));
	ck_assert_int_eq(strncmp(b->cus, "cus_", 4), 0);
	snprintf(form, sizeof(form), "customer=%s", b->cus);
	pm = fake("POST", "/v1/payment_methods/pm_card_visa/attach", form, 200);
	pm_id = js(pm, "id");
	snprintf(path, sizeof(path), "/v1/customers/%s", b->cus);
	snprintf(form, sizeof(form), "invoice_settings[default_payment_method]=%s", pm_id);
	c = fake("POST", path, form, 200);
	cJSON_Delete(c);
	cJSON_Delete(pm);
	t_member_add(b->org, t_user_id("billing@acme.test"), "billing", NULL);
	t_reset_rate_limits();
	t_session_new("billing@acme.test", &b->s);
	snprintf(b->csrf, sizeof(b->csrf), "X-CSRF-Token: %s", b->s.csrf);
}

/* POST a purchase of credits with Idempotency-Key key; the status into r (caller frees). */
static void
buy(struct buyer *b, int credits, const char *key, struct t_resp *r)
{
	char path[128], body[64], kh[128];
	const char *extra[3] = { b->csrf, kh, NULL };

	snprintf(path, sizeof(path), API "/credit-purchases/%ld", b->org);
	snprintf(body, sizeof(body), "{\"credits\":%d}", credits);
	snprintf(kh, sizeof(kh), "Idempotency-Key: %s", key);
	ck_assert_int_eq(t_http_as(b->s.cookie, NULL, "POST", path, body, "application/json", extra,
	    r), 0);
}

/* The org's purchase grants as "count:sum of credits". */
static const char *
grants(long org)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT count(*) || ':' || COALESCE(sum(amount), 0) FROM credit_grants"
	    " WHERE org_id = %ld AND source = 'purchase'", org);
	return t_sql_value(q);
}

/* The org's purchases as "count:status,status…". */
static const char *
purchases(long org)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT count(*) || ':' || string_agg(status, ',' ORDER BY id)"
	    " FROM credit_purchases WHERE org_id = %ld", org);
	return t_sql_value(q);
}

/* The webhooks of everything so far reach us (each three times); grants are then checked. */
static void
deliver(void)
{
	fake_ctl("POST", "/_fake/webhooks/deliver", "{\"duplicate\":3}");
}

/* A retry with the same key answers the same purchase, replayed, and charges nothing more. */
static void
retry_same(struct buyer *b, const char *key, const char *pid)
{
	struct t_resp r;
	cJSON *j;

	buy(b, 5000, key, &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body.data);
	ck_assert_str_eq(t_header(&r, "Idempotent-Replayed"), "true");
	j = parse(&r);
	ck_assert_str_eq(js(j, "status"), "paid");
	if (pid != NULL)
		ck_assert_str_eq(js(j, "id"), pid);
	cJSON_Delete(j);
	t_resp_free(&r);
}

/*
 * Stripe answers 500 to every try of the charge: the API fails (502), the
 * purchase stays recorded; the retry with the same key resumes it on the
 * same Stripe invoice. One invoice, one charge, one grant.
 */
START_TEST(purchase_500_then_retry_same_key)
{
	struct buyer b;
	struct t_resp r;

	buyer_new("s500", &b);
	fake_ctl("POST", "/_fake/faults", "{\"status\":500,\"count\":3,\"method\":\"POST\","
	    "\"path_prefix\":\"/v1/invoices/\"}");
	buy(&b, 5000, "buy-500-1", &r);
	ck_assert_msg(r.status == 502, "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	fake_ctl("DELETE", "/_fake/faults", NULL);
	ck_assert_str_eq(purchases(b.org), "1:open");
	ck_assert_int_eq(fake_count("charges", b.cus), 0);
	retry_same(&b, "buy-500-1", NULL);
	ck_assert_int_eq(fake_count("invoices", b.cus), 1);
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	deliver();
	ck_assert_str_eq(grants(b.org), "1:5000");
	ck_assert_str_eq(purchases(b.org), "1:granted");
	retry_same(&b, "buy-500-1", NULL);
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	ck_assert_str_eq(grants(b.org), "1:5000");
}
END_TEST

/* The connection drops on every try of the charge: as with the 500s. */
START_TEST(purchase_drop_then_retry_same_key)
{
	struct buyer b;
	struct t_resp r;

	buyer_new("drop", &b);
	fake_ctl("POST", "/_fake/faults", "{\"drop\":true,\"count\":8,\"method\":\"POST\","
	    "\"path_prefix\":\"/v1/invoices/\"}");
	buy(&b, 5000, "buy-drop-1", &r);
	ck_assert_msg(r.status == 502, "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	fake_ctl("DELETE", "/_fake/faults", NULL);
	retry_same(&b, "buy-drop-1", NULL);
	retry_same(&b, "buy-drop-1", NULL);
	ck_assert_int_eq(fake_count("invoices", b.cus), 1);
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	deliver();
	ck_assert_str_eq(grants(b.org), "1:5000");
	ck_assert_str_eq(purchases(b.org), "1:granted");
}
END_TEST

/*
 * The charge is made but its answer comes after the client's timeout: the
 * client's retry (same Stripe key) replays it. One charge; the retry of the
 * whole request with the same key answers the same purchase.
 */
START_TEST(purchase_timeout_after_charge)
{
	struct buyer b;
	struct t_resp r;
	char pid[64];	/* the public id: pur_ and 32 hex digits */
	cJSON *j;

	buyer_new("late", &b);
	fake_ctl("POST", "/_fake/faults", "{\"delay_ms\":25000,\"count\":1,\"method\":\"POST\","
	    "\"path_prefix\":\"/v1/invoices/\"}");
	buy(&b, 5000, "buy-late-1", &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body.data);
	j = parse(&r);
	ck_assert_str_eq(js(j, "status"), "paid");
	snprintf(pid, sizeof(pid), "%s", js(j, "id"));
	cJSON_Delete(j);
	t_resp_free(&r);
	fake_ctl("DELETE", "/_fake/faults", NULL);
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	retry_same(&b, "buy-late-1", pid);
	deliver();
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	ck_assert_str_eq(grants(b.org), "1:5000");
}
END_TEST

/*
 * The charge succeeds, then recording its outcome fails in the database
 * (the invoices table is locked past the statement timeout). The purchase
 * row was committed before Stripe was called, so invoice.paid finds it and
 * grants once; a retry with the same key charges nothing more.
 */
START_TEST(purchase_db_failure_after_charge)
{
	struct ob_db lock;
	struct buyer b;
	struct t_resp r;
	cJSON *j;

	buyer_new("dbfail", &b);
	t_db_open(&lock);
	ck_assert_int_eq(ob_db_exec_script(&lock, "SET idle_in_transaction_session_timeout = 0;"
	    " SET statement_timeout = 0; BEGIN; LOCK TABLE invoices IN ACCESS EXCLUSIVE MODE"), 0);
	buy(&b, 5000, "buy-dbfail-1", &r);
	ck_assert_int_eq(ob_db_exec_script(&lock, "ROLLBACK"), 0);
	ob_db_close(&lock);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body.data);
	j = parse(&r);
	ck_assert_str_eq(js(j, "status"), "paid");
	cJSON_Delete(j);
	t_resp_free(&r);
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	ck_assert_str_eq(purchases(b.org), "1:open");
	deliver();
	ck_assert_str_eq(grants(b.org), "1:5000");
	retry_same(&b, "buy-dbfail-1", NULL);
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	ck_assert_str_eq(grants(b.org), "1:5000");
	ck_assert_str_eq(purchases(b.org), "1:granted");
}
END_TEST

/* The same key with another number of credits is refused; nothing is charged for it. */
START_TEST(purchase_key_reused_other_credits)
{
	struct buyer b;
	struct t_resp r;

	buyer_new("reuse", &b);
	buy(&b, 5000, "buy-reuse-1", &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	buy(&b, 6000, "buy-reuse-1", &r);
	ck_assert_msg(r.status == 409, "%ld %s", r.status, r.body.data);
	ck_assert_msg(strstr(r.body.data, "idempotency_key_reused") != NULL, "%s", r.body.data);
	t_resp_free(&r);
	ck_assert_int_eq(fake_count("charges", b.cus), 1);
	ck_assert_str_eq(purchases(b.org), "1:open");
}
END_TEST

/* A bought and paid purchase of 5000 credits, its invoice mirrored; the charge's id into ch. */
static void
paid_purchase(struct buyer *b, const char *key, char *ch, size_t len)
{
	char path[160];
	struct t_resp r;
	cJSON *j, *c;

	buy(b, 5000, key, &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body.data);
	t_resp_free(&r);
	deliver();
	snprintf(path, sizeof(path), "/v1/charges?customer=%s&limit=100", b->cus);
	j = fake("GET", path, NULL, 200);
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "data"), 0);
	ck_assert_ptr_nonnull(c);
	snprintf(ch, len, "%s", js(c, "id"));
	cJSON_Delete(j);
}

/*
 * Stripe refunded (its refund names our refund 999999999 in metadata) but
 * the local record is missing: charge.refunded / refund.updated re-attach
 * it, and the invoice's refunded total follows.
 */
START_TEST(refund_reattached_from_webhook)
{
	struct buyer b;
	char ch[64], form[256], q[256];
	cJSON *re;

	buyer_new("reatt", &b);
	paid_purchase(&b, "buy-reatt-1", ch, sizeof(ch));
	snprintf(form, sizeof(form), "charge=%s&amount=200&metadata[orgbill_refund]=999999999"
	    "&metadata[orgbill_org]=%ld", ch, b.org);
	re = fake("POST", "/v1/refunds", form, 200);
	cJSON_Delete(re);
	deliver();
	snprintf(q, sizeof(q), "SELECT amount || ':' || status || ':' || reason FROM refunds"
	    " WHERE org_id = %ld", b.org);
	ck_assert_str_eq(t_sql_value(q), "200:succeeded:re-attached from Stripe (the local record was lost)");
	snprintf(q, sizeof(q), "SELECT amount_refunded FROM invoices WHERE org_id = %ld", b.org);
	ck_assert_str_eq(t_sql_value(q), "200");
}
END_TEST

struct refund_call {
	const char *cookie, *csrf, *path, *body, *key;
	long status;
	char id[32];
};

/* A staff refund request (a thread's body, or called directly). */
static void *
refund_post(void *arg)
{
	struct refund_call *c = arg;
	char kh[128];
	const char *extra[3] = { c->csrf, kh, NULL };
	struct t_resp r;
	cJSON *j;

	snprintf(kh, sizeof(kh), "Idempotency-Key: %s", c->key);
	c->status = -1;
	if (t_http_as(c->cookie, NULL, "POST", c->path, c->body, "application/json", extra, &r) != 0)
		return NULL;
	c->status = r.status;
	j = cJSON_Parse(r.body.data ? r.body.data : "");
	snprintf(c->id, sizeof(c->id), "%s", j != NULL && js(j, "id") ? js(j, "id") : "");
	cJSON_Delete(j);
	t_resp_free(&r);
	return NULL;
}

/*
 * While Stripe takes its time over a refund, the invoice's row is not
 * locked (another session locks it with NOWAIT). The refund completes; a
 * retry with the same key answers the same refund and Stripe holds one.
 */
START_TEST(refund_no_lock_during_stripe_call)
{
	struct buyer b;
	struct t_session staff;
	struct refund_call c = { 0 };
	char ch[64], path[128], body[256], csrf[128], q[256], sql[256], inv[24];
	struct ob_db db;
	pthread_t th;
	cJSON *j;
	int locked;

	buyer_new("nolock", &b);
	paid_purchase(&b, "buy-nolock-1", ch, sizeof(ch));
	snprintf(q, sizeof(q), "SELECT id FROM invoices WHERE org_id = %ld", b.org);
	snprintf(inv, sizeof(inv), "%s", t_sql_value(q));
	t_reset_rate_limits();
	t_session_new("staff@orgbill.test", &staff);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", staff.csrf);
	snprintf(path, sizeof(path), API "/refunds/%ld", b.org);
	snprintf(body, sizeof(body), "{\"invoice_id\":\"%s\",\"amount\":150,\"reason\":\"slow refund\"}",
	    inv);
	c.cookie = staff.cookie;
	c.csrf = csrf;
	c.path = path;
	c.body = body;
	c.key = "refund-nolock-1";
	fake_ctl("POST", "/_fake/faults", "{\"delay_ms\":4000,\"count\":1,\"method\":\"POST\","
	    "\"path_prefix\":\"/v1/refunds\"}");
	ck_assert_int_eq(pthread_create(&th, NULL, refund_post, &c), 0);
	t_sleep_ms(2000);
	t_db_open(&db);
	snprintf(sql, sizeof(sql), "BEGIN; SELECT 1 FROM invoices WHERE id = %s FOR UPDATE NOWAIT", inv);
	locked = ob_db_exec_script(&db, sql) != 0;
	(void)ob_db_exec_script(&db, "ROLLBACK");
	ob_db_close(&db);
	pthread_join(th, NULL);
	ck_assert_msg(!locked, "the invoice row was locked during the Stripe call");
	ck_assert_msg(c.status == 201, "refund: %ld", c.status);
	snprintf(q, sizeof(q), "/v1/refunds?charge=%s&limit=100", ch);
	j = fake("GET", q, NULL, 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "data")), 1);
	cJSON_Delete(j);
	snprintf(q, sizeof(q), "%s", c.id);
	refund_post(&c);
	ck_assert_msg(c.status == 201, "retry: %ld", c.status);
	ck_assert_str_eq(c.id, q);
	snprintf(q, sizeof(q), "/v1/refunds?charge=%s&limit=100", ch);
	j = fake("GET", q, NULL, 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "data")), 1);
	cJSON_Delete(j);
	snprintf(sql, sizeof(sql), "SELECT count(*) || ':' || sum(amount) FROM refunds WHERE org_id = %ld",
	    b.org);
	ck_assert_str_eq(t_sql_value(sql), "1:150");
}
END_TEST

/* The fake delivers its pending webhooks (a thread's body). */
static void *
deliver_thread(void *arg)
{
	const char *hdr[2] = { "Content-Type: application/json", NULL };
	long *status = arg;
	struct t_resp r;

	*status = -1;
	if (t_http(t_env("OB_TEST_STRIPE_FAKE"), "POST", "/_fake/webhooks/deliver", "{}", 2, hdr,
	    &r) == 0) {
		*status = r.status;
		t_resp_free(&r);
	}
	return NULL;
}

/*
 * A webhook whose handler waits on Stripe (the charge fetch is slow) is
 * claimed, not held locked: another session locks its event row with
 * NOWAIT meanwhile. The refund it reports is recorded once it is done.
 */
START_TEST(webhook_no_event_lock_during_fetch)
{
	struct buyer b;
	char ch[64], form[256], q[256], sql[256], evt[300];
	struct ob_db db;
	pthread_t th;
	long status;
	const char *v;
	cJSON *re;
	int locked;

	buyer_new("whlock", &b);
	paid_purchase(&b, "buy-whlock-1", ch, sizeof(ch));
	snprintf(form, sizeof(form), "charge=%s&amount=300", ch);
	re = fake("POST", "/v1/refunds", form, 200);
	cJSON_Delete(re);
	fake_ctl("POST", "/_fake/faults", "{\"delay_ms\":4000,\"count\":1,\"method\":\"GET\","
	    "\"path_prefix\":\"/v1/charges/\"}");
	ck_assert_int_eq(pthread_create(&th, NULL, deliver_thread, &status), 0);
	t_sleep_ms(2000);
	v = t_sql_value("SELECT id FROM webhook_events WHERE claimed_until > now() LIMIT 1");
	snprintf(evt, sizeof(evt), "%s", v != NULL ? v : "");
	t_db_open(&db);
	snprintf(sql, sizeof(sql), "BEGIN; SELECT 1 FROM webhook_events WHERE id = '%s' FOR UPDATE NOWAIT",
	    evt);
	locked = ob_db_exec_script(&db, sql) != 0;
	(void)ob_db_exec_script(&db, "ROLLBACK");
	ob_db_close(&db);
	pthread_join(th, NULL);
	ck_assert_msg(evt[0] != '\0', "no event was claimed during the slow fetch");
	ck_assert_msg(!locked, "event %s was locked during the Stripe fetch", evt);
	ck_assert_int_eq(status, 200);
	snprintf(q, sizeof(q), "SELECT count(*) || ':' || sum(amount) FROM refunds WHERE org_id = %ld",
	    b.org);
	ck_assert_str_eq(t_sql_value(q), "1:300");
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_events WHERE claimed_until IS NOT NULL");
	ck_assert_str_eq(t_sql_value(q), "0");
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
		fprintf(stderr, "purchases: could not clear the Stripe fake's faults\n");
}

Suite *purchases_faults_suite(void)
{
	Suite *s = suite_create("purchases_faults");
	TCase *tc = tcase_create("purchases_faults");

	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, NULL, faults_clear);
	tcase_add_test(tc, purchase_500_then_retry_same_key);
	tcase_add_test(tc, purchase_drop_then_retry_same_key);
	tcase_add_test(tc, purchase_timeout_after_charge);
	tcase_add_test(tc, purchase_db_failure_after_charge);
	tcase_add_test(tc, purchase_key_reused_other_credits);
	tcase_add_test(tc, refund_reattached_from_webhook);
	tcase_add_test(tc, refund_no_lock_during_stripe_call);
	tcase_add_test(tc, webhook_no_event_lock_during_fetch);
	suite_add_tcase(s, tc);
	return s;
}
