#include "routes.h"

#include "handlers.h"

enum app_route {
	APP_HEALTHZ,
	APP_READYZ,
	APP_LANDING,
	APP__MAX
};

static const struct ob_route app_routes[APP__MAX] = {
	[APP_HEALTHZ] = { "GET", "/healthz", ob_h_healthz, OB_ACT_PUBLIC },
	[APP_READYZ] = { "GET", "/readyz", ob_h_readyz, OB_ACT_PUBLIC },
	[APP_LANDING] = { "GET", "/", ob_h_landing, OB_ACT_PUBLIC },
};

const struct ob_router ob_app_router = { "app", app_routes, APP__MAX };
