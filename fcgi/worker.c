#include "fcgi/worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <sodium.h>

#include "fcgi/api.h"
#include "fcgi/authz.h"
#include "fcgi/fields.h"
#include "fcgi/input.h"
#include "base/json.h"
#include "base/log.h"

static volatile sig_atomic_t worker_stop;

static void
worker_on_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	FCGX_ShutdownPending();
}

static void
worker_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: accept() must return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* True for an API route's pattern (/api/…, and the staff console's JSON twins /admin/api/…). */
static int
api_pattern(const char *p)
{
	return strncmp(p, "/api/", 5) == 0 || strncmp(p, "/admin/api/", 11) == 0;
}

/* Every route's field table is well formed and fits its route. */
static int
worker_fields_ok(const struct ob_worker *w, char *err, size_t errlen)
{
	const struct ob_route *ro;
	char why[200];
	size_t i;

	for (i = 0; w->fields != NULL && i < w->router->nroutes; i++) {
		if (w->fields[i] == NULL)
			continue;
		ro = &w->router->routes[i];
		if (ob_fields_table_ok(w->fields[i], why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s route %s %s: %s", w->router->name, ro->method,
			    ro->pattern, why);
			return -1;
		}
		if ((strcmp(ro->method, "GET") == 0) != (w->fields[i]->body == OB_BODY_NONE) ||
		    (w->fields[i]->body == OB_BODY_FORM && api_pattern(ro->pattern)) ||
		    ((w->fields[i]->body == OB_BODY_JSON || w->fields[i]->body == OB_BODY_JSON_OPTIONAL) &&
		    !api_pattern(ro->pattern))) {
			snprintf(err, errlen, "%s route %s %s: a %s field table does not fit it",
			    w->router->name, ro->method, ro->pattern,
			    w->fields[i]->body == OB_BODY_FORM ? "form" : "JSON");
			return -1;
		}
	}
	return 0;
}

/*
 * The field table r's route is checked against: its own, or for an API
 * route that changes something and declares none, the table of no fields
 * (any JSON member is unknown); NULL for other routes without one.
 */
static const struct ob_fields *
route_fields(const struct ob_worker *w, const struct ob_req *r)
{
	static const struct ob_fields no_fields = { OB_BODY_JSON_OPTIONAL, NULL, 0, NULL, NULL, 0, 0 };
	const struct ob_route *ro = &w->router->routes[r->route];

	if (w->fields != NULL && w->fields[r->route] != NULL)
		return w->fields[r->route];
	if (w->fields != NULL && strcmp(ro->method, "GET") != 0 && api_pattern(ro->pattern))
		return &no_fields;
	return NULL;
}

void
ob_worker_handle(struct ob_worker *w, struct ob_req *r)
{
	const struct ob_fields *t;
	const char *allow = NULL;
	enum ob_match m;
	int failed;

	if (r->request_id == NULL || *r->request_id == '\0') {
		unsigned char raw[16];
		char hex[33];

		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
		r->request_id = ob_arena_strdup(r->a, hex);
	}
	/* Bound the body before any work: 413 without reading it. */
	if (ob_req_read_body(r, w->body_limit) != 0)
		return;
	/* Text that is not UTF-8, NUL bytes, malformed query or form: 400. */
	if (ob_input_check(r) != 0)
		return;
	m = ob_router_match(w->router, r, &allow);
	if (m == OB_MATCH_NOT_FOUND) {
		ob_worker_error(r, 404, "invalid_request_error", "not_found",
		    "No such page or resource.", NULL);
		return;
	}
	if (m == OB_MATCH_BAD_METHOD) {
		ob_resp_header(r, "Allow", allow);
		ob_worker_error(r, 405, "invalid_request_error", "method_not_allowed",
		    "This method is not allowed here.", NULL);
		return;
	}
	if (ob_authz(r) != 0)
		return;
	/* The route's fields, then its handler (a refusal is answered). */
	t = route_fields(w, r);
	failed = (t != NULL && ob_fields_check(r, t) != 0) || w->router->routes[r->route].fn(r) != 0;
	if (failed && r->status == 0 && ob_db_data_error(&w->db)) {
		ob_api_data_error(r);	/* a value the checks let through: 400, never 503 */
	} else if (failed && r->status == 0) {
		ob_worker_error(r, 503, "api_error", "unavailable",
		    "The service is temporarily unavailable; try again.", NULL);
		ob_resp_header(r, "Retry-After", "1");
	}
	if (r->status == 0)
		ob_worker_error(r, 500, "api_error", "internal",
		    "The request could not be completed.", NULL);
}

static void
access_log(struct ob_worker *w, struct ob_req *r)
{
	struct ob_buf b = OB_BUF_INIT;
	struct timespec now;
	long us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (now.tv_sec - r->start.tv_sec) * 1000000L +
	    (now.tv_nsec - r->start.tv_nsec) / 1000L;
	ob_log_begin(&b, OB_LOG_INFO);
	ob_buf_puts(&b, "\"event\":\"access\",\"request_id\":");
	ob_json_put_str(&b, r->request_id ? r->request_id : "");
	ob_buf_puts(&b, ",\"method\":");
	ob_json_put_str(&b, r->method);
	ob_buf_puts(&b, ",\"path\":");
	/* A path that carries a secret (an invitation's token) is logged as its pattern. */
	if (r->route >= 0 && strstr(w->router->routes[r->route].pattern, "{token}") != NULL)
		ob_json_put_str(&b, w->router->routes[r->route].pattern);
	else
		ob_json_put_str(&b, r->path);
	ob_buf_printf(&b, ",\"status\":%d,\"bytes\":%zu,\"dur_us\":%ld,\"route\":",
	    r->status, r->resp_body.len, us);
	ob_json_put_str(&b, r->route >= 0 ? w->router->routes[r->route].pattern : "");
	ob_buf_puts(&b, ",\"remote\":");
	ob_json_put_str(&b, r->remote_addr ? r->remote_addr : "");
	ob_log_end(&b);
	ob_buf_free(&b);
}

int
ob_worker_main(struct ob_worker *w, int listen_fd)
{
	FCGX_Request fr;
	struct ob_arena *a = NULL;
	struct ob_req r;
	char err[256];
	int rc = 1;

	worker_signals();
	if (sodium_init() < 0) {
		ob_log(OB_LOG_ERROR, "worker_start", "libsodium failed to start");
		return 1;
	}
	if (ob_router_validate(w->router, err, sizeof(err)) != 0 ||
	    worker_fields_ok(w, err, sizeof(err)) != 0) {
		ob_log(OB_LOG_ERROR, "worker_start", "%s", err);
		return 1;
	}
	if (w->want_templates &&
	    (w->tmpl = ob_tmpl_load_dir(w->cfg->templates_dir, err, sizeof(err))) == NULL) {
		ob_log(OB_LOG_ERROR, "worker_start", "templates: %s", err);
		return 1;
	}
	/* A database that is down now is not fatal: /readyz says so. */
	if (ob_db_open(&w->db, w->cfg->database_url,
	    w->name, w->cfg->statement_timeout_ms) != 0)
		ob_log(OB_LOG_WARN, "db_connect", "%s", w->db.lasterr);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		ob_log(OB_LOG_ERROR, "worker_start", "FastCGI init failed");
		goto out;
	}
	a = ob_arena_new();
	ob_log(OB_LOG_INFO, "worker_start", "serving");
	while (!worker_stop) {
		if (FCGX_Accept_r(&fr) < 0)
			break;
		ob_req_init(&r, &fr, a, w);
		ob_worker_handle(w, &r);
		ob_resp_send(&r);
		ob_db_end_request(&w->db);
		FCGX_Finish_r(&fr);
		access_log(w, &r);
		ob_req_clear(&r);
		ob_arena_reset(a);
		w->requests++;
	}
	FCGX_Free(&fr, 0);
	ob_log(OB_LOG_INFO, "worker_stop", "served %ld requests", w->requests);
	rc = 0;
out:
	ob_arena_free(a);
	ob_db_close(&w->db);
	ob_tmpl_free(w->tmpl);
	w->tmpl = NULL;
	return rc;
}
