#include "fcgi/routes.h"

#include "fcgi/handlers.h"

enum webhook_route {
	WH_HEALTHZ,
	WH_READYZ,
	WH_STRIPE,
	WH__MAX
};

static const struct ob_route webhook_routes[WH__MAX] = {
	[WH_HEALTHZ] = { "GET", "/healthz", ob_h_healthz, OB_ACT_PROBE },
	[WH_READYZ] = { "GET", "/readyz", ob_h_readyz, OB_ACT_PROBE },
	[WH_STRIPE] = { "POST", "/stripe/webhook", ob_h_stripe_webhook, OB_ACT_WEBHOOK },
};

const struct ob_router ob_webhook_router = { "webhook", webhook_routes, WH__MAX };
