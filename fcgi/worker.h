/*
 * ob_worker: one FastCGI worker process — accept, route, answer, log,
 * reset — with its own database connection and templates.
 */
#ifndef OB_WORKER_H
#define OB_WORKER_H

#include "base/cfg.h"
#include "base/db.h"
#include "base/ratelimit.h"
#include "fcgi/router.h"
#include "base/tmpl.h"

struct ob_worker {
	const char *name;		/* "app" or "webhook": logs, db app name */
	const struct ob_cfg *cfg;
	const struct ob_router *router;
	int want_templates;		/* load cfg->templates_dir at start */
	long body_limit;		/* bytes; at most cfg->body_limit */
	struct ob_db db;
	struct ob_tmpl_store *tmpl;
	struct ob_rl *rl;		/* shared by every worker on the host */
	long requests;			/* served by this process */
};

/**
 * Serve requests on listen_fd until SIGTERM/SIGINT (finishing the request
 * in hand). Returns the process exit status: 0 after a clean stop, 1 if it
 * could not start (bad route table, templates that do not load).
 */
int ob_worker_main(struct ob_worker *w, int listen_fd);

/**
 * Route and answer one request that ob_req_init filled: body limit, route
 * match, 404/405, the handler. Exposed for the in-process tests.
 */
void ob_worker_handle(struct ob_worker *w, struct ob_req *r);

/** Render template name with data into an HTML response (500 page if it fails). */
void ob_worker_render(struct ob_req *r, int status, const char *name,
    const cJSON *data);

/** Answer an error the way the path expects: JSON under /api/, else a page. */
void ob_worker_error(struct ob_req *r, int status, const char *type,
    const char *code, const char *message, const char *param);

#endif
