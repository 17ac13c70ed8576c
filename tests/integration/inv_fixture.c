/* Fixtures of the invoices suite: see inv_fixture.h. */
#include "integration/inv_fixture.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integration/harness.h"

cJSON *
inv_fake(const char *method, const char *path, const char *form, long want)
{
	struct t_resp r;
	long status = t_fake(method, path, form, "application/x-www-form-urlencoded", &r);
	cJSON *j;

	ck_assert_msg(status == want, "%s %s: %ld %s", method, path, status, r.body.data);
	j = t_json(&r);
	t_resp_free(&r);
	return j;
}

void
inv_fake_ctl(const char *path, const char *json)
{
	struct t_resp r;
	long status = t_fake("POST", path, json, NULL, &r);

	ck_assert_msg(status == 200, "%s: %ld %s", path, status, r.body.data);
	t_resp_free(&r);
}

void
inv_deliver(void)
{
	inv_fake_ctl("/_fake/webhooks/deliver", "{}");
}

void
inv_advance_to(long long to)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"to\":%lld}", to);
	inv_fake_ctl("/_fake/clock/advance", body);
}

cJSON *
inv_api(const char *key, const char *method, const char *path, const char *json, long want)
{
	struct t_resp r;
	long status = t_call(NULL, key, method, path, json, json ? "application/json" : NULL, NULL, &r);
	cJSON *j;

	ck_assert_msg(status == want, "%s %s: %ld %s", method, path, status, r.body.data);
	j = t_json(&r);
	t_resp_free(&r);
	return j;
}

/* Billing details through our API make the Stripe customer; its id into o->cus. */
static void
org_customer(struct inv_org *o)
{
	char path[128], q[256];
	cJSON *j;

	snprintf(path, sizeof(path), INV_API "/billing-details/%ld", o->id);
	j = inv_api(o->key, "POST", path, "{\"address\":{\"line1\":\"1 Test Road\",\"city\":\"Springfield\","
	    "\"postal_code\":\"12345\",\"country\":\"us\"},\"tax_id\":\"EU123\",\"po_number\":\"PO-4711\","
	    "\"invoice_notes\":\"Thank you for your business.\"}", 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "has_stripe_customer")));
	cJSON_Delete(j);
	snprintf(q, sizeof(q), "SELECT stripe_customer_id FROM org_billing_details WHERE org_id = %ld", o->id);
	snprintf(o->cus, sizeof(o->cus), "%s", t_sql_value(q));
	ck_assert_int_eq(strncmp(o->cus, "cus_", 4), 0);
}

void
inv_set_card(const char *cus, const char *magic)
{
	char path[128], form[256];
	cJSON *pm, *c;

	snprintf(path, sizeof(path), "/v1/payment_methods/%s/attach", magic);
	snprintf(form, sizeof(form), "customer=%s", cus);
	pm = inv_fake("POST", path, form, 200);
	snprintf(path, sizeof(path), "/v1/customers/%s", cus);
	snprintf(form, sizeof(form), "invoice_settings[default_payment_method]=%s", t_jstr(pm, "id"));
	c = inv_fake("POST", path, form, 200);
	cJSON_Delete(c);
	cJSON_Delete(pm);
}

void
inv_org_new(struct inv_org *o, const char *tag, const char *card)
{
	static int n;
	char inv_tag[64], name[64], mail[128];

	snprintf(inv_tag, sizeof(inv_tag), "inv-%s", tag);
	snprintf(name, sizeof(name), "Inv %s", tag);
	snprintf(mail, sizeof(mail), "billing-%s-%d@inv.test", tag, n++);
	o->id = t_org_new(inv_tag, name, mail);
	t_apikey_new(o->id, "read,write,meter,admin", o->key, sizeof(o->key));
	org_customer(o);
	if (card != NULL)
		inv_set_card(o->cus, card);
}

cJSON *
inv_subscription_new(const struct inv_org *o, long unit, int qty)
{
	char form[512], price[64];
	cJSON *p;

	snprintf(form, sizeof(form), "currency=usd&unit_amount=%ld&recurring[interval]=month"
	    "&product_data[name]=Seat", unit);
	p = inv_fake("POST", "/v1/prices", form, 200);
	snprintf(price, sizeof(price), "%s", t_jstr(p, "id"));
	cJSON_Delete(p);
	snprintf(form, sizeof(form), "customer=%s&items[0][price]=%s&items[0][quantity]=%d"
	    "&metadata[orgbill_org]=%ld", o->cus, price, qty, o->id);
	return inv_fake("POST", "/v1/subscriptions", form, 200);
}

cJSON *
inv_sub_item(const cJSON *sub)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(sub, "items"), "data"), 0);
}

cJSON *
inv_list(const struct inv_org *o)
{
	char path[128];

	snprintf(path, sizeof(path), INV_API "/invoices/%ld?limit=100", o->id);
	return inv_api(o->key, "GET", path, NULL, 200);
}

cJSON *
inv_get(const struct inv_org *o, const char *id)
{
	char path[160];

	snprintf(path, sizeof(path), INV_API "/invoices/%ld/%s", o->id, id);
	return inv_api(o->key, "GET", path, NULL, 200);
}

/* One look through the SMTP sink's messages for one holding n1 and n2. */
static int
mail_in_sink(const char *n1, const char *n2)
{
	const char *dir = t_env("OB_TEST_SMTP_DIR");
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024], *buf;
	FILE *f;
	long sz;
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".eml") == NULL || strstr(e->d_name, ".tmp") != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = calloc(1, (size_t)sz + 1);
		if (fread(buf, 1, (size_t)sz, f) == (size_t)sz && strstr(buf, n1) && strstr(buf, n2))
			found = 1;
		free(buf);
		fclose(f);
	}
	closedir(d);
	return found;
}

/*
 * The notice is queued by the webhook worker when it applies the event, a
 * moment after the caller saw the event's other effects: look again, with
 * the jobs runner sending what is due, for up to ten seconds.
 */
int
inv_mail_has(const char *n1, const char *n2)
{
	int i;

	for (i = 0; i < 20; i++) {
		if (mail_in_sink(n1, n2))
			return 1;
		(void)t_jobs_once();
		t_sleep_ms(500);
	}
	return mail_in_sink(n1, n2);
}

void
inv_smtp_env(void)
{
	setenv("ORGBILL_SMTP_URL", t_env("OB_TEST_SMTP_URL"), 1);
	setenv("ORGBILL_MAIL_FROM", "billing@orgbill.test", 1);
}

/* A column of the org's subscription row, as text ("" for NULL). */
const char *
inv_sub_row(const struct inv_org *o, const char *col)
{
	return t_sql_valuef("SELECT COALESCE(%s::text, '') FROM subscriptions WHERE org_id = %ld",
	    col, o->id);
}

/* The subscription at the fake. */
cJSON *
inv_fake_sub(const struct inv_org *o)
{
	char path[160];

	snprintf(path, sizeof(path), "/v1/subscriptions/%s", inv_sub_row(o, "stripe_subscription_id"));
	return inv_fake("GET", path, NULL, 200);
}

/* The org's pool: credits granted so far. */
long long
inv_pool_granted(const struct inv_org *o)
{
	return strtoll(t_sql_valuef("SELECT COALESCE(sum(granted), 0) FROM credit_pools"
	    " WHERE org_id = %ld", o->id), NULL, 10);
}

/* Make the subscription's own card one that declines. */
void
inv_declining_card(const struct inv_org *o)
{
	char path[160], form[160];
	cJSON *pm, *s;

	snprintf(form, sizeof(form), "customer=%s", o->cus);
	pm = inv_fake("POST", "/v1/payment_methods/pm_card_chargeDeclined/attach", form, 200);
	snprintf(path, sizeof(path), "/v1/subscriptions/%s", inv_sub_row(o, "stripe_subscription_id"));
	snprintf(form, sizeof(form), "default_payment_method=%s", t_jstr(pm, "id"));
	s = inv_fake("POST", path, form, 200);
	cJSON_Delete(s);
	cJSON_Delete(pm);
	inv_set_card(o->cus, "pm_card_chargeDeclined");
	inv_deliver();
}

/* The total of the org's renewal (subscription_cycle) invoice at the fake; -1: none. */
long long
inv_renewal_total(const struct inv_org *o)
{
	char path[200];
	cJSON *l, *it;
	long long total = -1;

	snprintf(path, sizeof(path), "/v1/invoices?customer=%s&limit=100", o->cus);
	l = inv_fake("GET", path, NULL, 200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(l, "data")) {
		const char *br = t_jstr(it, "billing_reason");

		if (br != NULL && strcmp(br, "subscription_cycle") == 0)
			total = t_jnum(it, "total");
	}
	cJSON_Delete(l);
	return total;
}

/* The org's agents limit, through the limits check. */
long long
inv_agents_limit(const struct inv_org *o)
{
	char path[128];
	cJSON *j;
	long long v;

	t_reset_rate_limits();
	snprintf(path, sizeof(path), INV_API "/limits/%ld/check", o->id);
	j = inv_api(o->key, "POST", path, "{\"resource\":\"agents\",\"quantity\":1}", 200);
	v = t_jnum(j, "limit");
	cJSON_Delete(j);
	return v;
}
