#include "integration/harness.h"

#include <check.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>

#include <curl/curl.h>

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
	struct curl_slist *hl = NULL;
	CURL *c;
	CURLcode rc;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "%s%s", base ? base : t_env("OB_TEST_BASE_URL"), path);
	snprintf(ca, sizeof(ca), "%s/tls/cert.pem", t_env("OB_TEST_RUN_DIR"));
	c = curl_easy_init();
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
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
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (out->body.data == NULL)
		ob_buf_puts(&out->body, "");
	if (out->headers.data == NULL)
		ob_buf_puts(&out->headers, "");
	return rc == CURLE_OK ? 0 : -1;
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
