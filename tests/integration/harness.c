/*
 * The harness (see harness.h): the environment, the stack's processes, the
 * database and the CLI, and the fixtures made through the CLI. Requests
 * and signing in: harness_http.c.
 */
#include "integration/harness.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/db.h"

const char *
t_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0', "%s is not set (run via tests/run-all.sh)", name);
	return v;
}

int
t_stack(const char *cmd)
{
	char line[4096];
	int st;

	snprintf(line, sizeof(line), "%s/deploy/stack.sh %s %s >/dev/null",
	    t_env("OB_TEST_ROOT"), cmd, t_env("OB_TEST_RUN_DIR"));
	st = system(line);
	return st == -1 ? -1 : WEXITSTATUS(st);
}

pid_t
t_pidfile(const char *name)
{
	char path[2048];
	FILE *f;
	long pid = -1;

	snprintf(path, sizeof(path), "%s/pids/%s.pid", t_env("OB_TEST_RUN_DIR"), name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = -1;
	fclose(f);
	return (pid_t)pid;
}

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int
t_children(pid_t parent, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], buf[512], *rp;
	FILE *f;
	int n = 0;
	long ppid;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL && n < max) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (rp = strrchr(buf, ')')) != NULL &&
		    sscanf(rp + 2, "%*c %ld", &ppid) == 1 && ppid == parent && rp[2] != 'Z')
			out[n++] = (pid_t)atol(e->d_name);
		fclose(f);
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), cmp_pid);
	return n;
}

void
t_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
t_wait_status(const char *path, long status, int ms)
{
	struct t_resp r;
	int waited;

	for (waited = 0; waited <= ms; waited += 100) {
		if (t_http(NULL, "GET", path, NULL, 0, NULL, &r) == 0 && r.status == status) {
			t_resp_free(&r);
			return 0;
		}
		t_resp_free(&r);
		t_sleep_ms(100);
	}
	return -1;
}

/* ---- the database and the CLI ---- */

void
t_sql(const char *sql)
{
	PGconn *c = PQconnectdb(t_env("DATABASE_URL"));
	PGresult *res;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
	PQclear(res);
	PQfinish(c);
}

const char *
t_sql_value(const char *sql)
{
	static char val[4096];
	PGconn *c = PQconnectdb(t_env("DATABASE_URL"));
	PGresult *res;
	const char *out = NULL;

	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
	if (PQntuples(res) > 0) {
		snprintf(val, sizeof(val), "%s", PQgetvalue(res, 0, 0));
		out = val;
	}
	PQclear(res);
	PQfinish(c);
	return out;
}

/* fmt formatted with ap (static buffer). */
static const char *
vformat(const char *fmt, va_list ap)
{
	static char sql[4096];

	vsnprintf(sql, sizeof(sql), fmt, ap);
	return sql;
}

void
t_sqlf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_sql(vformat(fmt, ap));
	va_end(ap);
}

const char *
t_sql_valuef(const char *fmt, ...)
{
	const char *v;
	va_list ap;

	va_start(ap, fmt);
	v = t_sql_value(vformat(fmt, ap));
	va_end(ap);
	return v;
}

long
t_sql_long(const char *fmt, ...)
{
	const char *v, *sql;
	va_list ap;

	va_start(ap, fmt);
	sql = vformat(fmt, ap);
	va_end(ap);
	v = t_sql_value(sql);
	ck_assert_msg(v != NULL, "no row: %s", sql);
	return atol(v);
}

void
t_reset_rate_limits(void)
{
	t_sql("DELETE FROM rate_limit_counters");
}

void
t_db_open(struct ob_db *db)
{
	ck_assert_msg(ob_db_open(db, t_env("DATABASE_URL"), "orgbill-test", 5000) == 0,
	    "%s", db->lasterr);
}

int
t_cli(const char *args, const char *in, char *out, size_t len)
{
	char cmd[4096], tmp[64] = "";
	FILE *p;
	int st;

	if (in != NULL) {
		int fd;

		strcpy(tmp, "/tmp/ob-cli-in-XXXXXX");
		fd = mkstemp(tmp);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, in, strlen(in)), (ssize_t)strlen(in));
		close(fd);
	}
	snprintf(cmd, sizeof(cmd), "%s/orgbill %s <%s 2>/dev/null", t_env("OB_TEST_BIN_DIR"),
	    args, in != NULL ? tmp : "/dev/null");
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	if (out != NULL) {
		out[0] = '\0';
		if (fgets(out, (int)len, p) != NULL)
			out[strcspn(out, "\n")] = '\0';
	}
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	if (tmp[0] != '\0')
		unlink(tmp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
t_jobs_once(void)
{
	char out[256];

	return t_cli("jobs --once", NULL, out, sizeof(out));
}

/* ---- fixtures ---- */

/* The id that query returns; the test fails without a positive one. */
static long
id_of(const char *query)
{
	const char *v = t_sql_value(query);
	long id = v != NULL ? atol(v) : 0;

	ck_assert_msg(id > 0, "no id from: %s", query);
	return id;
}

long
t_org_id(const char *slug)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT id FROM organizations WHERE slug = '%s'", slug);
	return id_of(q);
}

long
t_user_id(const char *email)
{
	char q[384];

	snprintf(q, sizeof(q), "SELECT id FROM users WHERE email = '%s'", email);
	return id_of(q);
}

/* Run the CLI with args (stdin from in); it must succeed. Its first line into out. */
static void
cli_ok(const char *args, const char *in, char *out, size_t len)
{
	ck_assert_msg(t_cli(args, in, out, len) == 0, "orgbill %s failed", args);
}

/* The id the CLI printed; the test fails unless it is one. */
static long
printed_id(const char *out)
{
	long id = atol(out);

	ck_assert_msg(id > 0 && strspn(out, "0123456789") == strlen(out), "not an id: '%s'", out);
	return id;
}

long
t_org_new(const char *tag, const char *name, const char *billing_email)
{
	static int n;
	char slug[64], args[512], mail[256] = "", out[64];

	snprintf(slug, sizeof(slug), "%s-%d-%ld-%d", tag, (int)getpid(), (long)time(NULL), n++);
	if (billing_email != NULL)
		snprintf(mail, sizeof(mail), " --billing-email '%s'", billing_email);
	snprintf(args, sizeof(args), "org create --name '%s' --slug %s%s",
	    name != NULL ? name : slug, slug, mail);
	cli_ok(args, NULL, out, sizeof(out));
	return printed_id(out);
}

long
t_member_new(long org, const char *role, const char *department)
{
	static int n;
	char args[256], out[64];
	long uid;

	snprintf(args, sizeof(args), "user create --email member-%ld-%d@example.test", org, n++);
	cli_ok(args, T_MEMBER_PASSWORD "\n", out, sizeof(out));
	uid = printed_id(out);
	t_member_add(org, uid, role, department);
	return uid;
}

void
t_member_add(long org, long user, const char *role, const char *department)
{
	char args[384], dept[160] = "";

	if (department != NULL)
		snprintf(dept, sizeof(dept), " --department '%s'", department);
	snprintf(args, sizeof(args), "member add --org %ld --user %ld --role %s%s", org, user, role, dept);
	cli_ok(args, NULL, NULL, 0);
}

void
t_apikey_new(long org, const char *scopes, char *key, size_t len)
{
	char args[256];

	snprintf(args, sizeof(args), "apikey create --org %ld --scopes %s", org, scopes);
	cli_ok(args, NULL, key, len);
	ck_assert_int_eq(strncmp(key, "ob_", 3), 0);
}

const char *
t_password_of(const char *email)
{
	size_t n = strlen(email), d = strlen("@orgbill.test");

	/* The demo staff logins, one per staff role, share the staff password. */
	if (n > d && strcmp(email + n - d, "@orgbill.test") == 0)
		return t_env("OB_TEST_STAFF_PASSWORD");
	return T_DEMO_PASSWORD;
}

void
t_session_new(const char *email, struct t_session *s)
{
	ck_assert_int_eq(t_login(email, t_password_of(email), s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
}
