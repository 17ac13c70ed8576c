/*
 * The two route tables: the app's (console + REST API) and the webhook
 * worker's. One row per route in routes_*.c, with the app's field tables.
 */
#ifndef OB_ROUTES_H
#define OB_ROUTES_H

#include "fcgi/fields.h"
#include "fcgi/router.h"

/** Console and REST API routes. */
extern const struct ob_router ob_app_router;

/**
 * The field table (fields.h) of each of ob_app_router's routes, by the
 * same index; NULL for a route without one.
 */
extern const struct ob_fields *const ob_app_fields[];

/** Stripe webhook worker routes. */
extern const struct ob_router ob_webhook_router;

#endif
