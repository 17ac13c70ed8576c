/*
 * The rate limiter's database backend against the stack's PostgreSQL:
 * exact counts per fixed window, exact across several "hosts" (processes
 * with their own connections), odd identities, the transaction guard and
 * the cleanup. Buckets carry the pid and the time, so reruns never meet.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/db.h"
#include "base/ratelimit.h"
#include "integration/harness.h"
#include "unit/unit.h"

static long fake_now;

static long
fake_clock(void)
{
	return fake_now;
}

/* A limiter on the test clock, at the start of a window of w seconds. */
static struct ob_rl *
new_rl(long w)
{
	struct ob_rl *rl = ob_rl_create(64);
	long t = (long)time(NULL);

	ck_assert_ptr_nonnull(rl);
	fake_now = t - t % w;
	ob_rl_set_clock(rl, fake_clock);
	return rl;
}

static void
unique_id(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "%s-%ld-%ld", tag, (long)getpid(), (long)time(NULL));
}

START_TEST(rl_db_exact_per_window)
{
	struct ob_db db;
	struct ob_rl *rl = new_rl(900);
	struct ob_rl_result r;
	char id[96];
	long t0 = fake_now;
	int i;

	t_db_open(&db);
	unique_id(id, sizeof(id), "user");
	ck_assert_int_eq(ob_rl_set(rl, OB_RL_LOGIN, 5, 900), 0);
	fake_now = t0 + 100;
	for (i = 0; i < 5; i++) {
		ck_assert_msg(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r) == 0, "%s", db.lasterr);
		ck_assert_msg(r.allowed, "request %d denied", i);
		ck_assert_int_eq(r.limit, 5);
		ck_assert_int_eq(r.remaining, 4 - i);
		ck_assert_int_eq(r.reset, t0 + 900);
		ck_assert_int_eq(r.retry_after, 0);
	}
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
		ck_assert_int_eq(r.allowed, 0);
		ck_assert_int_eq(r.remaining, 0);
		ck_assert_int_eq(r.reset, t0 + 900);
		ck_assert_int_eq(r.retry_after, 800);
	}
	/* Another class with the same identity is another bucket. */
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_REFUND, id, &r), 0);
	ck_assert_int_eq(r.allowed, 1);
	ck_assert_int_eq(r.remaining, 2);
	/* A fixed window: the next one starts from zero. */
	fake_now = t0 + 900;
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
		ck_assert_int_eq(r.allowed, 1);
	}
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_int_eq(r.reset, t0 + 1800);

	/* The server's clock when no test clock is set. */
	ob_rl_set_clock(rl, NULL);
	unique_id(id, sizeof(id), "real");
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_SUBSCRIPTION, id, &r), 0);
	ck_assert_int_eq(r.allowed, 1);
	ck_assert_int_eq(r.limit, 5);
	ck_assert_int_eq(r.remaining, 4);
	ck_assert_int_eq(r.reset % 3600, 0);
	ck_assert_int_ge(r.reset, (long)time(NULL) - 5);
	ck_assert_int_le(r.reset, (long)time(NULL) + 3600 + 5);
	ob_rl_destroy(rl);
	ob_db_close(&db);
}
END_TEST

struct host {
	struct ob_rl *rl;
	const char *id;
};

/* One "host": its own connection, 30 sign-in hits; how many were allowed. */
static long
host_hits(void *arg)
{
	const struct host *h = arg;
	struct ob_rl_result r;
	struct ob_db db;
	long n = 0;
	int j;

	if (ob_db_open(&db, t_env("DATABASE_URL"), "orgbill-test", 5000) != 0)
		return -2;
	for (j = 0; j < 30; j++) {
		if (ob_rl_hit(h->rl, &db, OB_RL_LOGIN, h->id, &r) != 0)
			return -3;
		n += r.allowed;
	}
	ob_db_close(&db);
	return n;
}

/* Four processes, each with its own connection, on one login bucket. */
START_TEST(rl_db_exact_across_hosts)
{
	struct ob_rl *rl = new_rl(900);
	struct ob_rl_result r;
	struct ob_db db;
	char id[96];
	struct host h = { rl, id };

	unique_id(id, sizeof(id), "hosts");
	ck_assert_int_eq(ob_rl_set(rl, OB_RL_LOGIN, 37, 900), 0);
	ck_assert_int_eq(t_fork_sum(4, host_hits, &h), 37);
	t_db_open(&db);
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
	ck_assert_int_eq(r.allowed, 0);
	ob_db_close(&db);
	ob_rl_destroy(rl);
}
END_TEST

/* Identities that are long or not printable ASCII are hashed, not refused. */
START_TEST(rl_db_odd_identities)
{
	struct ob_db db;
	struct ob_rl *rl = new_rl(60);
	struct ob_rl_result r;
	char base[96], longid[400], odd[128];

	t_db_open(&db);
	unique_id(base, sizeof(base), "odd");
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	memcpy(longid, base, strlen(base));
	snprintf(odd, sizeof(odd), "%s \xff\xfe' ; DROP TABLE x; --\t\xc3\xa9", base);
	ck_assert_int_eq(ob_rl_set(rl, OB_RL_REFUND, 1, 60), 0);
	ck_assert_msg(ob_rl_hit(rl, &db, OB_RL_REFUND, longid, &r) == 0, "%s", db.lasterr);
	ck_assert_int_eq(r.allowed, 1);
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_REFUND, longid, &r), 0);
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_msg(ob_rl_hit(rl, &db, OB_RL_REFUND, odd, &r) == 0, "%s", db.lasterr);
	ck_assert_int_eq(r.allowed, 1);
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_REFUND, odd, &r), 0);
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_REFUND, base, &r), 0);
	ck_assert_int_eq(r.allowed, 1);
	ob_rl_destroy(rl);
	ob_db_close(&db);
}
END_TEST

/* Inside a transaction a rollback would undo the count: refused. */
START_TEST(rl_db_refuses_transaction)
{
	struct ob_db db;
	struct ob_rl *rl = new_rl(60);
	struct ob_rl_result r;
	char id[96];

	t_db_open(&db);
	unique_id(id, sizeof(id), "tx");
	ck_assert_int_eq(ob_db_begin(&db), 0);
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), -1);
	ck_assert_int_eq(r.allowed, 0);
	ck_assert_int_eq(r.retry_after, 1);
	ck_assert_ptr_nonnull(strstr(db.lasterr, "transaction"));
	ob_db_rollback(&db);
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
	ck_assert_int_eq(r.allowed, 1);
	ck_assert_int_eq(ob_db_end_request(&db), 0);
	ob_rl_destroy(rl);
	ob_db_close(&db);
}
END_TEST

START_TEST(rl_db_cleanup_old_windows)
{
	struct ob_db db;
	struct ob_rl *rl = new_rl(60);
	struct ob_rl_result r;
	char id[96];
	long deleted = -1;

	t_db_open(&db);
	unique_id(id, sizeof(id), "old");
	ck_assert_int_eq(ob_rl_set(rl, OB_RL_LOGIN, 2, 60), 0);
	fake_now -= 3 * 86400;
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
	ck_assert_int_eq(r.remaining, 0);
	ck_assert_msg(ob_rl_cleanup(&db, &deleted) == 0, "%s", db.lasterr);
	ck_assert_int_ge(deleted, 1);
	/* Gone: the same (old) window starts over. */
	ck_assert_int_eq(ob_rl_hit(rl, &db, OB_RL_LOGIN, id, &r), 0);
	ck_assert_int_eq(r.allowed, 1);
	ck_assert_int_eq(r.remaining, 1);
	ck_assert_int_eq(ob_rl_cleanup(&db, NULL), 0);
	ob_rl_destroy(rl);
	ob_db_close(&db);
}
END_TEST

Suite *ratelimit_db_suite(void)
{
	return t_suite("ratelimit_db", 60, T_TESTS(rl_db_exact_per_window,
	    rl_db_exact_across_hosts, rl_db_odd_identities, rl_db_refuses_transaction,
	    rl_db_cleanup_old_windows));
}
