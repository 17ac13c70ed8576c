#include "routes.h"

#include "handlers.h"
#include "h_billing.h"
#include "h_admin.h"
#include "h_credits.h"
#include "h_invoices.h"

/*
 * The console and REST API: one row per route, kept by each module in its
 * fcgi/routes_<module>.def as OB_ROUTE(id, method, pattern, handler,
 * action); routes_app_modules.def lists the modules. Every row names its
 * action (policy.h); the router refuses a table with a row that does not.
 */
#define API "/api/v1/org-billing"

enum app_route {
#define OB_ROUTE(id, method, pattern, fn, action) id,
#include "routes_app_modules.def"
#undef OB_ROUTE
	APP__MAX
};

static const struct ob_route app_routes[APP__MAX] = {
#define OB_ROUTE(id, method, pattern, fn, action) [id] = { method, pattern, fn, action },
#include "routes_app_modules.def"
#undef OB_ROUTE
};

const struct ob_router ob_app_router = { "app", app_routes, APP__MAX };
