#include "handlers.h"

#include <cJSON.h>

#include "cfg.h"
#include "worker.h"

int
ob_h_landing(struct ob_req *r)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "title", "Organization billing");
	cJSON_AddStringToObject(d, "version", OB_VERSION);
	cJSON_AddStringToObject(d, "nav_active", "overview");
	cJSON_AddBoolToObject(d, "nav_overview", 1);
	ob_worker_render(r, 200, "pages/landing", d);
	cJSON_Delete(d);
	return 0;
}
