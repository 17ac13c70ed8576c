/*
 * Answers through the worker's templates (ctx.h).
 */
#include "fcgi/ctx.h"

#include "base/log.h"
#include "fcgi/page.h"
#include "stripe/client.h"

/* The Stripe client's guard: refuse while the worker's connection is in a transaction. */
static int
stripe_guard(void *arg)
{
	return ob_db_in_tx(arg);
}

struct ob_stripe *
ob_worker_stripe(struct ob_worker *w)
{
	if (w->stripe == NULL) {
		w->stripe = ob_stripe_new_default(w->cfg->stripe_api_base, w->cfg->stripe_secret_key);
		if (w->stripe != NULL)
			ob_stripe_set_guard(w->stripe, stripe_guard, &w->db);
	}
	return w->stripe;
}

void
ob_worker_render(struct ob_req *r, int status, const char *name,
    const cJSON *data)
{
	struct ob_buf out = OB_BUF_INIT;
	char err[256];

	if (r->w->tmpl == NULL ||
	    ob_tmpl_render(r->w->tmpl, name, data, &out, err, sizeof(err)) != 0) {
		ob_log(OB_LOG_ERROR, "template", "%s: %s", name,
		    r->w->tmpl ? err : "no templates loaded");
		static const char page[] = "<!doctype html><title>Error</title>"
		    "<h1>Something went wrong</h1>\n";

		ob_resp_html(r, 500, page, sizeof(page) - 1);
		goto out;
	}
	ob_resp_html(r, status, out.data, out.len);
out:
	ob_buf_free(&out);
}

void
ob_worker_error(struct ob_req *r, int status, const char *type,
    const char *code, const char *message, const char *param)
{
	if (ob_req_is_api(r) || r->w->tmpl == NULL) {
		ob_resp_error(r, status, type, code, message, param);
		return;
	}
	ob_page_error(r, status, code, message);
}
