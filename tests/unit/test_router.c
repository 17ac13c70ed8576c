/*
 * The router: pattern matching, captures, 405 detection, and the real
 * route tables (every route declares an action; no duplicates).
 */
#include <check.h>
#include <string.h>

#include "fcgi/router.h"
#include "fcgi/routes.h"
#include "unit/unit.h"

static int
h_dummy(struct ob_req *r)
{
	(void)r;
	return 0;
}

static const struct ob_route t_routes[] = {
	{ "GET", "/", h_dummy, OB_ACT_PUBLIC },
	{ "GET", "/api/v1/org-billing/credits/{org_id}", h_dummy, OB_ACT_PUBLIC },
	{ "POST", "/api/v1/org-billing/credits/{org_id}/deduct", h_dummy, OB_ACT_PUBLIC },
	{ "POST", "/api/v1/org-billing/credits/{org_id}/deductions/{key}/reverse", h_dummy, OB_ACT_PUBLIC },
	{ "PUT", "/api/v1/org-billing/credits/{org_id}", h_dummy, OB_ACT_PUBLIC },
};
static const struct ob_router t_router = { "t", t_routes, 5 };

static struct ob_req *
mkreq(struct ob_arena *a, const char *method, const char *path)
{
	struct ob_req *r = ob_arena_calloc(a, sizeof(*r));

	r->a = a;
	r->method = method;
	r->path = path;
	r->route = -1;
	return r;
}

START_TEST(router_matches_and_captures)
{
	struct ob_arena *a = ob_arena_new();
	struct ob_req *r;
	const char *allow = NULL;

	r = mkreq(a, "GET", "/");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_OK);
	ck_assert_int_eq(r->route, 0);

	r = mkreq(a, "GET", "/api/v1/org-billing/credits/org_42");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_OK);
	ck_assert_int_eq(r->route, 1);
	ck_assert_int_eq(r->nparams, 1);
	ck_assert_str_eq(r->params[0], "org_42");

	r = mkreq(a, "HEAD", "/api/v1/org-billing/credits/o");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_OK);

	r = mkreq(a, "POST", "/api/v1/org-billing/credits/o1/deductions/k-9/reverse");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_OK);
	ck_assert_int_eq(r->nparams, 2);
	ck_assert_str_eq(r->params[0], "o1");
	ck_assert_str_eq(r->params[1], "k-9");

	/* Known path, other method: 405 with Allow. */
	r = mkreq(a, "DELETE", "/api/v1/org-billing/credits/o1");
	ck_assert_int_eq(ob_router_match(&t_router, r, &allow), OB_MATCH_BAD_METHOD);
	ck_assert_str_eq(allow, "GET, PUT");

	/* Empty capture, extra or missing segments, trailing slash: no match. */
	r = mkreq(a, "GET", "/api/v1/org-billing/credits/");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_NOT_FOUND);
	r = mkreq(a, "GET", "/api/v1/org-billing/credits/o/x");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_NOT_FOUND);
	r = mkreq(a, "GET", "/api/v1/org-billing");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_NOT_FOUND);
	r = mkreq(a, "GET", "//");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_NOT_FOUND);
	r = mkreq(a, "GET", "");
	ck_assert_int_eq(ob_router_match(&t_router, r, NULL), OB_MATCH_NOT_FOUND);
	ob_arena_free(a);
}
END_TEST

START_TEST(router_validate_rejects_bad_tables)
{
	static const struct ob_route no_action[] = {
		{ "GET", "/x", h_dummy, OB_ACT_NONE },
	};
	static const struct ob_route dup[] = {
		{ "GET", "/x", h_dummy, OB_ACT_PUBLIC },
		{ "GET", "/x", h_dummy, OB_ACT_PUBLIC },
	};
	static const struct ob_route no_fn[] = {
		{ "GET", "/x", NULL, OB_ACT_PUBLIC },
	};
	struct ob_router rt;
	char err[256];

	rt = (struct ob_router){ "t", no_action, 1 };
	ck_assert_int_eq(ob_router_validate(&rt, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no action"));
	rt = (struct ob_router){ "t", dup, 2 };
	ck_assert_int_eq(ob_router_validate(&rt, err, sizeof(err)), -1);
	rt = (struct ob_router){ "t", no_fn, 1 };
	ck_assert_int_eq(ob_router_validate(&rt, err, sizeof(err)), -1);
}
END_TEST

/* The real tables: each route names an action the policy knows. */
START_TEST(route_tables_declare_actions)
{
	const struct ob_router *tables[] = { &ob_app_router, &ob_webhook_router };
	char err[256];
	size_t t, i;

	for (t = 0; t < 2; t++) {
		ck_assert_msg(ob_router_validate(tables[t], err, sizeof(err)) == 0,
		    "%s", err);
		for (i = 0; i < tables[t]->nroutes; i++) {
			const struct ob_route *ro = &tables[t]->routes[i];

			ck_assert_msg(ro->action > OB_ACT_NONE && ro->action < OB_ACT__MAX,
			    "%s %s has no action", ro->method, ro->pattern);
			ck_assert_str_ne(ob_action_name(ro->action), "unknown");
		}
	}
}
END_TEST

Suite *router_suite(void)
{
	return t_suite("router", 0, T_TESTS(router_matches_and_captures,
	    router_validate_rejects_bad_tables, route_tables_declare_actions));
}
