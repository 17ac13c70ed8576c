#include "fcgi/routes.h"

#include "fcgi/handlers.h"
#include "fcgi/h_billing.h"
#include "fcgi/h_admin.h"
#include "fcgi/h_credits.h"
#include "fcgi/h_invoices.h"

/*
 * The console and REST API: one row per route, kept by each module in its
 * fcgi/routes_<module>.def as OB_ROUTE(id, method, pattern, handler,
 * action); routes_app_modules.def lists the modules. Every row names its
 * action (policy.h); the router refuses a table with a row that does not.
 */
#define API "/api/v1/org-billing"

enum app_route {
#define OB_ROUTE(id, method, pattern, fn, action) id,
#include "fcgi/routes_app_modules.def"
#undef OB_ROUTE
	APP__MAX
};

static const struct ob_route app_routes[APP__MAX] = {
#define OB_ROUTE(id, method, pattern, fn, action) [id] = { method, pattern, fn, action },
#include "fcgi/routes_app_modules.def"
#undef OB_ROUTE
};

const struct ob_router ob_app_router = { "app", app_routes, APP__MAX };
