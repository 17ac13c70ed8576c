/*
 * ob_router: a route table (kcgi-style: one row per route) matched by
 * method and path pattern. A pattern is literal segments and {name}
 * captures, e.g. "/api/v1/org-billing/credits/{org_id}"; a capture matches
 * one non-empty segment and lands in r->params in order.
 */
#ifndef OB_ROUTER_H
#define OB_ROUTER_H

#include <stddef.h>

#include "identity/policy.h"
#include "fcgi/req.h"

typedef int (*ob_handler_fn)(struct ob_req *r);

struct ob_route {
	const char *method;
	const char *pattern;
	ob_handler_fn fn;
	enum ob_action action;	/* required: see policy.h */
};

struct ob_router {
	const char *name;
	const struct ob_route *routes;
	size_t nroutes;
};

enum ob_match {
	OB_MATCH_OK,
	OB_MATCH_NOT_FOUND,
	OB_MATCH_BAD_METHOD,	/* the path exists with other methods */
};

/**
 * Check the table: every row has a method, a pattern starting with '/',
 * a handler and an action, no more than OB_ROUTE_PARAMS_MAX captures, and
 * no two rows share method and pattern. Returns 0, or -1 with err set.
 */
int ob_router_validate(const struct ob_router *rt, char *err, size_t errlen);

/**
 * Match r's method and path. On OB_MATCH_OK sets r->route and r->params.
 * HEAD matches GET routes. On OB_MATCH_BAD_METHOD, allow (if not NULL)
 * receives the comma-separated methods the path accepts (arena string).
 */
enum ob_match ob_router_match(const struct ob_router *rt, struct ob_req *r,
    const char **allow);

/** The capture named name ("org_id") of the matched route, or NULL. */
const char *ob_route_param(const struct ob_req *r, const char *name);

/** Match a single pattern against path; captures into r. 1 if it matches. */
int ob_route_match_path(const char *pattern, const char *path,
    struct ob_req *r);

#endif
