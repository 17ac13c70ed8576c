/*
 * The rate limiter's shared-memory backend with a test clock: exact
 * counts, the sliding estimate, independence, sharing across forked
 * processes, eviction; spec parsing and the response headers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/ratelimit.h"
#include "unit/unit.h"

/* A window-aligned instant for every window used here (60, 3600, 86400). */
#define T0 1700006400L

static long fake_now;

static long
fake_clock(void)
{
	return fake_now;
}

static struct ob_rl *
new_rl(size_t slots)
{
	struct ob_rl *rl = ob_rl_create(slots);

	ck_assert_ptr_nonnull(rl);
	ob_rl_set_clock(rl, fake_clock);
	fake_now = T0;
	return rl;
}

static int
hit(struct ob_rl *rl, enum ob_rl_class c, const char *id, struct ob_rl_result *r)
{
	ck_assert_int_eq(ob_rl_hit(rl, NULL, c, id, r), 0);
	return r->allowed;
}

START_TEST(rl_exact_limit_in_fresh_window)
{
	struct ob_rl *rl = new_rl(0);
	struct ob_rl_result r;
	int i;

	ck_assert_int_eq(ob_rl_set(rl, OB_RL_WRITE, 20, 60), 0);
	fake_now = T0 + 5;
	for (i = 0; i < 20; i++) {
		ck_assert_msg(hit(rl, OB_RL_WRITE, "key_1", &r), "request %d denied", i);
		ck_assert_int_eq(r.limit, 20);
		ck_assert_int_eq(r.remaining, 19 - i);
		ck_assert_int_eq(r.reset, T0 + 60);
		ck_assert_int_eq(r.retry_after, 0);
	}
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "key_1", &r), 0);
	ck_assert_int_eq(r.limit, 20);
	ck_assert_int_eq(r.remaining, 0);
	ck_assert_int_eq(r.reset, T0 + 60);
	/*
	 * 20 in this window: the estimate first drops below 20 one second
	 * into the next window (20 * 59 / 60 = 19), i.e. at T0 + 61.
	 */
	ck_assert_int_eq(r.retry_after, 56);
	/* Denials are not counted. */
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "key_1", &r), 0);
	ck_assert_int_eq(r.retry_after, 56);
	fake_now = T0 + 60;
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "key_1", &r), 0);
	ck_assert_int_eq(r.retry_after, 1);
	ck_assert_int_eq(r.reset, T0 + 120);
	fake_now = T0 + 61;
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "key_1", &r), 1);
	ck_assert_int_eq(r.remaining, 0);
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "key_1", &r), 0);
	/* Two windows later everything is forgotten. */
	fake_now = T0 + 180;
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(hit(rl, OB_RL_WRITE, "key_1", &r), 1);
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "key_1", &r), 0);
	ob_rl_destroy(rl);
}
END_TEST

START_TEST(rl_sliding_estimate)
{
	struct ob_rl *rl = new_rl(0);
	struct ob_rl_result r;
	int i;

	ck_assert_int_eq(ob_rl_set(rl, OB_RL_READ, 10, 60), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(hit(rl, OB_RL_READ, "u", &r), 1);
	/* Half-way into the next window the previous 10 weigh 5. */
	fake_now = T0 + 90;
	for (i = 0; i < 5; i++) {
		ck_assert_msg(hit(rl, OB_RL_READ, "u", &r), "request %d denied", i);
		ck_assert_int_eq(r.remaining, 4 - i);
	}
	ck_assert_int_eq(hit(rl, OB_RL_READ, "u", &r), 0);
	ck_assert_int_eq(r.reset, T0 + 120);
	/* 10 * 29 / 60 + 5 = 9 < 10 at T0 + 91. */
	ck_assert_int_eq(r.retry_after, 1);
	fake_now = T0 + 91;
	ck_assert_int_eq(hit(rl, OB_RL_READ, "u", &r), 1);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "u", &r), 0);
	/* 10 * (60 - t) / 60 + 6 < 10 from t = 37 on. */
	ck_assert_int_eq(r.retry_after, 37 - 31);
	fake_now = T0 + 96;
	ck_assert_int_eq(hit(rl, OB_RL_READ, "u", &r), 0);
	fake_now = T0 + 97;
	ck_assert_int_eq(hit(rl, OB_RL_READ, "u", &r), 1);
	ob_rl_destroy(rl);
}
END_TEST

START_TEST(rl_identities_and_classes_independent)
{
	struct ob_rl *rl = new_rl(0);
	struct ob_rl_result r;
	int i;

	ck_assert_int_eq(ob_rl_set(rl, OB_RL_READ, 3, 60), 0);
	ck_assert_int_eq(ob_rl_set(rl, OB_RL_WRITE, 3, 60), 0);
	ck_assert_int_eq(ob_rl_set(rl, OB_RL_METER, 3, 60), 0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(hit(rl, OB_RL_READ, "alice", &r), 1);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "alice", &r), 0);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "alice2", &r), 1);
	ck_assert_int_eq(r.remaining, 2);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "", &r), 1);
	ck_assert_int_eq(hit(rl, OB_RL_READ, NULL, &r), 1);	/* NULL is "" */
	ck_assert_int_eq(r.remaining, 1);
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "alice", &r), 1);
	ck_assert_int_eq(r.remaining, 2);
	ck_assert_int_eq(hit(rl, OB_RL_METER, "alice", &r), 1);
	ck_assert_int_eq(r.remaining, 2);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "alice", &r), 0);
	/* Defaults as documented. */
	ob_rl_destroy(rl);
	rl = new_rl(0);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "x", &r), 1);
	ck_assert_int_eq(r.limit, 100);
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "x", &r), 1);
	ck_assert_int_eq(r.limit, 20);
	ck_assert_int_eq(hit(rl, OB_RL_METER, "x", &r), 1);
	ck_assert_int_eq(r.limit, 100000);
	ob_rl_destroy(rl);
}
END_TEST

/* A thousand meter hits on one key: how many were allowed (-2: a hit failed). */
static long
thousand_hits(void *rl)
{
	struct ob_rl_result r;
	long n = 0;
	int j;

	for (j = 0; j < 1000; j++) {
		if (ob_rl_hit(rl, NULL, OB_RL_METER, "sk_shared", &r) != 0)
			return -2;
		n += r.allowed;
	}
	return n;
}

/* Four processes on one key at once: the limit holds exactly. */
START_TEST(rl_shared_across_processes)
{
	struct ob_rl *rl = new_rl(0);
	struct ob_rl_result r;

	ck_assert_int_eq(ob_rl_set(rl, OB_RL_METER, 2500, 86400), 0);
	ck_assert_int_eq(t_fork_sum(4, thousand_hits, rl), 2500);
	/* The parent sees the children's counts. */
	ck_assert_int_eq(hit(rl, OB_RL_METER, "sk_shared", &r), 0);
	ck_assert_int_eq(hit(rl, OB_RL_METER, "sk_other", &r), 1);
	ob_rl_destroy(rl);
}
END_TEST

/*
 * A table of 8 slots (one bucket): a ninth key takes the slot whose
 * windows end first; the key it held is forgotten (allowed again).
 */
START_TEST(rl_eviction_tiny_table)
{
	struct ob_rl *rl = new_rl(1);
	struct ob_rl_result r;
	char id[16];
	int i;

	ck_assert_int_eq(ob_rl_set(rl, OB_RL_READ, 1, 60), 0);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "id0", &r), 1);
	fake_now = T0 + 60;
	for (i = 1; i < 8; i++) {
		snprintf(id, sizeof(id), "id%d", i);
		ck_assert_int_eq(hit(rl, OB_RL_READ, id, &r), 1);
		ck_assert_int_eq(hit(rl, OB_RL_READ, id, &r), 0);
	}
	/* A ninth key evicts id0, the oldest window. */
	ck_assert_int_eq(hit(rl, OB_RL_READ, "id8", &r), 1);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "id8", &r), 0);
	for (i = 1; i < 8; i++) {
		snprintf(id, sizeof(id), "id%d", i);
		ck_assert_msg(!hit(rl, OB_RL_READ, id, &r), "%s forgotten", id);
	}
	/* id0 comes back fresh (errs towards allowing), evicting another. */
	ck_assert_int_eq(hit(rl, OB_RL_READ, "id0", &r), 1);
	ob_rl_destroy(rl);

	/* Sizes: rounded up to a power of two; absurd sizes refused. */
	rl = ob_rl_create(1000);
	ck_assert_ptr_nonnull(rl);
	ob_rl_destroy(rl);
	ck_assert_ptr_null(ob_rl_create((size_t)1 << 30));
	ob_rl_destroy(NULL);
}
END_TEST

START_TEST(rl_parse_spec_and_configure)
{
	struct ob_rl *rl = new_rl(0);
	struct ob_rl_result r;
	const char *specs[OB_RL__MAX] = { NULL };
	char err[256];
	long l = -7, w = -7;
	static const char *const bad[] = { "0/60", "x", "10/0", "10/", "/60",
	    "-1/60", "10/-60", "10", "", " 10/60", "10/60 ", "10/60/1", "+5/60",
	    "1000000001/60", "10/86401", "99999999999999999999/60", "1e3/60" };
	size_t i;

	ck_assert_int_eq(ob_rl_parse_spec("100/60", &l, &w), 0);
	ck_assert_int_eq(l, 100);
	ck_assert_int_eq(w, 60);
	ck_assert_int_eq(ob_rl_parse_spec("10/900", &l, &w), 0);
	ck_assert_int_eq(l, 10);
	ck_assert_int_eq(w, 900);
	ck_assert_int_eq(ob_rl_parse_spec("1000000000/86400", &l, &w), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = w = -7;
		ck_assert_msg(ob_rl_parse_spec(bad[i], &l, &w) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(l, -7);
		ck_assert_int_eq(w, -7);
	}
	ck_assert_int_eq(ob_rl_parse_spec(NULL, &l, &w), -1);

	ck_assert_int_eq(ob_rl_set(rl, OB_RL_READ, 0, 60), -1);
	ck_assert_int_eq(ob_rl_set(rl, OB_RL_READ, 5, 86401), -1);
	ck_assert_int_eq(ob_rl_set(rl, OB_RL__MAX, 5, 60), -1);
	ck_assert_str_eq(ob_rl_class_name(OB_RL_SUBSCRIPTION), "subscription");
	ck_assert_ptr_null(ob_rl_class_name(OB_RL__MAX));
	ck_assert_str_eq(ob_rl_class_env(OB_RL_LOGIN), "ORGBILL_RATE_LOGIN");
	ck_assert_int_eq(ob_rl_class_uses_db(OB_RL_METER), 0);
	ck_assert_int_eq(ob_rl_class_uses_db(OB_RL_REFUND), 1);

	/* All or nothing: one bad spec changes no class. */
	specs[OB_RL_READ] = "2/60";
	specs[OB_RL_LOGIN] = "10/0";
	ck_assert_int_eq(ob_rl_configure(rl, specs, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "ORGBILL_RATE_LOGIN"));
	ck_assert_int_eq(hit(rl, OB_RL_READ, "c", &r), 1);
	ck_assert_int_eq(r.limit, 100);

	unsetenv("ORGBILL_RATE_LOGIN");
	setenv("ORGBILL_RATE_READ", "2/60", 1);
	setenv("ORGBILL_RATE_WRITE", "", 1);	/* empty: the default */
	ck_assert_int_eq(ob_rl_configure_from_env(rl, err, sizeof(err)), 0);
	ck_assert_int_eq(hit(rl, OB_RL_READ, "d", &r), 1);
	ck_assert_int_eq(r.limit, 2);
	ck_assert_int_eq(hit(rl, OB_RL_WRITE, "d", &r), 1);
	ck_assert_int_eq(r.limit, 20);
	setenv("ORGBILL_RATE_METER", "lots", 1);
	ck_assert_int_eq(ob_rl_configure_from_env(rl, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "ORGBILL_RATE_METER"));
	unsetenv("ORGBILL_RATE_READ");
	unsetenv("ORGBILL_RATE_WRITE");
	unsetenv("ORGBILL_RATE_METER");
	ob_rl_destroy(rl);
}
END_TEST

START_TEST(rl_headers_and_body)
{
	struct ob_rl_result ok = { 1, 100, 42, 1700000060L, 0 };
	struct ob_rl_result no = { 0, 20, 0, 1700000060L, 17 };
	struct ob_buf b = OB_BUF_INIT;

	ob_rl_headers(&ok, &b);
	ck_assert_str_eq(b.data, "X-RateLimit-Limit: 100\r\n"
	    "X-RateLimit-Remaining: 42\r\nX-RateLimit-Reset: 1700000060\r\n");
	ob_buf_reset(&b);
	ob_rl_headers(&no, &b);
	ck_assert_str_eq(b.data, "X-RateLimit-Limit: 20\r\n"
	    "X-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: 1700000060\r\n"
	    "Retry-After: 17\r\n");
	ob_buf_reset(&b);
	ob_rl_error_body(&no, &b);
	ck_assert_str_eq(b.data, "{\"error\":{\"type\":\"rate_limit_error\","
	    "\"code\":\"rate_limited\",\"message\":\"Too many requests; retry "
	    "after 17 seconds.\",\"param\":null}}");
	ob_buf_free(&b);
}
END_TEST

/* A database class without a database: -1 and a ready-made denial. */
START_TEST(rl_db_class_without_db)
{
	struct ob_rl *rl = new_rl(0);
	struct ob_rl_result r;

	ck_assert_int_eq(ob_rl_hit(rl, NULL, OB_RL_LOGIN, "bob", &r), -1);
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_int_eq(r.limit, 10);
	ck_assert_int_eq(r.retry_after, 1);
	ck_assert_int_eq(r.reset, T0 + 1);
	ck_assert_int_eq(ob_rl_hit(rl, NULL, OB_RL__MAX, "bob", &r), -1);
	ck_assert_int_eq(r.allowed, 0);
	ob_rl_destroy(rl);
}
END_TEST

Suite *ratelimit_suite(void)
{
	return t_suite("ratelimit", 30, T_TESTS(rl_exact_limit_in_fresh_window,
	    rl_sliding_estimate, rl_identities_and_classes_independent,
	    rl_shared_across_processes, rl_eviction_tiny_table,
	    rl_parse_spec_and_configure, rl_headers_and_body, rl_db_class_without_db));
}
