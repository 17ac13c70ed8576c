#include "integration/harness.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <sodium.h>

#include "base/db.h"
#include "identity/auth.h"

const char *
t_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0', "%s is not set (run via tests/run-all.sh)", name);
	return v;
}

static size_t
collect(char *p, size_t sz, size_t n, void *ud)
{
	ob_buf_append(ud, p, sz * n);
	return sz * n;
}

int
t_http(const char *base, const char *method, const char *path,
    const char *body, size_t body_len, const char *const *headers,
    struct t_resp *out)
{
	char url[2048], ca[1024];
	struct curl_slist *hl = NULL, *resolve = NULL;
	CURL *c;
	CURLcode rc;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", base ? base : t_env("OB_TEST_BASE_URL"), path);
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", t_env("OB_TEST_RUN_DIR"));
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	/* "localhost" is 127.0.0.1 for every suite (IPv6 stays free for the
	 * tests that need a second client address). */
	{
		const char *host = strstr(url, "://localhost:");

		if (host != NULL) {
			char entry[64];

			snprintf(entry, sizeof(entry), "localhost:%d:127.0.0.1", atoi(host + 13));
			resolve = curl_slist_append(resolve, entry);
			curl_easy_setopt(c, CURLOPT_RESOLVE, resolve);
		}
	}
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	curl_slist_free_all(resolve);
	if (out->body.data == NULL)
		ob_buf_puts(&out->body, "");
	if (out->headers.data == NULL)
		ob_buf_puts(&out->headers, "");
	return rc == CURLE_OK ? 0 : -1;
}

/* r's status; r itself into out, or freed when out is NULL. */
static long
answer(struct t_resp *r, struct t_resp *out)
{
	long status = r->status;

	if (out != NULL)
		*out = *r;
	else
		t_resp_free(r);
	return status;
}

long
t_fake(const char *method, const char *path, const char *body, const char *content_type,
    struct t_resp *out)
{
	char auth[256], type[128];
	const char *hdr[3] = { auth, type, NULL };
	struct t_resp r;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", t_env("STRIPE_SECRET_KEY"));
	snprintf(type, sizeof(type), "Content-Type: %s",
	    content_type != NULL ? content_type : "application/json");
	ck_assert_int_eq(t_http(t_env("OB_TEST_STRIPE_FAKE"), method, path, body,
	    body != NULL ? strlen(body) : 0, hdr, &r), 0);
	return answer(&r, out);
}

long
t_get(const char *path, struct t_resp *out)
{
	ck_assert_msg(t_http(NULL, "GET", path, NULL, 0, NULL, out) == 0,
	    "GET %s: no answer", path);
	return out->status;
}

const char *
t_header(const struct t_resp *r, const char *name)
{
	static char val[1024];
	const char *p = r->headers.data, *found = NULL, *e;
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			found = p + n + 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (found == NULL)
		return NULL;
	while (*found == ' ')
		found++;
	e = found + strcspn(found, "\r\n");
	snprintf(val, sizeof(val), "%.*s", (int)(e - found), found);
	return val;
}

void
t_resp_free(struct t_resp *r)
{
	ob_buf_free(&r->headers);
	ob_buf_free(&r->body);
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

/* ---- JSON answers ---- */

cJSON *
t_json(const struct t_resp *r)
{
	cJSON *j = cJSON_Parse(r->body.data ? r->body.data : "");

	ck_assert_msg(j != NULL, "not JSON: %s", r->body.data ? r->body.data : "");
	return j;
}

const char *
t_jstr(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

long long
t_jnum(const cJSON *o, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
	char *p;
	long long v;

	ck_assert_msg(cJSON_IsNumber(it) || cJSON_IsRaw(it), "%s is not a number", name);
	p = cJSON_PrintUnformatted(it);
	v = strtoll(p, NULL, 10);
	cJSON_free(p);
	return v;
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

/* ---- signing in ---- */

/* The value of Set-Cookie NAME=value in r's headers (arena-free: static). */
static const char *
set_cookie_value(const struct t_resp *r, const char *name)
{
	static char val[256];
	const char *p = r->headers.data;
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, "set-cookie:", 11) == 0) {
			const char *v = p + 11;

			while (*v == ' ')
				v++;
			if (strncmp(v, name, n) == 0 && v[n] == '=') {
				size_t len = strcspn(v + n + 1, ";\r\n");

				snprintf(val, sizeof(val), "%.*s", (int)len, v + n + 1);
				return val;
			}
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

int
t_http_as(const char *cookie, const char *bearer, const char *method, const char *path,
    const char *body, const char *content_type, const char *const *extra, struct t_resp *out)
{
	char ch[512], bh[256], th[128];
	const char *hdr[16];
	int n = 0;

	if (cookie != NULL) {
		snprintf(ch, sizeof(ch), "Cookie: __Host-ob_session=%s", cookie);
		hdr[n++] = ch;
	}
	if (bearer != NULL) {
		snprintf(bh, sizeof(bh), "Authorization: Bearer %s", bearer);
		hdr[n++] = bh;
	}
	if (content_type != NULL) {
		snprintf(th, sizeof(th), "Content-Type: %s", content_type);
		hdr[n++] = th;
	}
	while (extra != NULL && *extra != NULL && n < 15)
		hdr[n++] = *extra++;
	hdr[n] = NULL;
	return t_http(NULL, method, path, body, body ? strlen(body) : 0, hdr, out);
}

long
t_call(const char *cookie, const char *bearer, const char *method, const char *path,
    const char *body, const char *content_type, const char *const *extra, struct t_resp *out)
{
	struct t_resp r;

	ck_assert_int_eq(t_http_as(cookie, bearer, method, path, body, content_type, extra, &r), 0);
	return answer(&r, out);
}

long
t_get_as(const char *cookie, const char *bearer, const char *path, struct t_resp *out)
{
	return t_call(cookie, bearer, "GET", path, NULL, NULL, NULL, out);
}

long
t_form_as(const char *cookie, const char *path, const char *body, const char *const *extra,
    struct t_resp *out)
{
	return t_call(cookie, NULL, "POST", path, body, "application/x-www-form-urlencoded", extra, out);
}

long
t_json_as(const char *bearer, const char *method, const char *path, const char *body,
    const char *const *extra, struct t_resp *out)
{
	return t_call(NULL, bearer, method, path, body, "application/json", extra, out);
}

long
t_login_form(const char *email, const char *password, const char *more_cookies,
    struct t_resp *out)
{
	struct t_resp r;
	char body[1024], hcookie[512], token[128];
	const char *v, *hdr[3];
	char *e;

	ck_assert_int_eq(t_http(NULL, "GET", "/login", NULL, 0, NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	v = set_cookie_value(&r, "__Host-ob_login");
	ck_assert_ptr_nonnull(v);
	snprintf(token, sizeof(token), "%s", v);
	t_resp_free(&r);
	snprintf(hcookie, sizeof(hcookie), "Cookie: __Host-ob_login=%s%s", token,
	    more_cookies != NULL ? more_cookies : "");
	hdr[0] = hcookie;
	hdr[1] = "Content-Type: application/x-www-form-urlencoded";
	hdr[2] = NULL;
	e = curl_easy_escape(NULL, password, 0);
	snprintf(body, sizeof(body), "login_token=%s&email=%s&password=%s", token, email, e);
	curl_free(e);
	ck_assert_int_eq(t_http(NULL, "POST", "/login", body, strlen(body), hdr, out), 0);
	return out->status;
}

long
t_login(const char *email, const char *password, char *cookie, size_t len)
{
	struct t_resp r;
	long status = t_login_form(email, password, NULL, &r);
	const char *v = set_cookie_value(&r, "__Host-ob_session");

	if (cookie != NULL)
		snprintf(cookie, len, "%s", (status == 303 && v != NULL) ? v : "");
	t_resp_free(&r);
	return status;
}

void
t_csrf(const char *cookie, char *out)
{
	unsigned char raw[OB_TOKEN_BYTES];

	ck_assert_int_eq(ob_auth_token_decode(cookie, raw), 0);
	ob_auth_csrf(raw, out);
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

void
t_session_new(const char *email, struct t_session *s)
{
	ck_assert_int_eq(t_login(email, T_DEMO_PASSWORD, s->cookie, sizeof(s->cookie)), 303);
	t_csrf(s->cookie, s->csrf);
}
