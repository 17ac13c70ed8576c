/*
 * The worker's context as the authorization gate and the handlers see it
 * (struct ob_worker: settings, routes, database, templates, rate limits),
 * and the two answers that need its templates. Apart from worker.h so that
 * the gate, which the worker runs, does not include the worker.
 */
#ifndef OB_CTX_H
#define OB_CTX_H

#include <cJSON.h>

#include "base/cfg.h"
#include "base/db.h"
#include "base/ratelimit.h"
#include "base/tmpl.h"
#include "fcgi/router.h"

struct ob_fields;
struct ob_stripe;

struct ob_worker {
	const char *name;		/* "app" or "webhook": logs, db app name */
	const struct ob_cfg *cfg;
	const struct ob_router *router;
	const struct ob_fields *const *fields;	/* router's routes' field tables (NULL: none) */
	int want_templates;		/* load cfg->templates_dir at start */
	long body_limit;		/* bytes; at most cfg->body_limit */
	struct ob_db db;
	struct ob_tmpl_store *tmpl;
	struct ob_rl *rl;		/* shared by every worker on the host */
	long requests;			/* served by this process */
	struct ob_stripe *stripe;	/* made on first use: ob_worker_stripe */
};

/**
 * The worker's one Stripe client (stripe/client.h), made on first use
 * with the standard timeouts and kept for the life of the process; NULL
 * when no Stripe secret key is configured. Handlers never make their own.
 */
struct ob_stripe *ob_worker_stripe(struct ob_worker *w);

/** Render template name with data into an HTML response (500 page if it fails). */
void ob_worker_render(struct ob_req *r, int status, const char *name,
    const cJSON *data);

/** Answer an error the way the path expects: JSON under /api/, else the console page (ob_page_error). */
void ob_worker_error(struct ob_req *r, int status, const char *type,
    const char *code, const char *message, const char *param);

#endif
