/*
 * orgbill-app: the console and REST API FastCGI worker pool.
 */
#include "fcgi/routes.h"
#include "fcgi/serve.h"

int
main(int argc, char **argv)
{
	static const struct ob_serve_conf sc = {
		.name = "app",
		.router = &ob_app_router,
		.fields = ob_app_fields,
		.want_templates = 1,
		.webhook = 0,
	};

	return ob_serve_main(&sc, argc, argv);
}
