/*
 * ob_worker: one FastCGI worker process — accept, route, answer, log,
 * reset — with its own database connection and templates (its context,
 * struct ob_worker, is in ctx.h).
 */
#ifndef OB_WORKER_H
#define OB_WORKER_H

#include "fcgi/ctx.h"

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

#endif
