/*
 * The two route tables: the app's (console + REST API) and the webhook
 * worker's. One row per route in routes_*.c.
 */
#ifndef OB_ROUTES_H
#define OB_ROUTES_H

#include "fcgi/router.h"

/** Console and REST API routes. */
extern const struct ob_router ob_app_router;

/** Stripe webhook worker routes. */
extern const struct ob_router ob_webhook_router;

#endif
