/*
 * Fixtures of the invoices suite (test_invoices.c): orgs with a Stripe
 * customer, subscriptions and cards made at the Stripe fake, its clock and
 * webhook deliveries, our API's JSON answers, the SMTP sink's messages.
 */
#ifndef OB_TEST_INV_FIXTURE_H
#define OB_TEST_INV_FIXTURE_H

#include <cJSON.h>

#define INV_API "/api/v1/org-billing"

/** An org of these tests: its id, an admin API key, its Stripe customer. */
struct inv_org {
	long id;
	char key[128];
	char cus[64];
};

/** A Stripe API call at the fake (form body or query) that must answer want: the parsed answer. */
cJSON *inv_fake(const char *method, const char *path, const char *form, long want);

/** A control call at the fake with a JSON body, which must answer 200. */
void inv_fake_ctl(const char *path, const char *json);

/** The fake delivers its pending webhooks. */
void inv_deliver(void);

/** The fake's clock moves to the Unix time to. */
void inv_advance_to(long long to);

/** Our API with a key (json: the body, may be NULL), which must answer want: the parsed answer. */
cJSON *inv_api(const char *key, const char *method, const char *path, const char *json, long want);

/**
 * A new org "Inv TAG" with an admin API key and a billing e-mail address,
 * and its Stripe customer (made by setting billing details through our
 * API), paying with the test card (NULL: none).
 */
void inv_org_new(struct inv_org *o, const char *tag, const char *card);

/** Attach a test card (pm_card_visa, ...) and make it the customer's default. */
void inv_set_card(const char *cus, const char *card);

/** The org's subscription at the fake: qty seats at a new monthly price of unit cents. */
cJSON *inv_subscription_new(const struct inv_org *o, long unit, int qty);

/** The first item of a subscription (as the fake answers it). */
cJSON *inv_sub_item(const cJSON *sub);

/** The org's invoices through our API (up to 100). */
cJSON *inv_list(const struct inv_org *o);

/** One invoice of the org through our API. */
cJSON *inv_get(const struct inv_org *o, const char *id);

/** 1 if a message in the SMTP sink contains both needles (waiting up to 10 s, running the jobs). */
int inv_mail_has(const char *n1, const char *n2);

/** The CLI (`orgbill jobs`) sends mail through the SMTP sink. */
void inv_smtp_env(void);

/** A column of the org's subscription row, as text ("" for NULL). */
const char *inv_sub_row(const struct inv_org *o, const char *col);

/** The subscription at the fake. */
cJSON *inv_fake_sub(const struct inv_org *o);

/** The org's pool: credits granted so far. */
long long inv_pool_granted(const struct inv_org *o);

/** Make the subscription's own card one that declines. */
void inv_declining_card(const struct inv_org *o);

/** The total of the org's renewal (subscription_cycle) invoice at the fake; -1: none. */
long long inv_renewal_total(const struct inv_org *o);

/** The org's agents limit, through the limits check. */
long long inv_agents_limit(const struct inv_org *o);

#endif
