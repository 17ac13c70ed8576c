#include "fcgi/routes.h"

#include "fcgi/handlers.h"
#include "fcgi/h_billing.h"
#include "fcgi/h_admin.h"
#include "fcgi/h_ops.h"
#include "fcgi/h_credits.h"
#include "fcgi/h_analytics.h"
#include "fcgi/h_invoices.h"
#include "fcgi/h_budgets.h"

/*
 * The console and REST API: one row per route, kept by each module in its
 * fcgi/routes_<module>.def as OB_ROUTE(id, method, pattern, handler,
 * action), or OB_ROUTE_F(id, method, pattern, handler, action, fields) for
 * a route whose body is checked against the field table fields (fields.h)
 * before its handler runs; routes_app_modules.def lists the modules. Every
 * row names its action (policy.h); the router refuses a table with a row
 * that does not.
 */
#define API "/api/v1/org-billing"

enum app_route {
#define OB_ROUTE(id, method, pattern, fn, action) id,
#define OB_ROUTE_F(id, method, pattern, fn, action, fields) id,
#include "fcgi/routes_app_modules.def"
#undef OB_ROUTE
#undef OB_ROUTE_F
	APP__MAX
};

static const struct ob_route app_routes[APP__MAX] = {
#define OB_ROUTE(id, method, pattern, fn, action) [id] = { method, pattern, fn, action },
#define OB_ROUTE_F(id, method, pattern, fn, action, fields) OB_ROUTE(id, method, pattern, fn, action)
#include "fcgi/routes_app_modules.def"
#undef OB_ROUTE
#undef OB_ROUTE_F
};

const struct ob_router ob_app_router = { "app", app_routes, APP__MAX };

const struct ob_fields *const ob_app_fields[APP__MAX] = {
#define OB_ROUTE(id, method, pattern, fn, action)
#define OB_ROUTE_F(id, method, pattern, fn, action, fields) [id] = &fields,
#include "fcgi/routes_app_modules.def"
#undef OB_ROUTE
#undef OB_ROUTE_F
};
