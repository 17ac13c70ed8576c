/*
 * The Stripe client against the Stripe fake (tests/stripe-fake) over real
 * HTTP. Environment: STRIPE_API_BASE, STRIPE_SECRET_KEY (the key the fake
 * accepts) and OB_TEST_STRIPE_FAKE (the fake's base URL for /_fake/
 * control requests; defaults to STRIPE_API_BASE).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "base/buf.h"
#include "stripe/client.h"
#include "unit/unit.h"

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

static const char *
api_base(void)
{
	return env_or("STRIPE_API_BASE", "http://127.0.0.1:12111");
}

static const char *
fake_base(void)
{
	return env_or("OB_TEST_STRIPE_FAKE", api_base());
}

static const char *
secret_key(void)
{
	return env_or("STRIPE_SECRET_KEY", "sk_test_fake");
}

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	ob_buf_append(arg, p, sz * n);
	return sz * n;
}

/* A control request to the fake; returns the parsed JSON answer (owned). */
static cJSON *
fake(const char *method, const char *path, const char *json)
{
	struct ob_buf url = OB_BUF_INIT, body = OB_BUF_INIT;
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	cJSON *out;
	long status = 0;

	ck_assert_ptr_nonnull(c);
	ob_buf_printf(&url, "%s%s", fake_base(), path);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url.data);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (json != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	ck_assert_msg(curl_easy_perform(c) == CURLE_OK,
	    "the Stripe fake is not reachable at %s", fake_base());
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	ck_assert_msg(status == 200, "%s %s -> %ld", method, path, status);
	out = cJSON_Parse(body.data != NULL ? body.data : "");
	ck_assert_ptr_nonnull(out);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	ob_buf_free(&url);
	ob_buf_free(&body);
	return out;
}

static void
fake_fault(const char *json)
{
	cJSON_Delete(fake("POST", "/_fake/faults", json));
}

/* The fake's count of applied state-changing requests. */
static long
fake_applied(void)
{
	cJSON *r = fake("GET", "/_fake/requests", NULL);
	long n = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "applied"));

	cJSON_Delete(r);
	return n;
}

static struct ob_stripe *
client(long total_ms, int tries)
{
	struct ob_stripe *s = ob_stripe_new(api_base(), secret_key(), 2000,
	    total_ms, tries);

	ck_assert_ptr_nonnull(s);
	ob_stripe_set_backoff(s, 20, 100);
	return s;
}

/* A unique operation id per call, so keys never collide across runs. */
static void
op_key(char *dst, size_t n, const char *op)
{
	static unsigned seq;
	char id[64];

	snprintf(id, sizeof(id), "%ld-%d-%u", (long)time(NULL), (int)getpid(),
	    ++seq);
	ck_assert_int_eq(ob_stripe_idem_key(dst, n, op, id), 0);
}

static const char *
str_at(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void
setup(void)
{
	cJSON_Delete(fake("DELETE", "/_fake/faults", NULL));
}

/* POST p to path with a new key for op (it must succeed); the new object's id into id. */
static void
create(struct ob_stripe *s, const char *path, const cJSON *p, const char *op, char *id, size_t len)
{
	struct ob_stripe_result r;
	char key[256];

	op_key(key, sizeof(key), op);
	ck_assert_int_eq(ob_stripe_request(s, "POST", path, p, key, &r), 0);
	snprintf(id, len, "%s", str_at(r.body, "id"));
	ob_stripe_result_clear(&r);
}

/* Create a customer; returns its id (owned). */
static char *
make_customer(struct ob_stripe *s, const char *email, const char *pm)
{
	cJSON *p = cJSON_CreateObject();
	char id[64];

	cJSON_AddStringToObject(p, "email", email);
	if (pm != NULL)
		cJSON_AddStringToObject(p, "payment_method", pm);
	create(s, "/v1/customers", p, "cus-create", id, sizeof(id));
	cJSON_Delete(p);
	return strdup(id);
}

START_TEST(test_round_trips)
{
	struct ob_stripe *s = client(10000, 3);
	struct ob_stripe_result r;
	cJSON *p, *md, *last;
	char key[256], path[256], *id;
	int i;

	/* create */
	p = cJSON_Parse("{\"email\":\"ada@example.com\",\"name\":\"Ada & Co [EU]\","
	    "\"metadata\":{\"org_id\":\"org 1\",\"plan\":\"team\"}}");
	op_key(key, sizeof(key), "cus-create");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/customers", p, key, &r), 0);
	ck_assert_int_eq(r.outcome, OB_STRIPE_OK);
	ck_assert_int_eq(r.http_status, 200);
	ck_assert_int_eq(r.tries, 1);
	ck_assert_str_eq(str_at(r.body, "object"), "customer");
	ck_assert_str_eq(str_at(r.body, "name"), "Ada & Co [EU]");
	md = cJSON_GetObjectItem(r.body, "metadata");
	ck_assert_str_eq(str_at(md, "org_id"), "org 1");
	ck_assert(r.request_id[0] != '\0');
	id = strdup(str_at(r.body, "id"));
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);

	/* retrieve */
	snprintf(path, sizeof(path), "/v1/customers/%s", id);
	ck_assert_int_eq(ob_stripe_request(s, "GET", path, NULL, NULL, &r), 0);
	ck_assert_str_eq(str_at(r.body, "email"), "ada@example.com");
	ob_stripe_result_clear(&r);

	/* update: unset one metadata key with "", change another */
	p = cJSON_Parse("{\"metadata\":{\"plan\":\"\",\"org_id\":\"org 2\"},\"description\":\"vip\"}");
	op_key(key, sizeof(key), "cus-update");
	ck_assert_int_eq(ob_stripe_request(s, "POST", path, p, key, &r), 0);
	md = cJSON_GetObjectItem(r.body, "metadata");
	ck_assert_ptr_null(cJSON_GetObjectItem(md, "plan"));
	ck_assert_str_eq(str_at(md, "org_id"), "org 2");
	ck_assert_str_eq(str_at(r.body, "description"), "vip");
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);

	/* the pinned version went with every request */
	p = fake("GET", "/_fake/requests", NULL);
	last = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "data"),
	    cJSON_GetArraySize(cJSON_GetObjectItem(p, "data")) - 1);
	ck_assert_str_eq(str_at(last, "stripe_version"), OB_STRIPE_API_VERSION);
	ck_assert_str_eq(str_at(last, "idempotency_key"), key);
	cJSON_Delete(p);

	/* list with pagination: three more customers, pages of two */
	for (i = 0; i < 3; i++)
		free(make_customer(s, "page@example.com", NULL));
	p = cJSON_Parse("{\"limit\":2,\"email\":\"page@example.com\"}");
	ck_assert_int_eq(ob_stripe_request(s, "GET", "/v1/customers", p, NULL, &r), 0);
	ck_assert_str_eq(str_at(r.body, "object"), "list");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "data")), 2);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r.body, "has_more")));
	last = cJSON_GetArrayItem(cJSON_GetObjectItem(r.body, "data"), 1);
	cJSON_AddStringToObject(p, "starting_after", str_at(last, "id"));
	ob_stripe_result_clear(&r);
	ck_assert_int_eq(ob_stripe_request(s, "GET", "/v1/customers", p, NULL, &r), 0);
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(r.body, "data")), 1);
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);

	/* delete */
	op_key(key, sizeof(key), "cus-delete");
	ck_assert_int_eq(ob_stripe_request(s, "DELETE", path, NULL, key, &r), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r.body, "deleted")));
	ob_stripe_result_clear(&r);
	free(id);
	ob_stripe_free(s);
}
END_TEST

/* A monthly price of amount cents for the product; its id into id (64 bytes). */
static void
make_price(struct ob_stripe *s, const char *prod, int amount, char *id)
{
	cJSON *p = cJSON_CreateObject();

	cJSON_AddStringToObject(p, "product", prod);
	cJSON_AddNumberToObject(p, "unit_amount", amount);
	cJSON_AddStringToObject(p, "currency", "usd");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "recurring"), "interval", "month");
	create(s, "/v1/prices", p, "price", id, 64);
	cJSON_Delete(p);
}

/* Switch the subscription's item to price (no proration), to be canceled at the period's end. */
static void
switch_price_cancel_at_end(struct ob_stripe *s, const char *sub, const char *price)
{
	struct ob_stripe_result r;
	char key[256], path[256];
	cJSON *p = cJSON_CreateObject();

	snprintf(path, sizeof(path), "/v1/subscriptions/%s", sub);
	ck_assert_int_eq(ob_stripe_request(s, "GET", path, NULL, NULL, &r), 0);
	{
		cJSON *items = cJSON_AddArrayToObject(p, "items");
		cJSON *it = cJSON_CreateObject();
		const cJSON *si = cJSON_GetArrayItem(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(r.body, "items"), "data"), 0);

		cJSON_AddStringToObject(it, "id", str_at(si, "id"));
		cJSON_AddStringToObject(it, "price", price);
		cJSON_AddItemToArray(items, it);
	}
	ob_stripe_result_clear(&r);
	cJSON_AddStringToObject(p, "proration_behavior", "none");
	cJSON_AddTrueToObject(p, "cancel_at_period_end");
	op_key(key, sizeof(key), "sub-update");
	ck_assert_int_eq(ob_stripe_request(s, "POST", path, p, key, &r), 0);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r.body, "cancel_at_period_end")));
	ck_assert_str_eq(str_at(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(r.body, "items"), "data"), 0),
	    "price"), "id"), price);
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);
}

START_TEST(test_subscription_flow)
{
	struct ob_stripe *s = client(10000, 3);
	struct ob_stripe_result r;
	char key[256], *cus, prod[64], price[64], price2[64], sub[64];
	cJSON *p;

	cus = make_customer(s, "sub@example.com", "pm_card_visa");
	p = cJSON_Parse("{\"name\":\"Team plan\"}");
	create(s, "/v1/products", p, "prod", prod, sizeof(prod));
	cJSON_Delete(p);
	make_price(s, prod, 1000, price);
	make_price(s, prod, 2000, price2);

	/* items[0][price], items[0][quantity], expand[0] */
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "customer", cus);
	{
		cJSON *items = cJSON_AddArrayToObject(p, "items");
		cJSON *it = cJSON_CreateObject();

		cJSON_AddStringToObject(it, "price", price);
		cJSON_AddNumberToObject(it, "quantity", 3);
		cJSON_AddItemToArray(items, it);
	}
	cJSON_AddItemToObject(p, "expand", cJSON_CreateStringArray(
	    (const char *[]){ "latest_invoice" }, 1));
	op_key(key, sizeof(key), "sub-create");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/subscriptions", p, key, &r), 0);
	ck_assert_str_eq(str_at(r.body, "status"), "active");
	ck_assert_str_eq(str_at(cJSON_GetObjectItem(r.body, "latest_invoice"), "status"), "paid");
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(r.body, "latest_invoice"), "amount_paid")), 3000);
	snprintf(sub, sizeof(sub), "%s", str_at(r.body, "id"));
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);

	/* switch price without proration, cancel at period end */
	switch_price_cancel_at_end(s, sub, price2);
	free(cus);
	ob_stripe_free(s);
}
END_TEST

/* The first attempt times out after the fake applied it; the retry, with
 * the same key, is answered from the fake's idempotency store. */
START_TEST(test_timeout_retried_once_applied)
{
	struct ob_stripe *s = client(1000, 3);
	struct ob_stripe_result r;
	cJSON *p = cJSON_Parse("{\"email\":\"timeout@example.com\"}");
	char key[256];
	long before;

	fake_fault("{\"method\":\"POST\",\"path_prefix\":\"/v1/customers\",\"delay_ms\":3000,\"count\":1}");
	before = fake_applied();
	op_key(key, sizeof(key), "cus-create");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/customers", p, key, &r), 0);
	ck_assert_int_eq(r.tries, 2);
	ck_assert_int_eq(r.replayed, 1);
	ck_assert_int_eq(fake_applied() - before, 1);
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);
	ob_stripe_free(s);
}
END_TEST

/* One fault, then normal answers: what a request makes of it. */
struct fault_case {
	const char *fault;		/* POST /_fake/faults */
	int max_tries;			/* the client's */
	int rc;				/* ob_stripe_request's */
	enum ob_stripe_outcome want;
	int tries;
	long applied;			/* requests the fake applied */
};

static void
check_fault(const struct fault_case *c)
{
	struct ob_stripe *s = client(5000, c->max_tries);
	struct ob_stripe_result r;
	cJSON *p = cJSON_Parse("{\"email\":\"fault@example.com\"}");
	char key[256];
	long before;

	fake_fault(c->fault);
	before = fake_applied();
	op_key(key, sizeof(key), "cus-create");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/customers", p, key, &r), c->rc);
	ck_assert_msg(r.outcome == c->want, "fault %s: outcome %s, want %s", c->fault,
	    ob_stripe_outcome_name(r.outcome), ob_stripe_outcome_name(c->want));
	ck_assert_int_eq(r.tries, c->tries);
	ck_assert_int_eq(fake_applied() - before, c->applied);
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);
	ob_stripe_free(s);
	setup();
}

START_TEST(test_429_plain_not_retried)
{
	static const struct fault_case plain = { "{\"status\":429,\"path_prefix\":\"/v1/customers\"}",
		3, -1, OB_STRIPE_RATE_LIMITED, 1, 0 };
	struct ob_stripe *s;
	struct ob_stripe_result r;

	check_fault(&plain);
	/* and the error shape is mapped */
	fake_fault("{\"status\":429,\"path_prefix\":\"/v1/customers\"}");
	s = client(5000, 3);
	ck_assert_int_eq(ob_stripe_request(s, "GET", "/v1/customers", NULL, NULL, &r), -1);
	ck_assert_int_eq(r.http_status, 429);
	ck_assert_str_eq(r.err_code, "rate_limit");
	ob_stripe_result_clear(&r);
	ob_stripe_free(s);
}
END_TEST

static const struct fault_case faults[] = {
	/* 429 that Stripe says to retry: retried */
	{ "{\"status\":429,\"should_retry\":true,\"retry_after\":0}", 3, 0, OB_STRIPE_OK, 2, 1 },
	/* 429 that Stripe says not to retry */
	{ "{\"status\":429,\"should_retry\":false}", 3, -1, OB_STRIPE_RATE_LIMITED, 1, 0 },
	/* 500: retried */
	{ "{\"status\":500}", 3, 0, OB_STRIPE_OK, 2, 1 },
	/* 500 that Stripe says not to retry */
	{ "{\"status\":500,\"should_retry\":false}", 3, -1, OB_STRIPE_SERVER, 1, 0 },
	/* 503 five times: the tries are bounded */
	{ "{\"status\":503,\"count\":5}", 3, -1, OB_STRIPE_SERVER, 3, 0 },
	/* 409 (a concurrent request with the key): retried */
	{ "{\"status\":409}", 3, 0, OB_STRIPE_OK, 2, 1 },
	/* a dropped connection: retried */
	{ "{\"drop\":true}", 3, 0, OB_STRIPE_OK, 2, 1 },
	/* dropped as often as it is tried */
	{ "{\"drop\":true,\"count\":2}", 2, -1, OB_STRIPE_NETWORK, 2, 0 },
};

/* Each fault case on its own (a loop test: _i is the case). */
START_TEST(test_fault_cases)
{
	check_fault(&faults[_i]);
}
END_TEST

/* An idempotency key used again: the same parameters replay, others are refused. */
static void
idempotency_key_reused(struct ob_stripe *s)
{
	struct ob_stripe_result r;
	cJSON *p = cJSON_Parse("{\"email\":\"one@example.com\"}");
	char key[256];

	op_key(key, sizeof(key), "cus-create");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/customers", p, key, &r), 0);
	ob_stripe_result_clear(&r);
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/customers", p, key, &r), 0);
	ck_assert_int_eq(r.replayed, 1);
	ob_stripe_result_clear(&r);
	cJSON_SetValuestring(cJSON_GetObjectItem(p, "email"), "two@example.com");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/customers", p, key, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_IDEMPOTENCY);
	ck_assert_int_eq(r.http_status, 400);
	ck_assert_str_eq(r.err_type, "idempotency_error");
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);
}

/* A 402 card_error from paying an invoice with a declined card. */
static void
card_declined(struct ob_stripe *s)
{
	struct ob_stripe_result r;
	char key[256], *cus, path[256], item[64], inv[64];
	cJSON *p;

	cus = make_customer(s, "declined@example.com", "pm_card_chargeDeclined");
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "customer", cus);
	cJSON_AddNumberToObject(p, "amount", 1234);
	cJSON_AddStringToObject(p, "currency", "usd");
	create(s, "/v1/invoiceitems", p, "ii", item, sizeof(item));
	cJSON_Delete(p);
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "customer", cus);
	cJSON_AddStringToObject(p, "pending_invoice_items_behavior", "include");
	op_key(key, sizeof(key), "inv");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/invoices", p, key, &r), 0);
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItem(r.body, "total")), 1234);
	snprintf(inv, sizeof(inv), "%s", str_at(r.body, "id"));
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);
	snprintf(path, sizeof(path), "/v1/invoices/%s/pay", inv);
	op_key(key, sizeof(key), "inv-pay");
	ck_assert_int_eq(ob_stripe_request(s, "POST", path, NULL, key, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_CARD);
	ck_assert_int_eq(r.http_status, 402);
	ck_assert_str_eq(r.err_type, "card_error");
	ck_assert_str_eq(r.err_code, "card_declined");
	ck_assert_str_eq(r.err_decline_code, "generic_decline");
	ck_assert_int_eq(r.tries, 1);
	ob_stripe_result_clear(&r);
	free(cus);
}

START_TEST(test_error_shapes)
{
	struct ob_stripe *s = client(5000, 3), *bad;
	struct ob_stripe_result r;
	cJSON *p;
	char key[256];

	/* 404 resource_missing */
	ck_assert_int_eq(ob_stripe_request(s, "GET", "/v1/customers/cus_nope", NULL, NULL, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_NOT_FOUND);
	ck_assert_int_eq(r.http_status, 404);
	ck_assert_str_eq(r.err_type, "invalid_request_error");
	ck_assert_str_eq(r.err_code, "resource_missing");
	ck_assert_str_eq(r.err_param, "id");
	ck_assert(strstr(r.err_message, "cus_nope") != NULL);
	ck_assert_int_eq(r.tries, 1);
	ob_stripe_result_clear(&r);

	/* 400 missing parameter */
	p = cJSON_Parse("{\"unit_amount\":100}");
	op_key(key, sizeof(key), "price");
	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/prices", p, key, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_INVALID_REQUEST);
	ck_assert_str_eq(r.err_param, "product");
	ob_stripe_result_clear(&r);
	cJSON_Delete(p);

	idempotency_key_reused(s);

	/* 401 with a wrong key; the key does not leak into the result */
	bad = ob_stripe_new(api_base(), "sk_test_wrong_key_123456", 2000, 5000, 3);
	ck_assert_int_eq(ob_stripe_request(bad, "GET", "/v1/customers", NULL, NULL, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_AUTHENTICATION);
	ck_assert_int_eq(r.http_status, 401);
	ck_assert(strstr(r.err_message, "sk_test_wrong_key_123456") == NULL);
	ob_stripe_result_clear(&r);
	ob_stripe_free(bad);

	card_declined(s);
	ob_stripe_free(s);
}
END_TEST

START_TEST(test_usage_and_unreachable)
{
	struct ob_stripe *s = client(5000, 3), *down;
	struct ob_stripe_result r;
	char key[256];

	ck_assert_int_eq(ob_stripe_request(s, "POST", "/v1/customers", NULL, NULL, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_USAGE);
	ck_assert_int_eq(r.tries, 0);
	ob_stripe_result_clear(&r);
	ck_assert_int_eq(ob_stripe_request(s, "PUT", "/v1/customers", NULL, "k", &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_USAGE);
	ob_stripe_result_clear(&r);
	ck_assert_int_eq(ob_stripe_request(s, "GET", "v1/customers", NULL, NULL, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_USAGE);
	ob_stripe_result_clear(&r);

	/* nothing listens on port 1: a connection error, retried, bounded */
	down = ob_stripe_new("http://127.0.0.1:1", secret_key(), 500, 1000, 2);
	ob_stripe_set_backoff(down, 10, 20);
	op_key(key, sizeof(key), "cus-create");
	ck_assert_int_eq(ob_stripe_request(down, "POST", "/v1/customers", NULL, key, &r), -1);
	ck_assert_int_eq(r.outcome, OB_STRIPE_NETWORK);
	ck_assert_int_eq(r.tries, 2);
	ck_assert_str_eq(r.err_type, "network");
	ob_stripe_result_clear(&r);
	ob_stripe_free(down);
	ob_stripe_free(s);
}
END_TEST

START_TEST(test_idem_key)
{
	char k[64], big[300];

	ck_assert_int_eq(ob_stripe_idem_key(k, sizeof(k), "sub-update", "org7:42"), 0);
	ck_assert_str_eq(k, "orgbill-sub-update-org7:42");
	ck_assert_int_eq(ob_stripe_idem_key(k, sizeof(k), "a b", "1"), -1);
	ck_assert_str_eq(k, "");
	ck_assert_int_eq(ob_stripe_idem_key(k, sizeof(k), "op", ""), -1);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(ob_stripe_idem_key(k, sizeof(k), "op", big), -1);
}
END_TEST

Suite *stripe_client_suite(void)
{
	Suite *s = suite_create("stripe_client");
	TCase *tc = t_tcase("against_fake", 60, T_TESTS(test_idem_key, test_round_trips,
	    test_subscription_flow, test_timeout_retried_once_applied,
	    test_429_plain_not_retried, test_error_shapes, test_usage_and_unreachable));

	tcase_add_loop_test(tc, test_fault_cases, 0, (int)(sizeof(faults) / sizeof(faults[0])));
	tcase_add_checked_fixture(tc, setup, NULL);
	suite_add_tcase(s, tc);
	return s;
}
