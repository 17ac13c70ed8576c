#include "handlers.h"

#include <cJSON.h>

#include "page.h"
#include "worker.h"

int
ob_h_landing(struct ob_req *r)
{
	cJSON *d = ob_page_new(r, "Organization billing", "overview");

	ob_page_render(r, 200, "pages/landing", d);
	cJSON_Delete(d);
	return 0;
}
