/*
 * ob_serve: the shared main() of orgbill-app and orgbill-webhook —
 * options, settings, the listening socket, then the prefork master.
 */
#ifndef OB_SERVE_H
#define OB_SERVE_H

#include "fcgi/router.h"

struct ob_serve_conf {
	const char *name;		/* "app" or "webhook" */
	const struct ob_router *router;
	const struct ob_fields *const *fields;	/* per route of router, or NULL (fields.h) */
	int want_templates;
	int webhook;			/* take the worker count from ORGBILL_WEBHOOK_WORKERS */
};

/**
 * Parse argv (--workers N, --socket PATH, --config FILE, --help,
 * --version), load settings, and serve: on fd 0 (as spawn-fcgi hands it)
 * or on a unix socket we bind at PATH. Returns the exit status.
 */
int ob_serve_main(const struct ob_serve_conf *sc, int argc, char **argv);

#endif
