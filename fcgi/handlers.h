/*
 * Handlers, one file per resource (h_*.c). Each parses and checks its
 * input, calls core, and answers through req.h. They return 0 when r
 * holds the answer, -1 when a dependency failed (the worker answers 503).
 */
#ifndef OB_HANDLERS_H
#define OB_HANDLERS_H

#include "req.h"

/** GET /healthz: 200 while the process serves. */
int ob_h_healthz(struct ob_req *r);

/** GET /readyz: 200 when the database answers and the schema is current. */
int ob_h_readyz(struct ob_req *r);

/** GET /: the console's landing page. */
int ob_h_landing(struct ob_req *r);

/** POST /stripe/webhook: the webhook receiver. */
int ob_h_stripe_webhook(struct ob_req *r);

#endif
