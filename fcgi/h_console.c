#include "fcgi/handlers.h"

#include <cJSON.h>

#include "fcgi/dash.h"
#include "fcgi/h_billing.h"
#include "fcgi/page.h"
#include "identity/policy.h"
#include "fcgi/worker.h"

int
ob_h_landing(struct ob_req *r)
{
	cJSON *d = ob_page_new(r, "Organization billing", "overview"), *dash = NULL;
	int rc = 0;

	/* Signed in with an org: the dashboard, as much of it as the policy
	 * shows this person (dash.h), under the plan summary (the billing
	 * hero) for whoever may see it. Visitors get the landing page. */
	if (r->who.kind == OB_PRINCIPAL_USER && r->who.org_id != 0 && r->who.role != OB_ROLE_NONE) {
		if (ob_policy_decide(OB_ACT_ORG_SUMMARY, &r->who) == OB_ALLOW)
			rc = ob_h_billing_hero(r, d);
		if (rc == 0 && (dash = ob_dash_model(r)) == NULL)
			rc = -1;
		if (dash != NULL)
			cJSON_AddItemToObject(d, "dash", dash);
	}
	if (rc == 0)
		ob_page_render(r, 200, "pages/landing", d);
	cJSON_Delete(d);
	return rc;
}
