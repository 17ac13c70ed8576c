/*
 * orgbill-webhook: the Stripe webhook FastCGI worker pool.
 */
#include "fcgi/routes.h"
#include "fcgi/serve.h"

int
main(int argc, char **argv)
{
	static const struct ob_serve_conf sc = {
		.name = "webhook",
		.router = &ob_webhook_router,
		.want_templates = 0,
		.webhook = 1,
	};

	return ob_serve_main(&sc, argc, argv);
}
