/*
 * The webhook worker over the real stack: signatures, storing once,
 * duplicates (sequential and concurrent), a storm, retries through
 * `orgbill jobs`, replays, and delivery by the Stripe fake itself (signed
 * by the official stripe package).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "integration/harness.h"
#include "unit/unit.h"

static char whsec[128];

static const char *
secret(void)
{
	char path[1024];
	FILE *f;

	if (whsec[0] == '\0') {
		snprintf(path, sizeof(path), "%s/secrets/whsec", t_env("OB_TEST_RUN_DIR"));
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(fgets(whsec, sizeof(whsec), f));
		whsec[strcspn(whsec, "\n")] = '\0';
		fclose(f);
	}
	return whsec;
}

/* "t=…,v1=…" for payload signed with key at time t. */
static void
sign(const char *key, long t, const char *payload, char *out, size_t len)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[32];
	char ts[32], hex[65];

	ck_assert_int_ge(sodium_init(), 0);
	snprintf(ts, sizeof(ts), "%ld.", t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)payload, strlen(payload));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, len, "t=%ld,v1=%s", t, hex);
}

static void
event_json(char *out, size_t len, const char *id, const char *type)
{
	snprintf(out, len, "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\",\"created\":%ld,"
	    "\"livemode\":false,\"data\":{\"object\":{\"id\":\"obj_%s\",\"object\":\"thing\"}}}",
	    id, type, (long)time(NULL), id + 4);
}

/*
 * POST payload to the webhook endpoint with this Stripe-Signature: the
 * status (answer as t_call).
 */
static long
deliver(const char *payload, const char *sigheader, struct t_resp *r)
{
	char h[512];
	const char *hdr[2] = { h, NULL };

	snprintf(h, sizeof(h), "Stripe-Signature: %s", sigheader);
	return t_call(NULL, NULL, "POST", "/stripe/webhook", payload, "application/json", hdr, r);
}

static long
count_rows(const char *id)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_events WHERE id = '%s'", id);
	return atol(t_sql_value(q));
}

/* The stored event's "status:attempts". */
static const char *
event_state(const char *id)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT status || ':' || attempts FROM webhook_events WHERE id = '%s'", id);
	return t_sql_value(q);
}

/* The event's attempts in order, "source/outcome,...". */
static const char *
event_attempts(const char *id)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT string_agg(source || '/' || outcome, ',' ORDER BY attempt)"
	    " FROM webhook_attempts WHERE event_id = '%s'", id);
	return t_sql_value(q);
}

static void
unique_id(char *out, size_t len, const char *tag)
{
	static int n;

	snprintf(out, len, "evt_%s_%d_%ld_%d", tag, getpid(), (long)time(NULL), n++);
}

/* An event of this run and type, and its signature. */
struct event {
	char id[96], payload[1024], sig[256];
};

/* A new event of type (its id tagged tag), signed now with our secret. */
static void
event_new(struct event *e, const char *tag, const char *type)
{
	unique_id(e->id, sizeof(e->id), tag);
	event_json(e->payload, sizeof(e->payload), e->id, type);
	sign(secret(), time(NULL), e->payload, e->sig, sizeof(e->sig));
}

START_TEST(wh_valid_event_stored_and_applied)
{
	struct event e;
	char q[2048];
	struct t_resp r;

	event_new(&e, "ok", "some.unhandled_type");
	ck_assert_int_eq(deliver(e.payload, e.sig, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "\"status\":\"skipped\""));
	t_resp_free(&r);
	ck_assert_int_eq(count_rows(e.id), 1);
	/* The raw body is kept byte for byte. */
	snprintf(q, sizeof(q), "SELECT convert_from(payload, 'UTF8') = '%s' FROM webhook_events WHERE id = '%s'",
	    e.payload, e.id);
	ck_assert_str_eq(t_sql_value(q), "t");
	ck_assert_str_eq(event_state(e.id), "skipped:1");
}
END_TEST

START_TEST(wh_bad_signatures_refused_nothing_stored)
{
	char id[96], payload[1024], sig[256], tampered[1024];
	struct t_resp r;

	unique_id(id, sizeof(id), "bad");
	event_json(payload, sizeof(payload), id, "invoice.paid");
	sign("whsec_not_ours", time(NULL), payload, sig, sizeof(sig));
	ck_assert_int_eq(deliver(payload, sig, &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "signature_invalid"));
	t_resp_free(&r);
	sign(secret(), time(NULL) - 301, payload, sig, sizeof(sig));
	ck_assert_int_eq(deliver(payload, sig, NULL), 400);
	sign(secret(), time(NULL) + 400, payload, sig, sizeof(sig));
	ck_assert_int_eq(deliver(payload, sig, NULL), 400);
	sign(secret(), time(NULL), payload, sig, sizeof(sig));
	snprintf(tampered, sizeof(tampered), "%s", payload);
	tampered[strlen(tampered) - 3] = ' ';
	ck_assert_int_eq(deliver(tampered, sig, NULL), 400);
	ck_assert_int_eq(deliver(payload, "garbage", &r), 400);
	ck_assert_ptr_nonnull(strstr(r.body.data, "signature_malformed"));
	t_resp_free(&r);
	ck_assert_int_eq(count_rows(id), 0);
	/* A signed body that is not an event: 400, not stored. */
	sign(secret(), time(NULL), "{\"hello\":1}", sig, sizeof(sig));
	ck_assert_int_eq(deliver("{\"hello\":1}", sig, NULL), 400);
	/* The secret never reaches the log. */
	{
		char path[1024], line[8192];
		FILE *f;

		snprintf(path, sizeof(path), "%s/logs/webhook.log", t_env("OB_TEST_RUN_DIR"));
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL) {
			ck_assert_ptr_null(strstr(line, secret()));
			ck_assert_ptr_null(strstr(line, id));
		}
		fclose(f);
	}
}
END_TEST

START_TEST(wh_duplicates_applied_once)
{
	struct event e;
	char q[256];
	struct t_resp r;
	int i;

	event_new(&e, "dup", "customer.subscription.trial_will_end");
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(deliver(e.payload, e.sig, &r), 200);
		if (i > 0)
			ck_assert_ptr_nonnull(strstr(r.body.data, "\"duplicate\":true"));
		t_resp_free(&r);
	}
	ck_assert_int_eq(count_rows(e.id), 1);
	ck_assert_str_eq(event_state(e.id), "processed:1");
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_attempts WHERE event_id = '%s'", e.id);
	ck_assert_str_eq(t_sql_value(q), "1");
}
END_TEST

struct shot {
	const char *payload, *sig;
	int ok, bad;
};

static void *
shoot(void *arg)
{
	struct shot *s = arg;

	if (deliver(s->payload, s->sig, NULL) == 200)
		s->ok++;
	else
		s->bad++;
	return NULL;
}

START_TEST(wh_fifty_concurrent_deliveries_applied_once)
{
	struct event e;
	char q[256];
	struct shot shots[50];
	pthread_t th[50];
	int i, ok = 0;

	event_new(&e, "conc", "customer.subscription.trial_will_end");
	for (i = 0; i < 50; i++) {
		shots[i] = (struct shot){ e.payload, e.sig, 0, 0 };
		pthread_create(&th[i], NULL, shoot, &shots[i]);
	}
	for (i = 0; i < 50; i++) {
		pthread_join(th[i], NULL);
		ok += shots[i].ok;
	}
	ck_assert_int_eq(ok, 50);
	ck_assert_int_eq(count_rows(e.id), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_attempts WHERE event_id = '%s'"
	    " AND outcome = 'processed'", e.id);
	ck_assert_str_eq(t_sql_value(q), "1");
}
END_TEST

struct storm {
	int from, to, bad;
	long t;
};

static void *
storm_thread(void *arg)
{
	struct storm *s = arg;
	char id[96], payload[1024], sig[256];
	int i;

	for (i = s->from; i < s->to; i++) {
		snprintf(id, sizeof(id), "evt_storm_%d_%ld_%d", getpid(), s->t, i);
		event_json(payload, sizeof(payload), id, i % 3 ? "invoice.created" : "charge.updated");
		sign(secret(), time(NULL), payload, sig, sizeof(sig));
		if (deliver(payload, sig, NULL) >= 500)
			s->bad++;
	}
	return NULL;
}

START_TEST(wh_storm_of_a_thousand)
{
	struct storm s[10];
	pthread_t th[10];
	char q[256];
	long t = time(NULL);
	int i, bad = 0;

	(void)secret();
	for (i = 0; i < 10; i++) {
		s[i] = (struct storm){ i * 100, i * 100 + 100, 0, t };
		pthread_create(&th[i], NULL, storm_thread, &s[i]);
	}
	for (i = 0; i < 10; i++) {
		pthread_join(th[i], NULL);
		bad += s[i].bad;
	}
	ck_assert_int_eq(bad, 0);
	snprintf(q, sizeof(q), "SELECT count(*) FROM webhook_events WHERE id LIKE 'evt_storm_%d_%ld_%%'",
	    getpid(), t);
	ck_assert_str_eq(t_sql_value(q), "1000");
}
END_TEST

START_TEST(wh_jobs_retry_and_replay)
{
	struct event e;
	char q[256], out[256];

	event_new(&e, "retry", "customer.subscription.trial_will_end");
	ck_assert_int_eq(deliver(e.payload, e.sig, NULL), 200);
	/* Pretend its first application failed: the runner picks it up. */
	snprintf(q, sizeof(q), "UPDATE webhook_events SET status = 'failed', last_error = 'test',"
	    " next_attempt_at = now() - interval '1 second' WHERE id = '%s'", e.id);
	t_sql(q);
	ck_assert_int_eq(t_jobs_once(), 0);
	ck_assert_str_eq(event_state(e.id), "processed:2");
	/* A replay reprocesses it once more, audited. */
	snprintf(q, sizeof(q), "webhooks replay %s", e.id);
	ck_assert_int_eq(t_cli(q, NULL, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "processed");
	ck_assert_str_eq(event_attempts(e.id), "delivery/processed,retry/processed,replay/processed");
	snprintf(q, sizeof(q), "SELECT count(*) FROM audit_log WHERE action = 'webhook.replay' AND target_id = '%s'", e.id);
	ck_assert_str_eq(t_sql_value(q), "1");
	ck_assert_int_ne(t_cli("webhooks replay evt_nope", NULL, out, sizeof(out)), 0);
}
END_TEST

/* The fake signs with the official stripe package and posts to us. */
START_TEST(wh_delivered_by_the_stripe_fake)
{
	struct t_resp r;
	long before, after;

	/* Make an event happen at the fake: a customer. */
	ck_assert_int_eq(t_fake("POST", "/v1/customers", "email=wh%40acme.test",
	    "application/x-www-form-urlencoded", NULL), 200);
	before = atol(t_sql_value("SELECT count(*) FROM webhook_events"));
	ck_assert_int_eq(t_fake("POST", "/_fake/webhooks/deliver", "{\"duplicate\":2}", NULL, &r), 200);
	ck_assert_ptr_null(strstr(r.body.data, "\"status\":400"));
	ck_assert_ptr_null(strstr(r.body.data, "\"status\":500"));
	t_resp_free(&r);
	after = atol(t_sql_value("SELECT count(*) FROM webhook_events"));
	ck_assert_int_gt(after, before);
	ck_assert_str_eq(t_sql_value("SELECT count(*) FROM webhook_events WHERE type = 'customer.created'"
	    " AND payload IS NOT NULL"), t_sql_value("SELECT count(DISTINCT id) FROM webhook_events WHERE type = 'customer.created'"));
}
END_TEST

START_TEST(wh_staff_console_log_and_reprocess)
{
	struct t_session staff, owner;
	struct event e;
	char path[256], body[256], q[512];
	struct t_resp r;

	event_new(&e, "staff", "customer.subscription.trial_will_end");
	ck_assert_int_eq(deliver(e.payload, e.sig, NULL), 200);
	t_reset_rate_limits();
	t_session_new("staff@orgbill.test", &staff);
	/* The log, filtered by type and status. */
	ck_assert_int_eq(t_get_as(staff.cookie, NULL,
	    "/admin/webhooks?type=customer.subscription.trial_will_end&status=processed", &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, e.id));
	ck_assert_ptr_null(strstr(r.body.data, "evt_storm_"));
	t_resp_free(&r);
	ck_assert_int_eq(t_get_as(staff.cookie, NULL, "/admin/webhooks?status=bogus", NULL), 400);
	/* The detail: raw payload (escaped) and history. */
	snprintf(path, sizeof(path), "/admin/webhooks/%s", e.id);
	ck_assert_int_eq(t_get_as(staff.cookie, NULL, path, &r), 200);
	ck_assert_ptr_nonnull(strstr(r.body.data, "&quot;type&quot;:&quot;customer.subscription.trial_will_end&quot;"));
	ck_assert_ptr_nonnull(strstr(r.body.data, "<td>delivery</td><td>processed</td>"));
	t_resp_free(&r);
	/* Reprocess: a reason is required; then audited as staff with it. */
	snprintf(path, sizeof(path), "/admin/webhooks/%s/replay", e.id);
	snprintf(body, sizeof(body), "csrf=%s&reason=", staff.csrf);
	ck_assert_int_eq(t_form_as(staff.cookie, path, body, NULL, NULL), 400);
	snprintf(body, sizeof(body), "csrf=%s&reason=customer+asked+for+a+resync", staff.csrf);
	ck_assert_int_eq(t_form_as(staff.cookie, path, body, NULL, NULL), 303);
	ck_assert_str_eq(event_attempts(e.id), "delivery/processed,replay/processed");
	snprintf(q, sizeof(q), "SELECT actor_type || ':' || reason FROM audit_log WHERE action = 'webhook.replay'"
	    " AND target_id = '%s'", e.id);
	ck_assert_str_eq(t_sql_value(q), "staff:customer asked for a resync");
	/* Not for anyone else. */
	t_reset_rate_limits();
	t_session_new("owner@acme.test", &owner);
	ck_assert_int_eq(t_get_as(owner.cookie, NULL, "/admin/webhooks", NULL), 404);
}
END_TEST

Suite *webhooks_suite(void)
{
	return t_suite("webhooks", 180, T_TESTS(wh_valid_event_stored_and_applied,
	    wh_bad_signatures_refused_nothing_stored, wh_duplicates_applied_once,
	    wh_fifty_concurrent_deliveries_applied_once, wh_storm_of_a_thousand,
	    wh_jobs_retry_and_replay, wh_delivered_by_the_stripe_fake,
	    wh_staff_console_log_and_reprocess));
}
