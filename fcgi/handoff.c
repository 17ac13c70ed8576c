/*
 * The hand-off page to a Stripe-hosted page (see handoff.h).
 */
#include "fcgi/handoff.h"

#include <cJSON.h>

#include "fcgi/page.h"

int
ob_handoff_page(struct ob_req *r, const char *url, const char *what, const char *back,
    const char *nav)
{
	cJSON *d = ob_page_new(r, "Continue to Stripe", nav);

	cJSON_AddStringToObject(d, "handoff_url", url);
	cJSON_AddStringToObject(d, "handoff_what", what);
	cJSON_AddStringToObject(d, "handoff_back", back);
	ob_page_render(r, 200, "pages/handoff", d);
	cJSON_Delete(d);
	return 0;
}
