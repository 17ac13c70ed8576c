#include "base/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "base/db.h"
#include "base/json.h"
#include "base/mem.h"
#include "base/num.h"

/*
 * The shared table: buckets of RL_WAYS slots, one spinlock per bucket. A
 * key hashes to exactly one bucket and is looked for only among its
 * slots (a bounded probe of RL_WAYS). Probing inside an aligned bucket
 * under one lock, rather than across overlapping runs of per-slot locks,
 * means a process never holds two locks (no deadlock) and two processes
 * can never insert the same new key into two different slots.
 */
#define RL_WAYS		8
#define RL_SLOTS_MAX	((size_t)1 << 24)
#define RL_SPINS	64	/* busy tries before yielding the CPU */
#define RL_CHECK_EVERY	1024	/* yields between checks on the holder */
#define RL_ID_PLAIN_MAX	200	/* longer identities go to the database hashed */

struct rl_slot {
	uint64_t key;		/* SipHash of the identity under the class key; 0: free */
	int64_t  start;		/* epoch second the current window started */
	uint32_t cur;		/* requests allowed in the current window */
	uint32_t prev;		/* requests allowed in the window before it */
	uint32_t window;	/* the window length the counts were taken with */
	uint32_t unused;
};

struct rl_bucket {
	_Alignas(64) uint32_t lock;	/* 0: free; else the holder's pid */
	struct rl_slot slot[RL_WAYS];
};

struct rl_limit {
	long limit;
	long window;
};

struct ob_rl {
	struct rl_bucket *buckets;	/* MAP_SHARED: the same pages in every worker */
	size_t nbuckets;		/* a power of two */
	long (*now)(void);		/* NULL: time() and, for the DB, the server's clock */
	struct rl_limit lim[OB_RL__MAX];	/* process-local: set before fork */
	unsigned char key[OB_RL__MAX][crypto_shorthash_KEYBYTES];
};

static const struct rl_class_def {
	const char *name;
	const char *env;
	long limit;
	long window;
	int db;		/* 1: PostgreSQL (exact across hosts); 0: shared memory */
} rl_classes[OB_RL__MAX] = {
	[OB_RL_READ] = { "read", "ORGBILL_RATE_READ", 100, 60, 0 },
	[OB_RL_WRITE] = { "write", "ORGBILL_RATE_WRITE", 20, 60, 0 },
	[OB_RL_METER] = { "meter", "ORGBILL_RATE_METER", 100000, 60, 0 },
	[OB_RL_SUBSCRIPTION] = { "subscription", "ORGBILL_RATE_SUBSCRIPTION", 5, 3600, 1 },
	[OB_RL_REFUND] = { "refund", "ORGBILL_RATE_REFUND", 3, 60, 1 },
	[OB_RL_LOGIN] = { "login", "ORGBILL_RATE_LOGIN", 10, 900, 1 },
	/* The staff console's per-action limits (issue 14): not settings. */
	[OB_RL_STAFF_SEATS] = { "staff_seats", NULL, 10, 60, 1 },
	[OB_RL_STAFF_SUBSCRIPTION] = { "staff_subscription", NULL, 5, 60, 1 },
	[OB_RL_STAFF_SUSPEND] = { "staff_suspend", NULL, 5, 60, 1 },
	[OB_RL_STAFF_SYNC] = { "staff_sync", NULL, 10, 60, 1 },
	[OB_RL_STAFF_REPROCESS] = { "staff_reprocess", NULL, 10, 60, 1 },
};

/*
 * This process's pid, cached: getpid() is a system call and the metering
 * path makes none. A fork handler forgets the cache in the child.
 */
static uint32_t rl_self;
static int rl_atfork_done;

static void
rl_forget_self(void)
{
	rl_self = 0;
}

static uint32_t
rl_self_pid(void)
{
	if (rl_self == 0)
		rl_self = (uint32_t)getpid();
	return rl_self;
}

static int
rl_class_ok(enum ob_rl_class c)
{
	return (int)c >= 0 && c < OB_RL__MAX;
}

static long
rl_now(const struct ob_rl *rl)
{
	return rl->now != NULL ? rl->now() : (long)time(NULL);
}

/*
 * Take the bucket's lock. The critical sections are a few dozen
 * instructions without system calls, so spinning is cheap; a holder that
 * died inside one (SIGKILL) would block the bucket for ever, so a waiter
 * that has yielded many times checks whether the holder still exists and
 * takes the lock over if not (its counts may be off by one: harmless).
 */
static void
rl_lock(uint32_t *lock)
{
	uint32_t self = rl_self_pid(), holder;
	unsigned long tries = 0;

	for (;;) {
		holder = 0;
		if (__atomic_compare_exchange_n(lock, &holder, self, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (++tries < RL_SPINS) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			continue;
		}
		sched_yield();
		if (tries % RL_CHECK_EVERY == 0 && holder != 0 &&
		    kill((pid_t)holder, 0) == -1 && errno == ESRCH &&
		    __atomic_compare_exchange_n(lock, &holder, self, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
	}
}

static void
rl_unlock(uint32_t *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static int64_t
rl_ceil_div(int64_t a, int64_t b)
{
	return (a + b - 1) / b;
}

/* The start of the aligned window of length w holding second t. */
static int64_t
rl_window_start(int64_t t, int64_t w)
{
	int64_t m = t % w;

	return t - (m < 0 ? m + w : m);
}

/*
 * Seconds from elapsed (into the current window of length w) until the
 * estimate prev * (w - t) / w + cur (integer division) first falls below
 * limit, if nothing more is allowed meanwhile; at least 1.
 *
 * With cur < limit it happens in this window at the first t with
 * prev * (w - t) < (limit - cur) * w. Otherwise cur becomes the previous
 * count at the next window, and the same reasoning with cur' = 0 applies
 * there.
 */
static int64_t
rl_retry_after(int64_t prev, int64_t cur, int64_t limit, int64_t w,
    int64_t elapsed)
{
	int64_t t, r;

	if (cur < limit) {
		if (prev == 0)
			return 1;	/* not reached: the estimate was cur < limit */
		t = w + 1 - rl_ceil_div((limit - cur) * w, prev);
		r = t - elapsed;
	} else {
		t = w + 1 - rl_ceil_div(limit * w, cur);
		r = (w - elapsed) + t;
	}
	return r < 1 ? 1 : r;
}

static uint64_t
rl_key(const struct ob_rl *rl, enum ob_rl_class c, const char *id)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t k;

	crypto_shorthash(h, (const unsigned char *)id, strlen(id), rl->key[c]);
	memcpy(&k, h, sizeof(k));
	return k != 0 ? k : 1;
}

/*
 * The slot for key in bucket b (locked): its own, else a free one, else
 * the one whose counts stop mattering soonest (window start + 2 windows;
 * on a tie the fewest counted requests). Taking over a slot whose windows
 * are still live forgets that key: it starts again from zero, which only
 * ever errs towards allowing.
 */
static struct rl_slot *
rl_find(struct rl_bucket *b, uint64_t key, int *fresh)
{
	struct rl_slot *s, *victim = NULL;
	int64_t expiry, best = 0;
	uint64_t used, best_used = 0;
	int i;

	*fresh = 0;
	for (i = 0; i < RL_WAYS; i++)
		if (b->slot[i].key == key)
			return &b->slot[i];
	for (i = 0; i < RL_WAYS; i++) {
		s = &b->slot[i];
		if (s->key == 0) {
			victim = s;
			break;
		}
		expiry = s->start + 2 * (int64_t)s->window;
		used = (uint64_t)s->cur + s->prev;
		if (victim == NULL || expiry < best ||
		    (expiry == best && used < best_used)) {
			victim = s;
			best = expiry;
			best_used = used;
		}
	}
	*fresh = 1;
	return victim;
}

static void
rl_shm_hit(struct ob_rl *rl, enum ob_rl_class c, const char *id, int64_t now,
    struct ob_rl_result *out)
{
	int64_t w = rl->lim[c].window, limit = rl->lim[c].limit;
	int64_t ws = rl_window_start(now, w), elapsed, est, prev, cur;
	uint64_t key = rl_key(rl, c, id);
	struct rl_bucket *b = &rl->buckets[key & (rl->nbuckets - 1)];
	struct rl_slot *s;
	int fresh;

	rl_lock(&b->lock);
	s = rl_find(b, key, &fresh);
	if (fresh || s->window != (uint32_t)w) {
		/* New key, or counted with another window length: start over. */
		s->key = key;
		s->start = ws;
		s->cur = s->prev = 0;
		s->window = (uint32_t)w;
	} else if (s->start == ws - w) {
		s->prev = s->cur;
		s->cur = 0;
		s->start = ws;
	} else if (s->start < ws) {
		s->prev = s->cur = 0;
		s->start = ws;
	} else if (s->start > ws) {
		ws = s->start;	/* the clock stepped back: keep the newer window */
	}
	elapsed = now - ws;
	if (elapsed < 0)
		elapsed = 0;
	prev = s->prev;
	cur = s->cur;
	est = prev * (w - elapsed) / w + cur;
	out->limit = (long)limit;
	out->reset = (long)(ws + w);
	if (est < limit) {
		s->cur++;
		out->allowed = 1;
		out->remaining = (long)(limit - est - 1);
		out->retry_after = 0;
	} else {
		out->allowed = 0;
		out->remaining = 0;
		out->retry_after = (long)rl_retry_after(prev, cur, limit, w, elapsed);
	}
	rl_unlock(&b->lock);
}

/*
 * The database bucket name: "CLASS:IDENTITY" when the identity is short
 * printable ASCII, else "CLASS#" and the hex BLAKE2b-256 of it (the same
 * on every host, and always valid text for the column).
 */
static void
rl_bucket_name(enum ob_rl_class c, const char *id, char *out, size_t outlen)
{
	unsigned char h[32];
	char hex[sizeof(h) * 2 + 1];
	size_t len = strlen(id), i;
	int plain = len <= RL_ID_PLAIN_MAX;

	for (i = 0; plain && i < len; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			plain = 0;
	if (plain) {
		snprintf(out, outlen, "%s:%s", rl_classes[c].name, id);
		return;
	}
	crypto_generichash(h, sizeof(h), (const unsigned char *)id, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(out, outlen, "%s#%s", rl_classes[c].name, hex);
}

static int
rl_field_long(PGresult *res, const char *name, long *out)
{
	int f = PQfnumber(res, name);
	char *end;

	if (f < 0 || PQgetisnull(res, 0, f))
		return -1;
	errno = 0;
	*out = strtol(PQgetvalue(res, 0, f), &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/*
 * One upsert: the window (aligned on the database's clock, or on the test
 * clock) gets one more request, atomically across every connection. The
 * first limit requests of a window are allowed, the rest denied (and
 * still counted: a client that keeps hammering stays denied).
 */
static int
rl_db_hit(struct ob_rl *rl, struct ob_db *db, enum ob_rl_class c,
    const char *id, struct ob_rl_result *out)
{
	char bucket[256], win[24], at[24];
	const char *params[3];
	PGresult *res = NULL;
	long count, start, now, limit = rl->lim[c].limit;
	int rc = -1;

	if (db == NULL)
		goto out;
	if (db->in_tx) {
		snprintf(db->lasterr, sizeof(db->lasterr),
		    "rate limit: called inside a transaction");
		goto out;
	}
	rl_bucket_name(c, id, bucket, sizeof(bucket));
	ob_num_str(win, sizeof(win), rl->lim[c].window);
	params[0] = bucket;
	params[1] = win;
	params[2] = NULL;
	if (rl->now != NULL) {
		ob_num_str(at, sizeof(at), rl->now());
		params[2] = at;
	}
	if ((res = ob_db_exec(db, OB_STMT_RATE_LIMIT_HIT, params, NULL)) == NULL)
		goto out;
	if (PQntuples(res) != 1 || rl_field_long(res, "count", &count) != 0 ||
	    rl_field_long(res, "window_start", &start) != 0 ||
	    rl_field_long(res, "now", &now) != 0) {
		snprintf(db->lasterr, sizeof(db->lasterr),
		    "rate_limit_hit: unexpected result");
		goto out;
	}
	out->limit = limit;
	out->reset = start + rl->lim[c].window;
	if (count <= limit) {
		out->allowed = 1;
		out->remaining = limit - count;
		out->retry_after = 0;
	} else {
		out->allowed = 0;
		out->remaining = 0;
		out->retry_after = out->reset - now < 1 ? 1 : out->reset - now;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

struct ob_rl *
ob_rl_create(size_t slots)
{
	struct ob_rl *rl;
	size_t n = 8, len;
	void *p;
	int i;

	if (slots == 0)
		slots = OB_RL_SLOTS_DEFAULT;
	if (slots > RL_SLOTS_MAX || sodium_init() < 0)
		return NULL;
	while (n < slots)
		n <<= 1;
	len = n / RL_WAYS * sizeof(struct rl_bucket);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (!rl_atfork_done) {
		pthread_atfork(NULL, NULL, rl_forget_self);
		rl_atfork_done = 1;
	}
	rl = ob_xcalloc(1, sizeof(*rl));
	rl->buckets = p;
	rl->nbuckets = n / RL_WAYS;
	for (i = 0; i < OB_RL__MAX; i++) {
		rl->lim[i].limit = rl_classes[i].limit;
		rl->lim[i].window = rl_classes[i].window;
	}
	randombytes_buf(rl->key, sizeof(rl->key));
	return rl;
}

void
ob_rl_destroy(struct ob_rl *rl)
{
	if (rl == NULL)
		return;
	munmap(rl->buckets, rl->nbuckets * sizeof(struct rl_bucket));
	sodium_memzero(rl->key, sizeof(rl->key));
	free(rl);
}

int
ob_rl_set(struct ob_rl *rl, enum ob_rl_class c, long limit, long window_s)
{
	if (!rl_class_ok(c) || limit < 1 || limit > OB_RL_LIMIT_MAX ||
	    window_s < 1 || window_s > OB_RL_WINDOW_MAX)
		return -1;
	rl->lim[c].limit = limit;
	rl->lim[c].window = window_s;
	return 0;
}

const char *
ob_rl_class_name(enum ob_rl_class c)
{
	return rl_class_ok(c) ? rl_classes[c].name : NULL;
}

const char *
ob_rl_class_env(enum ob_rl_class c)
{
	return rl_class_ok(c) ? rl_classes[c].env : NULL;
}

const char *
ob_rl_class_default(enum ob_rl_class c)
{
	static char spec[OB_RL__MAX][48];

	if (!rl_class_ok(c))
		return NULL;
	snprintf(spec[c], sizeof(spec[c]), "%ld/%ld", rl_classes[c].limit, rl_classes[c].window);
	return spec[c];
}

int
ob_rl_class_uses_db(enum ob_rl_class c)
{
	return rl_class_ok(c) && rl_classes[c].db;
}

/* Digits only, 1..max; advances *p past them. 0 or -1. */
static int
rl_parse_num(const char **p, long max, long *out)
{
	const char *s = *p;
	long v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	if (v < 1)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int
ob_rl_parse_spec(const char *s, long *limit, long *window_s)
{
	long l, w;

	if (s == NULL || rl_parse_num(&s, OB_RL_LIMIT_MAX, &l) != 0 ||
	    *s++ != '/' || rl_parse_num(&s, OB_RL_WINDOW_MAX, &w) != 0 ||
	    *s != '\0')
		return -1;
	*limit = l;
	*window_s = w;
	return 0;
}

int
ob_rl_configure(struct ob_rl *rl, const char *const specs[OB_RL__MAX],
    char *err, size_t errlen)
{
	struct rl_limit lim[OB_RL__MAX];
	int i;

	for (i = 0; i < OB_RL__MAX; i++) {
		lim[i].limit = rl_classes[i].limit;
		lim[i].window = rl_classes[i].window;
		if (specs[i] == NULL || specs[i][0] == '\0')
			continue;
		if (ob_rl_parse_spec(specs[i], &lim[i].limit, &lim[i].window) != 0) {
			snprintf(err, errlen, "%s: expected LIMIT/SECONDS with LIMIT "
			    "1..%ld and SECONDS 1..%ld (e.g. %ld/%ld)",
			    rl_classes[i].env ? rl_classes[i].env : rl_classes[i].name,
			    OB_RL_LIMIT_MAX, OB_RL_WINDOW_MAX,
			    rl_classes[i].limit, rl_classes[i].window);
			return -1;
		}
	}
	memcpy(rl->lim, lim, sizeof(lim));
	return 0;
}

int
ob_rl_configure_from_env(struct ob_rl *rl, char *err, size_t errlen)
{
	const char *specs[OB_RL__MAX];
	int i;

	for (i = 0; i < OB_RL__MAX; i++)
		specs[i] = rl_classes[i].env != NULL ? getenv(rl_classes[i].env) : NULL;
	return ob_rl_configure(rl, specs, err, errlen);
}

void
ob_rl_set_clock(struct ob_rl *rl, long (*now)(void))
{
	rl->now = now;
}

int
ob_rl_hit(struct ob_rl *rl, struct ob_db *db, enum ob_rl_class c,
    const char *identity, struct ob_rl_result *out)
{
	long now = rl_now(rl);

	if (identity == NULL)
		identity = "";
	if (rl_class_ok(c) && !rl_classes[c].db) {
		rl_shm_hit(rl, c, identity, now, out);
		return 0;
	}
	if (rl_class_ok(c) && rl_db_hit(rl, db, c, identity, out) == 0)
		return 0;
	/* Failed: describe a short denial; the caller picks open or closed. */
	out->allowed = 0;
	out->limit = rl_class_ok(c) ? rl->lim[c].limit : 0;
	out->remaining = 0;
	out->reset = now + 1;
	out->retry_after = 1;
	return -1;
}

void
ob_rl_headers(const struct ob_rl_result *r, struct ob_buf *out)
{
	ob_buf_printf(out, "X-RateLimit-Limit: %ld\r\nX-RateLimit-Remaining: %ld\r\n"
	    "X-RateLimit-Reset: %ld\r\n", r->limit, r->remaining, r->reset);
	if (!r->allowed)
		ob_buf_printf(out, "Retry-After: %ld\r\n", r->retry_after);
}

void
ob_rl_error_body(const struct ob_rl_result *r, struct ob_buf *out)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "Too many requests; retry after %ld second%s.",
	    r->retry_after, r->retry_after == 1 ? "" : "s");
	ob_json_put_error(out, "rate_limit_error", "rate_limited", msg, NULL);
}

int
ob_rl_cleanup(struct ob_db *db, long *deleted)
{
	PGresult *res = ob_db_exec(db, OB_STMT_RATE_LIMIT_CLEANUP, NULL, NULL);

	if (res == NULL)
		return -1;
	if (deleted != NULL)
		*deleted = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}
