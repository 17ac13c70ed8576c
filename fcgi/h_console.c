#include "fcgi/handlers.h"

#include <cJSON.h>

#include "fcgi/h_billing.h"
#include "fcgi/page.h"
#include "identity/policy.h"
#include "fcgi/worker.h"

int
ob_h_landing(struct ob_req *r)
{
	cJSON *d = ob_page_new(r, "Organization billing", "overview");
	int rc = 0;

	/* Signed in with an org: the billing hero, for whoever may see the
	 * plan summary (members only when the org lets them). */
	if (r->who.kind == OB_PRINCIPAL_USER && r->who.org_id != 0 &&
	    ob_policy_decide(OB_ACT_ORG_SUMMARY, &r->who) == OB_ALLOW)
		rc = ob_h_billing_hero(r, d);
	if (rc == 0)
		ob_page_render(r, 200, "pages/landing", d);
	cJSON_Delete(d);
	return rc;
}
